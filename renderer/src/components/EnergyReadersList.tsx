import { useQueryClient } from '@tanstack/react-query';
import { describeEnergy } from '../format';
import { queryKeys, useEnergyStatus } from '../state/queries';

/** Every energy reader, available or not and why, and which one the meter uses: the Settings view's copy of `pareto energy`. */
export function EnergyReadersList() {
  const status = useEnergyStatus();
  const queryClient = useQueryClient();
  if (status.isPending) return <p className="field-hint">Checking the energy readers…</p>;
  if (status.isError) return <p className="inline-error">{status.error.message}</p>;
  const { readers, source, estimated, onBattery, assumptions, overhead } = status.data;
  return (
    <div className="energy-readers" data-testid="energy-readers">
      <p className="field-hint">
        Energy is {estimated ? 'estimated' : 'measured'} by <strong data-testid="energy-in-use">{source}</strong>
        {onBattery === null ? '' : onBattery ? ' · on battery' : ' · on AC power'}
        {overhead.percentOfCore !== null && ` · the meter has used ${overhead.percentOfCore.toFixed(3)}% of a core`}.{' '}
        <button type="button" className="button button-quiet" onClick={() => void queryClient.invalidateQueries({ queryKey: queryKeys.energy })}>
          Check again
        </button>
      </p>
      <ul className="energy-reader-list">
        {readers.map((reader) => (
          <li key={reader.id} className={`energy-reader${reader.inUse ? ' energy-reader-in-use' : ''}`} data-testid={`energy-reader-${reader.id}`} data-available={reader.available}>
            <span className={`energy-reader-state${reader.available ? ' available' : ''}`} aria-hidden="true" />
            <span className="energy-reader-label">{reader.label}</span>
            <span className="energy-reader-detail">{reader.inUse ? `in use · ${reader.source}` : reader.available ? `available · ${reader.source}` : reader.reason}</span>
          </li>
        ))}
      </ul>
      {estimated && <p className="field-hint energy-formula">{describeEnergy(source, true, null, assumptions)}</p>}
    </div>
  );
}
