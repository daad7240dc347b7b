import type { GenerationConfig, TextGenerationRequest, TextResult } from '../contract';
import type { StudioHost } from '../host/studio-host';
import { followJob } from '../host/follow-job';

export interface TextJobHooks {
  onText?(text: string): void;
  /** Said once the job starts, when the requested execution provider could not be used. */
  onFallback?(reason: string): void;
  onStarted?(config: GenerationConfig): void;
  signal?: AbortSignal;
}

/** Starts a text job on the host and waits for its result, passing streamed text on as it comes. */
export function runTextJob(host: StudioHost, request: TextGenerationRequest, hooks: TextJobHooks = {}): Promise<TextResult> {
  return followJob(host, () => host.invoke('startTextJob', request), {
    signal: hooks.signal,
    onEvent: (event) => {
      if (event.type === 'started') {
        hooks.onStarted?.(event.config);
        if (event.fallbackReason) hooks.onFallback?.(event.fallbackReason);
      }
      if (event.type === 'tokens') hooks.onText?.(event.text);
    },
    resultOf: (event) => (event.type === 'done' ? event.result : undefined),
  });
}
