/**
 * The page's tabs. A tab is a label and a function that fills its panel the
 * first time the tab is shown (so a tab's heavy loads, e.g. RDKit, wait until
 * the user opens it). To add a tab: write a module exporting a `PageTab`, then
 * import it in main.ts and add it to the `TABS` list there (one import + one line).
 */
export interface PageTab {
  /** Stable id: the URL hash that opens the tab (`#train`) and the panel's `data-tab`. */
  id: string;
  /** Text of the tab's button. */
  label: string;
  /** Builds the tab's content into `panel` (called once, on first show); a rejection is shown in the panel. */
  mount(panel: HTMLElement): void | Promise<void>;
}

/** An element with optional class and text, for the tabs' plain-DOM code. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * Builds the tab bar into `bar` and the panels into `main`; shows the tab named
 * by the URL hash (else the first) and follows hash changes.
 */
export function startTabs(tabs: readonly PageTab[], bar: HTMLElement, main: HTMLElement): void {
  const mounted = new Set<string>();
  const buttons = new Map<string, HTMLButtonElement>();
  const panels = new Map<string, HTMLElement>();
  for (const t of tabs) {
    const b = el('button', 'tab', t.label);
    b.type = 'button';
    b.setAttribute('role', 'tab');
    b.dataset.tab = t.id;
    b.addEventListener('click', () => { location.hash = t.id; });
    bar.append(b);
    const p = el('section', 'panel');
    p.dataset.tab = t.id;
    p.setAttribute('role', 'tabpanel');
    p.hidden = true;
    main.append(p);
    buttons.set(t.id, b);
    panels.set(t.id, p);
  }
  const show = (): void => {
    const want = location.hash.slice(1);
    const tab = tabs.find((t) => t.id === want) ?? tabs[0];
    for (const t of tabs) {
      const on = t === tab;
      buttons.get(t.id)!.setAttribute('aria-selected', String(on));
      panels.get(t.id)!.hidden = !on;
    }
    if (tab && !mounted.has(tab.id)) {
      mounted.add(tab.id);
      const panel = panels.get(tab.id)!;
      Promise.resolve().then(() => tab.mount(panel)).catch((e: unknown) => {
        panel.append(el('p', 'error', `The ${tab.label} tab failed to load: ${e instanceof Error ? e.message : String(e)}`));
      });
    }
  };
  addEventListener('hashchange', show);
  show();
}
