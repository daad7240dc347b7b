import { useEffect, useLayoutEffect, useRef } from 'react';

/**
 * How a view answers the studio's keys: `foreground` (it is shown: Ctrl/Cmd+Enter generates, Esc
 * stops), `background` (a view without a job of its own is shown: Esc still stops this view's run), or `off`.
 */
export type ShortcutScope = 'foreground' | 'background' | 'off';

export interface ShortcutActions {
  generate(): void;
  stop(): void;
}

/** True for Ctrl+Enter, and Cmd+Enter on a Mac. */
function isGenerateKey(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey'>): boolean {
  return event.key === 'Enter' && (event.ctrlKey || event.metaKey);
}

/** Window-wide keys, so they work wherever focus is (a button, the story pane, nothing at all). */
export function useShortcuts(scope: ShortcutScope, actions: ShortcutActions): void {
  const latest = useRef(actions);
  // Updated as the render commits, not after paint: a key pressed the moment Stop turns on must stop this run.
  useLayoutEffect(() => {
    latest.current = actions;
  });
  useEffect(() => {
    if (scope === 'off') return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.isComposing) return;
      if (scope === 'foreground' && isGenerateKey(event)) {
        event.preventDefault();
        latest.current.generate();
      } else if (event.key === 'Escape' && !event.ctrlKey && !event.metaKey && !event.altKey) {
        latest.current.stop();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [scope]);
}
