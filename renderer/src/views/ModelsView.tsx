import { ImportModelField } from '../components/ImportModelField';
import { formatBytes, formatTokens } from '../format';
import { useModels } from '../state/queries';
import { ViewStatus } from './ViewStatus';

export function ModelsView() {
  const models = useModels();
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Models</h1>
          <p className="page-lede">Bundled students and the model folders you added. A folder in the Hugging Face ONNX layout works as it is.</p>
        </div>
      </header>
      <section className="card">
        <h2 className="panel-title">Add a model folder</h2>
        <ImportModelField testIdPrefix="models-import" />
      </section>
      {models.isPending && <ViewStatus>Loading models…</ViewStatus>}
      {models.isError && <ViewStatus error>{models.error.message}</ViewStatus>}
      {models.isSuccess && models.data.length === 0 && <ViewStatus>No models yet. Add a model folder above.</ViewStatus>}
      {models.isSuccess && models.data.length > 0 && (
        <div className="card table-card">
          <table className="data-table" data-testid="models-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Path</th>
                <th scope="col">Variants</th>
                <th scope="col" className="numeric">Size</th>
                <th scope="col" className="numeric">Context</th>
              </tr>
            </thead>
            <tbody>
              {models.data.map((model) => (
                <tr key={model.id}>
                  <td>
                    <div className="cell-title">{model.name}</div>
                    <div className="cell-sub">
                      {model.source}
                      {model.architecture ? ` · ${model.architecture}` : ''}
                    </div>
                    {model.excludedReason && (
                      <div className="cell-sub cell-problem" role="note">
                        Left out of its family: {model.excludedReason}
                      </div>
                    )}
                  </td>
                  <td>
                    <span className="chip chip-muted">{model.kind}</span>
                  </td>
                  <td className="cell-path" title={model.path}>
                    {model.path}
                  </td>
                  <td>
                    <div className="chip-row">
                      {model.variants.map((variant) => (
                        <span key={variant} className="chip">
                          {variant}
                        </span>
                      ))}
                    </div>
                  </td>
                  <td className="numeric">{formatBytes(model.sizeBytes)}</td>
                  <td className="numeric">{formatTokens(model.contextLength)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
