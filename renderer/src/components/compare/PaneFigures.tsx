import type { CompareMeasure } from '../../../../native/contract';
import { energyTitle, rowsFor, type LiveFigures } from '../../compare/figureRows';
import { formatNumber } from '../../format';

/** A pane's figures, one per row, with the best of the comparison marked. */
export function PaneFigures({ kind, figures, best }: { kind: 'text' | 'image'; figures: LiveFigures; best: readonly CompareMeasure[] }) {
  const estimated = figures.energyEstimated || (figures.energySource?.startsWith('estimated') ?? false);
  return (
    <table className="pane-figures">
      <tbody>
        {rowsFor(kind).map((row) => {
          const value = figures[row.measure] ?? null;
          const isBest = best.includes(row.measure);
          const energy = row.measure === 'energyJ' || row.measure === 'joulesPerOutput';
          return (
            <tr key={`${row.measure}-${row.label}`} className={isBest ? 'figure-best' : undefined} data-testid={`pane-figure-${row.measure}`} data-best={isBest ? 'true' : 'false'} title={energy ? energyTitle(figures) : row.title}>
              <th scope="row">{row.measure === 'joulesPerOutput' ? `Energy ${row.label.toLowerCase()}` : row.label}</th>
              <td>
                <span className="figure-value">{formatNumber(value, row.decimals)}</span>
                {row.unit && value !== null && <span className="metric-unit">{row.unit}</span>}
                {energy && value !== null && estimated && <span className="metric-tag">est.</span>}
              </td>
              <td className="figure-mark">
                {isBest && (
                  <span className="best-badge" title="Best of the comparison">
                    ★<span className="visually-hidden"> best</span>
                  </span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
