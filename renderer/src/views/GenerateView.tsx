import { useState } from 'react';
import type { Settings } from '../../../native/contract';
import { GenerationSettingsPanel } from '../components/GenerationSettingsPanel';
import { PlayIcon, StopIcon } from '../components/icons';
import { ImportModelField } from '../components/ImportModelField';
import { ModelPicker } from '../components/ModelPicker';
import { OutputPanel, type Run } from '../components/OutputPanel';
import { ProfilerStrip } from '../components/ProfilerStrip';
import { TradeoffSlider } from '../components/TradeoffSlider';
import { formatOperatingPoint } from '../format';
import { buildTextRequest, fitFormToKnobs, formFromRequest, formFromSettings, type GenerationForm } from '../generate/generationForm';
import { AUTO_MODEL, bundledFamily, lambdaFamily, lambdaOffReason, offeredKnobs, requestTarget, resolveModelChoice } from '../generate/modelChoice';
import { isJobActive } from '../state/jobState';
import { useCancelJob, useJob, useModels, useProviders, useSettings, useStartTextJob } from '../state/queries';
import { useLambda } from '../state/useLambda';
import { useEarlyStop } from '../state/useEarlyStop';
import { useRestores, type RestoreChannel } from '../state/restore';
import { useShortcuts, type ShortcutScope } from '../state/useShortcuts';
import { ViewStatus } from './ViewStatus';

interface ViewProps {
  /** Reopened stories arrive here. */
  restores: RestoreChannel;
  shortcuts: ShortcutScope;
}

export function GenerateView(props: ViewProps) {
  const settings = useSettings();
  if (settings.isPending) return <ViewStatus>Loading settings…</ViewStatus>;
  if (settings.isError) return <ViewStatus error>{settings.error.message}</ViewStatus>;
  return <GenerateWorkspace settings={settings.data} {...props} />;
}

function GenerateWorkspace({ settings, restores, shortcuts }: ViewProps & { settings: Settings }) {
  const models = useModels();
  const providers = useProviders();
  const textModels = (models.data ?? []).filter((model) => model.kind === 'text');
  const [chosenModel, setChosenModel] = useState<string | null>(null);
  const choice = resolveModelChoice(textModels, chosenModel, settings.defaultModel);
  const autoFamily = bundledFamily(textModels);
  const family = lambdaFamily(choice);
  const knobs = offeredKnobs(choice);
  const { lambda, change: changeLambda, saveError } = useLambda(settings.lambda);
  const [prompt, setPrompt] = useState('');
  const [editedForm, setForm] = useState<GenerationForm>(() => formFromSettings(settings));
  // A knob picked for one model falls back to "λ decides" when another model cannot run it.
  const form = fitFormToKnobs(editedForm, knobs);
  const [run, setRun] = useState<Run | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const startJob = useStartTextJob();
  const cancelJob = useCancelJob();
  const earlyStop = useEarlyStop();
  const job = useJob(run?.jobId ?? null);
  const active = startJob.isPending || isJobActive(job);

  function generate() {
    if (active) return;
    const target = requestTarget(choice, lambda);
    const built = buildTextRequest(target, prompt, form);
    setFormError(built.ok ? null : built.message);
    if (!built.ok) return;
    cancelJob.reset();
    earlyStop.reset();
    const submitted: Run = { jobId: null, prompt, requestedEp: form.ep, lambda: target?.lambda ?? null };
    setRun(submitted);
    startJob.mutate(built.request, {
      onSuccess: ({ jobId }) => {
        setRun({ ...submitted, jobId });
        if (earlyStop.arrived()) cancelJob.mutate(jobId);
      },
    });
  }

  function stop() {
    if (run?.jobId) cancelJob.mutate(run.jobId);
    else if (startJob.isPending) earlyStop.request();
  }

  useShortcuts(shortcuts, { generate, stop: () => active && stop() });

  // A reopened story: its prompt, model (or Auto), λ and every knob; the next Generate asks for it again.
  useRestores(restores, 'text', ({ request, prompt: restoredPrompt }) => {
    const known = request.model && textModels.find((model) => model.id === request.model || model.path === request.model);
    setChosenModel(known ? known.id : AUTO_MODEL);
    if (request.lambda !== undefined) changeLambda(request.lambda);
    setPrompt(restoredPrompt);
    setForm(formFromRequest(request, formFromSettings(settings)));
    setFormError(known || !request.model ? null : `The model "${request.model}" is no longer installed; the bundled family runs instead.`);
  });

  const selected = job?.config?.operatingPoint ?? null;
  const check = selected && job?.result ? { predicted: selected.msPerTokenRange && { median: selected.msPerToken, ...selected.msPerTokenRange }, measured: job.result.metrics.msPerToken, unit: 'ms/token' as const } : null;
  // Knobs set by hand under Auto narrow λ's choice; the preview narrows the same way.
  const fixed = { precision: form.precision && !form.dynamicPrecision ? form.precision : undefined, depth: form.depth ? Number(form.depth) : undefined };
  const errorMessage = formError ?? startJob.error?.message ?? job?.error ?? cancelJob.error?.message ?? null;

  return (
    <div className="generate-view">
      <header className="toolbar">
        <ModelPicker models={textModels} choice={choice} autoFamily={autoFamily} onChange={setChosenModel} emptyLabel={models.isPending ? 'Loading models…' : models.isError ? 'Models could not be listed' : 'No text models — add a model folder'} />
        <ImportModelField onImported={(model) => model.kind === 'text' && setChosenModel(model.id)} />
      </header>
      {models.isError && (
        <p className="error-line toolbar-error" role="alert">
          {models.error.message}
        </p>
      )}

      <div className="generate-body">
        <div className="compose">
          <TradeoffSlider
            kind="text"
            lambda={lambda}
            onChange={changeLambda}
            presets={settings.lambdaPresets}
            family={family}
            knobs="model, precision and depth"
            disabledReason={models.isSuccess ? lambdaOffReason(choice, autoFamily, { knobs: 'model, precision and depth', none: 'Add a model folder to generate; λ needs a model family with measured quality.' }) : null}
            fixed={fixed}
            ep={form.ep}
            selected={selected}
            check={check}
            formatPoint={formatOperatingPoint}
            choosing={startJob.isPending && run?.lambda !== null}
            saveError={saveError}
          />
          <div className="prompt-box">
            <label className="visually-hidden" htmlFor="prompt-input">
              Prompt
            </label>
            <textarea id="prompt-input" data-testid="prompt-input" placeholder="Once upon a time, in a small town by the sea…" value={prompt} onChange={(event) => setPrompt(event.target.value)} spellCheck />
            <div className="prompt-actions">
              <span className="shortcut-hint">
                <kbd>Ctrl</kbd>/<kbd>⌘</kbd> + <kbd>Enter</kbd> to generate
              </span>
              <button type="button" className="button button-danger" data-testid="stop-button" title="Stop the running generation" onClick={stop} disabled={!active || cancelJob.isPending || earlyStop.pending}>
                <StopIcon />
                Stop
              </button>
              <button type="button" className="button button-primary" data-testid="generate-button" title="Generate a continuation (Ctrl/Cmd+Enter)" onClick={generate} disabled={active || choice.kind === 'none'}>
                <PlayIcon />
                {active ? 'Generating…' : 'Generate'}
              </button>
            </div>
          </div>
          <OutputPanel run={run} job={job} active={active} errorMessage={errorMessage} />
        </div>
        <GenerationSettingsPanel form={form} onChange={(patch) => setForm((current) => ({ ...current, ...patch }))} onReset={() => setForm(formFromSettings(settings))} providers={providers.data} knobs={knobs} lambdaActive={family !== null} scope={family !== null ? 'family' : 'model'} />
      </div>

      <ProfilerStrip job={job} />
    </div>
  );
}
