import type { EnergyEvent, RunMetrics } from '../../../native/contract';
import { isEstimatedSource } from '../../../native/contract';
import { describeEnergy, formatJoules, formatJoulesPerOutput, formatNumber } from '../format';
import { useEnergyStatus } from '../state/queries';
import { Metric } from './Metric';

type EnergyFields = Pick<RunMetrics, 'energyJ' | 'energySource' | 'energyJRange' | 'meanWatts' | 'joulesPerOutput'>;

interface Props {
  /** The latest live reading while the job runs. */
  live: EnergyEvent | null;
  /** The run's final figures once it is done; they take over from the live ones. */
  final: EnergyFields | null;
  unit: 'token' | 'image';
  testIdPrefix: string;
}

/** Live watts and cumulative joules while a job runs, then the run's mean power, energy and J per output, each saying how it was found out. */
export function EnergyMetrics({ live, final, unit, testIdPrefix }: Props) {
  const assumptions = useEnergyStatus().data?.assumptions;
  const finished = final?.energyJ !== null && final?.energyJ !== undefined;
  const joules = finished ? final!.energyJ : (live?.joules ?? null);
  const source = finished ? final!.energySource : (live?.source ?? null);
  const estimated = finished ? isEstimatedSource(source) : (live?.estimated ?? false);
  const watts = finished ? final!.meanWatts : (live?.watts ?? null);
  const range = finished ? final!.energyJRange : null;
  const title = describeEnergy(source, estimated, range, assumptions);
  const perOutput = finished && final!.joulesPerOutput !== null ? formatJoulesPerOutput(final!.joulesPerOutput) : null;
  const kind = source === null ? null : estimated ? 'estimated' : 'measured';
  return (
    <>
      <Metric
        label={finished ? 'Mean power' : 'Power'}
        value={formatNumber(watts, 1)}
        unit="W"
        testId={`${testIdPrefix}-watts`}
        title={title}
        detail={
          perOutput && (
            <>
              <span data-testid={`${testIdPrefix}-joules-per-output`}>{perOutput.value}</span> {perOutput.unit}/{unit}
            </>
          )
        }
      />
      <Metric
        label="Energy"
        value={joules === null ? '—' : formatJoules(joules)}
        unit="J"
        testId={`${testIdPrefix}-energy`}
        title={title}
        detail={
          source && (
            <>
              {range && <span data-testid={`${testIdPrefix}-energy-range`}>{formatJoules(range.low)}–{formatJoules(range.high)} J · </span>}
              <span data-testid={`${testIdPrefix}-energy-source`}>{source}</span>
            </>
          )
        }
      >
        {kind && (
          <span className={`metric-tag${estimated ? '' : ' metric-tag-measured'}`} data-testid={`${testIdPrefix}-energy-kind`}>
            {kind}
          </span>
        )}
      </Metric>
    </>
  );
}
