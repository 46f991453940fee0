/**
 * The gradformer page (served by `gradformer web`, or any static host: every URL
 * is relative). A tab bar over plain-DOM tabs; see tabs.ts for how to add one.
 */
import { startTabs, type PageTab } from './tabs.js';
import { trainTab } from './train/tab.js';
import { predictTab } from './predict/tab.js';

/** The tabs, in bar order. Adding a tab: import it above and list it here. */
const TABS: PageTab[] = [
  trainTab,
  predictTab,
];

startTabs(TABS, document.getElementById('tabs')!, document.getElementById('panels')!);
