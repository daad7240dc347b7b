import { useRef, useState } from 'react';

/**
 * Stop pressed while the host has not yet answered with the job's id (a first λ run calibrating, or the
 * first tokens arriving before the answer): the job is cancelled the moment its id arrives.
 */
export function useEarlyStop() {
  const asked = useRef(false);
  const [pending, setPending] = useState(false);
  const settle = (value: boolean) => {
    asked.current = value;
    setPending(value);
  };
  return {
    /** A Stop is waiting for the job's id. */
    pending,
    request: () => settle(true),
    reset: () => settle(false),
    /** The job's id has arrived: true when a Stop was waiting for it. */
    arrived(): boolean {
      const waiting = asked.current;
      settle(false);
      return waiting;
    },
  };
}
