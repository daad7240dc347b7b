import { useState, type CSSProperties, type FormEvent } from 'react';
import { SettingsPatchSchema, type EnergyControllerSettings, type ExecutionProvider, type Settings, type SettingsPatch } from '../../../native/contract';
import { useStudioConnection } from '../api/StudioApiContext';
import { ApiServerCard } from '../components/ApiServerCard';
import { CalibrationLine, useLambdaPreview } from '../components/LambdaPreview';
import { UpdatesCard } from '../components/UpdatesCard';
import { EnergyReadersList } from '../components/EnergyReadersList';
import { ProviderSelect } from '../components/ProviderSelect';
import { fieldLabel, formatLambda, lambdaWord } from '../format';
import { bundledFamily } from '../generate/modelChoice';
import { useModels, useProviders, useSettings, useUpdateSettings } from '../state/queries';
import { ViewStatus } from './ViewStatus';

export function SettingsView() {
  const settings = useSettings();
  const update = useUpdateSettings();
  const { transport } = useStudioConnection();
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Settings</h1>
          <p className="page-lede">Defaults for new generations. The Generate panel starts from these and can override them per run.</p>
        </div>
      </header>
      {settings.isPending && <ViewStatus>Loading settings…</ViewStatus>}
      {settings.isError && <ViewStatus error>{settings.error.message}</ViewStatus>}
      {/* Keyed on the saved values so the form restarts from whatever the host now holds. */}
      {settings.isSuccess && <SettingsForm key={JSON.stringify(settings.data)} settings={settings.data} update={update} />}
      {settings.isSuccess && <CalibrationCard settings={settings.data} />}
      {settings.isSuccess && <ApiServerCard settings={settings.data} />}
      {settings.isSuccess && transport.kind === 'ipc' && <UpdatesCard settings={settings.data} />}
    </div>
  );
}

interface Draft {
  defaultModel: string;
  lambda: string;
  presets: { name: string; lambda: string }[];
  ep: ExecutionProvider;
  maxNewTokens: string;
  temperature: string;
  topK: string;
  topP: string;
  /** Blank lets the engine use every core. */
  threads: string;
  graphOptimizationLevel: Settings['graphOptimizationLevel'];
  sessionCacheMb: string;
  historyLimit: string;
  energy: EnergyDraft;
}

/** The controller's fields as typed; a blank target is off. */
interface EnergyDraft {
  enabled: boolean;
  batteryLambdaShift: string;
  latencyMsPerToken: string;
  latencySPerImage: string;
  energyJPerToken: string;
  energyJPerImage: string;
}

const ENERGY_TARGETS = ['latencyMsPerToken', 'latencySPerImage', 'energyJPerToken', 'energyJPerImage'] as const;
const optionalText = (value: number | null) => (value === null ? '' : String(value));
const optionalNumber = (text: string) => (text.trim() === '' ? null : Number(text));

function energyDraft(controller: EnergyControllerSettings): EnergyDraft {
  return {
    enabled: controller.enabled,
    batteryLambdaShift: String(controller.batteryLambdaShift),
    ...(Object.fromEntries(ENERGY_TARGETS.map((field) => [field, optionalText(controller[field])])) as Record<(typeof ENERGY_TARGETS)[number], string>),
  };
}

function controllerFromDraft(draft: EnergyDraft): EnergyControllerSettings {
  return {
    enabled: draft.enabled,
    batteryLambdaShift: Number(draft.batteryLambdaShift),
    ...(Object.fromEntries(ENERGY_TARGETS.map((field) => [field, optionalNumber(draft[field])])) as Record<(typeof ENERGY_TARGETS)[number], number | null>),
  };
}

const OPTIMIZATION_LEVELS: Settings['graphOptimizationLevel'][] = ['disabled', 'basic', 'extended', 'all'];

function draftFromSettings(settings: Settings): Draft {
  return {
    defaultModel: settings.defaultModel ?? '',
    lambda: String(settings.lambda),
    presets: settings.lambdaPresets.map((preset) => ({ name: preset.name, lambda: String(preset.lambda) })),
    ep: settings.ep,
    maxNewTokens: String(settings.maxNewTokens),
    temperature: String(settings.temperature),
    topK: String(settings.topK),
    topP: String(settings.topP),
    threads: settings.threads === null ? '' : String(settings.threads),
    graphOptimizationLevel: settings.graphOptimizationLevel,
    sessionCacheMb: String(settings.sessionCacheMb),
    historyLimit: String(settings.historyLimit),
    energy: energyDraft(settings.energyController),
  };
}

function patchFromDraft(draft: Draft): { patch: SettingsPatch } | { message: string } {
  const parsed = SettingsPatchSchema.safeParse({
    defaultModel: draft.defaultModel || null,
    lambda: Number(draft.lambda),
    lambdaPresets: draft.presets.map((preset) => ({ name: preset.name, lambda: preset.lambda.trim() === '' ? Number.NaN : Number(preset.lambda) })),
    ep: draft.ep,
    maxNewTokens: Number(draft.maxNewTokens),
    temperature: Number(draft.temperature),
    topK: Number(draft.topK),
    topP: Number(draft.topP),
    threads: draft.threads.trim() === '' ? null : Number(draft.threads),
    graphOptimizationLevel: draft.graphOptimizationLevel,
    sessionCacheMb: Number(draft.sessionCacheMb),
    historyLimit: Number(draft.historyLimit),
    energyController: controllerFromDraft(draft.energy),
  });
  if (parsed.success) return { patch: parsed.data };
  const issue = parsed.error.issues[0];
  return { message: `${fieldLabel(String(issue?.path.at(-1) ?? ''))}: ${issue?.message ?? 'invalid value'}.` };
}

function SettingsForm({ settings, update }: { settings: Settings; update: ReturnType<typeof useUpdateSettings> }) {
  const models = useModels();
  const providers = useProviders();
  const [draft, setDraft] = useState(() => draftFromSettings(settings));
  const [invalid, setInvalid] = useState<string | null>(null);
  const edit = (patch: Partial<Draft>) => {
    setDraft((current) => ({ ...current, ...patch }));
    if (!update.isIdle) update.reset();
  };
  const editEnergy = (patch: Partial<EnergyDraft>) => edit({ energy: { ...draft.energy, ...patch } });

  function save(event: FormEvent) {
    event.preventDefault();
    const built = patchFromDraft(draft);
    setInvalid('message' in built ? built.message : null);
    if ('patch' in built) update.mutate(built.patch);
  }

  const textModels = (models.data ?? []).filter((model) => model.kind === 'text');
  const family = bundledFamily(textModels);
  const lambda = Number(draft.lambda);
  const error = invalid ?? update.error?.message ?? null;
  return (
    <form className="card settings-form" onSubmit={save}>
      <h2 className="panel-title">Model and hardware</h2>
      <div className="form-grid">
        <label className="field-label" htmlFor="settings-default-model">
          Default model
        </label>
        <select id="settings-default-model" value={draft.defaultModel} onChange={(event) => edit({ defaultModel: event.target.value })}>
          <option value="">{family ? `Auto (λ) — ${family} family` : 'First available model'}</option>
          {textModels.map((model) => (
            <option key={model.id} value={model.id}>
              {model.name}
            </option>
          ))}
        </select>
        <label className="field-label" htmlFor="settings-ep">
          Execution provider
        </label>
        <div>
          <ProviderSelect id="settings-ep" value={draft.ep} onChange={(ep) => edit({ ep })} providers={providers.data} />
        </div>
      </div>

      <h2 className="panel-title">Quality ↔ efficiency</h2>
      <div className="form-grid">
        <label className="field-label" htmlFor="settings-lambda">
          Slider position (λ)
        </label>
        <div className="settings-lambda">
          <div className="settings-lambda-track">
            <span className="tradeoff-end">Efficiency</span>
            <input id="settings-lambda" data-testid="settings-lambda" className="lambda-range" type="range" min={0} max={1} step={0.05} value={draft.lambda} style={{ '--fill': `${lambda * 100}%` } as CSSProperties} onChange={(event) => edit({ lambda: event.target.value })} />
            <span className="tradeoff-end">Quality</span>
            <output className="settings-lambda-value" htmlFor="settings-lambda" data-testid="settings-lambda-value">
              {formatLambda(lambda)} · {lambdaWord(lambda)}
            </output>
          </div>
          <p className="field-hint">
            {family
              ? `The slider’s saved position. λ picks the model, precision and depth in the ${family} family: 0 = most efficient, 1 = best quality.`
              : 'The slider’s saved position. It applies once a model family with measured quality (pareto.json) is installed.'}
          </p>
        </div>
        <span className="field-label">Presets</span>
        <PresetRows presets={draft.presets} onChange={(presets) => edit({ presets })} />
      </div>

      <h2 className="panel-title">Sampling defaults</h2>
      <div className="form-grid">
        <NumberRow id="settings-max-new-tokens" label="Max new tokens" value={draft.maxNewTokens} min={1} max={32768} step={1} onChange={(maxNewTokens) => edit({ maxNewTokens })} />
        <NumberRow id="settings-temperature" label="Temperature" value={draft.temperature} min={0.05} max={10} step={0.05} onChange={(temperature) => edit({ temperature })} />
        <NumberRow id="settings-top-k" label="Top-k" value={draft.topK} min={0} step={1} onChange={(topK) => edit({ topK })} />
        <NumberRow id="settings-top-p" label="Top-p" value={draft.topP} min={0.01} max={1} step={0.01} onChange={(topP) => edit({ topP })} />
      </div>

      <h2 className="panel-title">Engine</h2>
      <div className="form-grid">
        <NumberRow id="settings-threads" label="Threads" value={draft.threads} min={1} max={256} step={1} placeholder="all cores" onChange={(threads) => edit({ threads })} />
        <label className="field-label" htmlFor="settings-graph-optimization">
          Graph optimization
        </label>
        <select id="settings-graph-optimization" value={draft.graphOptimizationLevel} onChange={(event) => edit({ graphOptimizationLevel: event.target.value as Draft['graphOptimizationLevel'] })}>
          {OPTIMIZATION_LEVELS.map((level) => (
            <option key={level} value={level}>
              {level}
            </option>
          ))}
        </select>
        <NumberRow id="settings-session-cache" label="Session cache (MB)" value={draft.sessionCacheMb} min={64} step={64} onChange={(sessionCacheMb) => edit({ sessionCacheMb })} />
      </div>

      <h2 className="panel-title">History</h2>
      <div className="form-grid">
        <NumberRow id="settings-history-limit" label="Outputs kept" value={draft.historyLimit} min={1} max={100000} step={1} onChange={(historyLimit) => edit({ historyLimit })} />
        <p className="field-hint form-grid-note">Every story and image is kept in the data folder; past this many, the oldest are dropped with their files.</p>
      </div>

      <h2 className="panel-title">Energy</h2>
      <EnergyReadersList />
      <div className="form-grid">
        <label className="field-label" htmlFor="settings-energy-controller">
          Energy-aware controller
        </label>
        <div>
          <label className="checkbox-row">
            <input id="settings-energy-controller" data-testid="settings-energy-controller" type="checkbox" checked={draft.energy.enabled} onChange={(event) => editEnergy({ enabled: event.target.checked })} />
            Hold a budget between runs by moving λ and precision
          </label>
          <p className="field-hint">Off by default. Where λ chooses the model, it moves the operating point before each run from what this device measured, and the run says what it changed and why.</p>
        </div>
        <NumberRow id="settings-battery-shift" label="On battery, λ toward efficiency by" value={draft.energy.batteryLambdaShift} min={0} max={1} step={0.05} onChange={(batteryLambdaShift) => editEnergy({ batteryLambdaShift })} />
        <NumberRow id="settings-latency-ms-per-token" label="Latency target (ms/token)" value={draft.energy.latencyMsPerToken} min={0} step="any" placeholder="off" onChange={(latencyMsPerToken) => editEnergy({ latencyMsPerToken })} />
        <NumberRow id="settings-latency-s-per-image" label="Latency target (s/image)" value={draft.energy.latencySPerImage} min={0} step="any" placeholder="off" onChange={(latencySPerImage) => editEnergy({ latencySPerImage })} />
        <NumberRow id="settings-energy-j-per-token" label="Energy target (J/token)" value={draft.energy.energyJPerToken} min={0} step="any" placeholder="off" onChange={(energyJPerToken) => editEnergy({ energyJPerToken })} />
        <NumberRow id="settings-energy-j-per-image" label="Energy target (J/image)" value={draft.energy.energyJPerImage} min={0} step="any" placeholder="off" onChange={(energyJPerImage) => editEnergy({ energyJPerImage })} />
      </div>

      <div className="form-actions">
        {error && (
          <p className="inline-error" role="alert">
            {error}
          </p>
        )}
        {update.isSuccess && !error && <p className="inline-note">Saved.</p>}
        <button type="submit" className="button button-primary" title="Save these defaults" disabled={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save defaults'}
        </button>
      </div>
    </form>
  );
}

function NumberRow({ id, label, value, onChange, ...limits }: { id: string; label: string; value: string; onChange: (value: string) => void; min?: number; max?: number; step?: number | 'any'; placeholder?: string }) {
  return (
    <>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <input id={id} type="number" value={value} onChange={(event) => onChange(event.target.value)} {...limits} />
    </>
  );
}

const MAX_PRESETS = 12;

/** Named slider positions, shown as chips beside both sliders. */
function PresetRows({ presets, onChange }: { presets: Draft['presets']; onChange: (presets: Draft['presets']) => void }) {
  const set = (index: number, patch: Partial<Draft['presets'][number]>) => onChange(presets.map((preset, i) => (i === index ? { ...preset, ...patch } : preset)));
  return (
    <div className="settings-presets" data-testid="settings-presets">
      {presets.map((preset, index) => (
        <div className="settings-preset" key={index}>
          <input type="text" aria-label={`Preset ${index + 1} name`} value={preset.name} maxLength={40} onChange={(event) => set(index, { name: event.target.value })} />
          <input type="number" aria-label={`Preset ${index + 1} λ`} value={preset.lambda} min={0} max={1} step={0.05} onChange={(event) => set(index, { lambda: event.target.value })} />
          <button type="button" className="button button-quiet" title={`Remove ${preset.name || 'this preset'}`} onClick={() => onChange(presets.filter((_, i) => i !== index))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="button button-quiet" disabled={presets.length >= MAX_PRESETS} onClick={() => onChange([...presets, { name: '', lambda: '0.5' }])}>
        Add preset
      </button>
    </div>
  );
}

function FamilyCalibration({ kind, settings }: { kind: 'text' | 'image'; settings: Settings }) {
  const live = useLambdaPreview({ kind, lambda: settings.lambda, fixed: {}, ep: settings.ep, enabled: true });
  if (live.error) return <p className="field-hint">{live.error}</p>;
  return (
    <>
      <span className="field-label">{live.preview ? `${live.preview.family} (${kind})` : kind}</span>
      <CalibrationLine idPrefix={`settings-${kind}-`} live={live} progress={live.progress} />
    </>
  );
}

/** When each bundled family was timed on this device, and a button to time it again (a few seconds). */
function CalibrationCard({ settings }: { settings: Settings }) {
  return (
    <section className="card settings-form" aria-label="Calibration">
      <h2 className="panel-title">Calibration</h2>
      <p className="field-hint">λ compares the points of a family by what they cost on this device, timed together in one interleaved batch. Recalibrate after changing threads or hardware, or when the machine is quieter.</p>
      <div className="form-grid">
        <FamilyCalibration kind="text" settings={settings} />
        <FamilyCalibration kind="image" settings={settings} />
      </div>
    </section>
  );
}
