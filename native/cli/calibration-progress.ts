import type { StudioHost } from '../host/studio-host';

/**
 * Shows a family's calibration on stderr while it runs (on request, or before the first λ run of a
 * family not measured here): a terminal gets one line rewritten in place, a log a line per quarter.
 * Returns the unsubscribe.
 */
export function printCalibrationProgress(host: StudioHost): () => void {
  return host.onEvent((event) => {
    if (event.type !== 'calibration') return;
    const line = `pareto: calibrating ${event.family} [${event.done}/${event.total}] ${event.point ? `measuring ${event.point}` : 'done'}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(100)}${event.point ? '' : '\n'}`);
    else if (!event.point || event.done % Math.ceil(event.total / 4) === 0) process.stderr.write(`${line}\n`);
  });
}
