import { ImportModelField } from '../components/ImportModelField';
import { ModelCard } from '../models/ModelCard';
import { useModels } from '../state/queries';
import { ViewStatus } from './ViewStatus';

export function ModelsView() {
  const models = useModels();
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Models</h1>
          <p className="page-lede">
            Bundled students and the model folders you added. Folders in the Hugging Face ONNX layout and ONNX Runtime GenAI folders work as they are; each is checked
            (graph, weight files, a short test run) before it is added.
          </p>
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
        <div className="model-cards" data-testid="models-list">
          {models.data.map((model) => (
            <ModelCard key={model.id} model={model} />
          ))}
        </div>
      )}
    </div>
  );
}
