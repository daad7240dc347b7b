import { useEffect, useRef, useState } from 'react';
import { useUpdateSettings } from './queries';

/** How long the slider rests before its position is saved as the default. */
const LAMBDA_SAVE_DELAY_MS = 400;

/**
 * λ as a slider shows it: the user's latest move, else the saved default; saved after a short rest.
 * The Generate and Images sliders share the one saved position (Settings' λ), as the CLI does.
 */
export function useLambda(saved: number) {
  const update = useUpdateSettings();
  const { mutate } = update;
  const [edited, setEdited] = useState<number | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  function change(next: number) {
    setEdited(next);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      // Once saved, follow the settings again (so a change made in Settings or the other view shows here too).
      mutate({ lambda: next }, { onSuccess: (settings) => setEdited((current) => (current === settings.lambda ? null : current)) });
    }, LAMBDA_SAVE_DELAY_MS);
  }
  return { lambda: edited ?? saved, change, saveError: update.error?.message ?? null };
}
