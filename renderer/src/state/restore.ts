import { useEffect, useRef } from 'react';
import type { ResolvedTextGenerationRequest } from '../../../native/contract';
import type { KnownParameters } from '../images/imageForm';

/** Where restored settings came from, for the note the Images view shows. */
export type RestoreSource = 'history' | 'pareto' | 'a1111';

/** Settings to put back into the Generate or Images view: a history entry reopened, or a PNG dropped on the window. */
/** A story's prompt is the request's, or a chat's last user message. */
export type Restore = { kind: 'text'; request: ResolvedTextGenerationRequest; prompt: string } | { kind: 'image'; parameters: KnownParameters; source: RestoreSource };

type Listener = (restore: Restore) => void;

/**
 * Carries a restore from where it starts (History, a drop on the window) to the view that applies it, once.
 * A restore that arrives before its view is ready (settings still loading) waits for the view's subscription.
 */
export class RestoreChannel {
  private readonly listeners = new Map<Restore['kind'], Listener>();
  private readonly pending = new Map<Restore['kind'], Restore>();

  publish(restore: Restore): void {
    const listener = this.listeners.get(restore.kind);
    if (listener) listener(restore);
    else this.pending.set(restore.kind, restore);
  }

  subscribe(kind: Restore['kind'], listener: Listener): () => void {
    this.listeners.set(kind, listener);
    const waiting = this.pending.get(kind);
    if (waiting) {
      this.pending.delete(kind);
      listener(waiting);
    }
    return () => {
      if (this.listeners.get(kind) === listener) this.listeners.delete(kind);
    };
  }
}

/** Applies each restore of one kind as it arrives; `apply` may set state (it runs from an event, not during render). */
export function useRestores<K extends Restore['kind']>(channel: RestoreChannel, kind: K, apply: (restore: Extract<Restore, { kind: K }>) => void): void {
  const latest = useRef(apply);
  useEffect(() => {
    latest.current = apply;
  });
  useEffect(() => channel.subscribe(kind, (restore) => latest.current(restore as Extract<Restore, { kind: K }>)), [channel, kind]);
}
