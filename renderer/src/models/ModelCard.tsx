import type { ReactNode } from 'react';
import type { ModelCard as ModelCardData, ModelInfo, PlanPoint } from '../../../native/contract';
import { CopyButton } from '../components/CopyButton';
import { formatBytes, formatNumber, formatTokens } from '../format';
import { usePlanPreview, useRemoveModel, useRevealModel, useVerifyModel } from '../state/queries';

const LAYOUT_NAMES: Record<ModelCardData['layout'], string> = {
  pareto: 'Pareto package (pareto.json)',
  'transformers.js': 'Hugging Face ONNX (transformers.js)',
  'onnxruntime-genai': 'ONNX Runtime GenAI',
  diffusers: 'diffusers ONNX pipeline',
};

function formatParameters(count: number): string {
  return count >= 1e9 ? `${formatNumber(count / 1e9)}B` : count >= 1e6 ? `${formatNumber(count / 1e6)}M` : `${formatNumber(count / 1e3)}K`;
}

/** This device's measured cost of each of a family model's points (from its calibration), by precision and depth or steps. */
function useMeasuredCosts(model: ModelInfo): { costs: Map<string, PlanPoint>; unit: string | null } {
  const preview = usePlanPreview(model.family ? { family: model.kind, model: model.id, lambda: 0.5 } : null);
  const costs = new Map<string, PlanPoint>();
  for (const point of preview.data?.points ?? []) if (point.model === model.id) costs.set(`${point.precision}:${point.depth ?? point.steps}`, point);
  return { costs, unit: preview.data?.unit ?? null };
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="model-fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function OperatingPoints({ model, card }: { model: ModelInfo; card: ModelCardData }) {
  const { costs, unit } = useMeasuredCosts(model);
  const quality = (point: ModelCardData['points'][number]) =>
    point.bitsPerByte !== null ? `${formatNumber(point.bitsPerByte, 3)} bits/byte` : point.frechetDistance !== null ? `FD ${formatNumber(point.frechetDistance, 2)}` : 'not declared';
  return (
    <table className="data-table model-points" data-testid={`model-points-${model.id}`}>
      <thead>
        <tr>
          <th scope="col">Precision</th>
          <th scope="col">{model.kind === 'text' ? 'Depth' : 'Steps'}</th>
          <th scope="col">File</th>
          <th scope="col">Declared quality</th>
          <th scope="col" className="numeric">Cost here</th>
        </tr>
      </thead>
      <tbody>
        {card.points.map((point) => {
          const cost = costs.get(`${point.precision}:${point.depth ?? point.steps}`)?.cost;
          return (
            <tr key={`${point.file}:${point.depth ?? point.steps}`}>
              <td>
                <span className="chip">{point.precision}</span>
              </td>
              <td>{point.depth ?? point.steps ?? '—'}</td>
              <td className="cell-path">{point.file}</td>
              <td>{quality(point)}</td>
              <td className="numeric">{cost && unit ? `${formatNumber(cost.median, 2)} ${unit}` : model.family ? 'calibrate to measure' : 'measured at its first run'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** One model as a creator sees it before picking it: what it is, where it comes from, what it offers and costs here. */
export function ModelCard({ model }: { model: ModelInfo }) {
  const remove = useRemoveModel();
  const verify = useVerifyModel();
  const reveal = useRevealModel();
  const card = model.card;
  return (
    <article className="card model-card" data-testid={`model-card-${model.id}`} aria-label={model.name}>
      <header className="model-card-header">
        <div>
          <h2 className="model-card-title">{model.name}</h2>
          <div className="chip-row">
            <span className="chip chip-muted">{model.kind}</span>
            <span className="chip chip-muted">{model.source}</span>
            {card && <span className="chip chip-muted" data-testid={`model-layout-${model.id}`}>{LAYOUT_NAMES[card.layout]}</span>}
            {model.variants.map((variant) => (
              <span key={variant} className="chip">
                {variant}
              </span>
            ))}
          </div>
        </div>
        <div className="model-card-actions">
          {card?.hasChecksums && (
            <button type="button" className="button" data-testid={`model-verify-${model.id}`} disabled={verify.isPending} onClick={() => verify.mutate(model.id)}>
              {verify.isPending ? 'Verifying…' : 'Verify checksums'}
            </button>
          )}
          <button type="button" className="button" data-testid={`model-reveal-${model.id}`} title={`Show ${model.path} in the file manager`} onClick={() => reveal.mutate(model.id)}>
            Show folder
          </button>
          <CopyButton text={model.path} label="Copy path" title={`Copy ${model.path}`} testId={`model-copy-path-${model.id}`} />
          {model.source === 'imported' && (
            <button type="button" className="button button-danger" data-testid={`model-remove-${model.id}`} disabled={remove.isPending} onClick={() => remove.mutate(model.id)}>
              Remove
            </button>
          )}
        </div>
      </header>
      {model.excludedReason && (
        <p className="cell-problem" role="note">
          Left out of its family: {model.excludedReason}
        </p>
      )}
      <dl className="model-facts">
        <Fact label="Architecture">{model.architecture ?? 'not declared'}</Fact>
        <Fact label="Size">
          {formatBytes(model.sizeBytes)}
          {card?.parameters ? ` · ${formatParameters(card.parameters)} parameters` : ''}
        </Fact>
        <Fact label="Context">{model.kind === 'text' ? `${formatTokens(model.contextLength)} tokens` : `${model.contextLength} prompt tokens`}</Fact>
        <Fact label="Origin">{card?.origin ?? 'not declared'}</Fact>
        <Fact label="Licence">{card?.licence ?? 'not declared: check where the folder came from'}</Fact>
        {card && card.data.length > 0 && <Fact label="Training data">{card.data.join('; ')}</Fact>}
        <Fact label="Folder">
          <span className="cell-path">{model.path}</span>
        </Fact>
      </dl>
      {card && <OperatingPoints model={model} card={card} />}
      {verify.isSuccess && (
        <p className={verify.data.ok ? 'inline-note' : 'inline-error'} role="status" data-testid={`model-verify-result-${model.id}`}>
          {verify.data.ok ? `All ${verify.data.files?.length ?? 0} files match their checksums.` : `Changed or missing: ${verify.data.files!.filter((file) => !file.ok).map((file) => file.file).join(', ')}.`}
        </p>
      )}
      {(verify.isError || remove.isError || reveal.isError) && (
        <p className="inline-error" role="alert">
          {(verify.error ?? remove.error ?? reveal.error)!.message}
        </p>
      )}
    </article>
  );
}
