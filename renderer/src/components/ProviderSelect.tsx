import type { ExecutionProvider, ProviderInfo } from '../../../native/contract';
import { epLabel } from '../format';

/** Execution providers; unavailable ones stay listed but disabled, with the reason. */
export function ProviderSelect({ id, value, onChange, providers, testId }: { id: string; value: ExecutionProvider; onChange: (ep: ExecutionProvider) => void; providers: ProviderInfo[] | undefined; testId?: string }) {
  const listed = providers ?? [{ id: value, available: true, reason: null }];
  const selected = listed.find((provider) => provider.id === value);
  return (
    <>
      <select id={id} data-testid={testId} value={value} onChange={(event) => onChange(event.target.value as ExecutionProvider)}>
        {listed.map((provider) => (
          <option key={provider.id} value={provider.id} disabled={!provider.available} title={provider.reason ?? undefined}>
            {epLabel(provider.id)}
            {provider.available ? '' : ' (unavailable)'}
          </option>
        ))}
      </select>
      {selected && !selected.available && (
        <p className="field-hint field-hint-warn">
          {epLabel(selected.id)} is unavailable here{selected.reason ? `: ${selected.reason.replace(/\.$/, '')}` : ''}. Runs fall back to another provider.
        </p>
      )}
    </>
  );
}
