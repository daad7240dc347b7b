import { useState } from 'react';
import { useStudioConnection } from './api/StudioApiContext';
import { DataNotices } from './components/DataNotices';
import { HostBanner } from './components/HostBanner';
import { useModelFolderImport } from './components/ModelFolderImport';
import { PngDropZone } from './components/PngDropZone';
import { Sidebar, type View } from './components/Sidebar';
import { TokenPage } from './components/TokenPage';
import { useModels } from './state/queries';
import { RestoreChannel, type Restore } from './state/restore';
import { useStudioEvents } from './state/useStudioEvents';
import type { ShortcutScope } from './state/useShortcuts';
import { CompareView } from './views/CompareView';
import { GenerateView } from './views/GenerateView';
import { HistoryView } from './views/HistoryView';
import { ImagesView } from './views/ImagesView';
import { ModelsView } from './views/ModelsView';
import { ReportView } from './views/ReportView';
import { SettingsView } from './views/SettingsView';

/** The views that run jobs; the others leave Esc to whichever of these is running. */
const JOB_VIEWS: readonly View[] = ['generate', 'images'];

export function App() {
  const [view, setView] = useState<View>('generate');
  const [restores] = useState(() => new RestoreChannel());
  const live = useStudioEvents();
  const { transport } = useStudioConnection();
  const models = useModels();
  const { desktop } = transport;
  const folderImport = useModelFolderImport(desktop, () => setView('models'));

  if (models.error?.code === 'unauthorized') return <TokenPage reason="refused" />;

  const shortcuts = (own: View): ShortcutScope => (view === own ? 'foreground' : JOB_VIEWS.includes(view) ? 'off' : 'background');
  function reopen(restore: Restore) {
    setView(restore.kind === 'text' ? 'generate' : 'images');
    restores.publish(restore);
  }

  // Views stay mounted while hidden, so a prompt and a running job survive a visit to Settings.
  return (
    <PngDropZone className="app" onParameters={reopen} onModelFolder={desktop && ((folder) => folderImport.importFolder(desktop.pathForFile(folder)))}>
      <Sidebar view={view} onNavigate={setView} transportKind={transport.kind} live={live} />
      <main className="workspace">
        <HostBanner live={live} />
        <DataNotices />
        {folderImport.banner}
        <div className="view" hidden={view !== 'generate'}>
          <GenerateView restores={restores} shortcuts={shortcuts('generate')} />
        </div>
        <div className="view" hidden={view !== 'images'}>
          <ImagesView restores={restores} shortcuts={shortcuts('images')} />
        </div>
        <div className="view view-scroll" hidden={view !== 'history'}>
          <HistoryView onReopen={reopen} />
        </div>
        <div className="view" hidden={view !== 'compare'}>
          <CompareView />
        </div>
        <div className="view view-scroll" hidden={view !== 'models'}>
          <ModelsView />
        </div>
        <div className="view view-scroll" hidden={view !== 'report'}>
          <ReportView />
        </div>
        <div className="view view-scroll" hidden={view !== 'settings'}>
          <SettingsView />
        </div>
      </main>
    </PngDropZone>
  );
}
