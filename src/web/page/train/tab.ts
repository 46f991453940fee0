/** The Train tab: train a small Gradformer in the browser. */
import { el, type PageTab } from '../tabs.js';

export const trainTab: PageTab = {
  id: 'train',
  label: 'Train',
  mount(panel) {
    panel.append(el('h2', undefined, 'Train a Gradformer'));
  },
};
