import { useState } from 'react';
import { useStudioConnection } from './api/StudioApiContext';
import { HostBanner } from './components/HostBanner';
import { Sidebar, type View } from './components/Sidebar';
import { TokenPage } from './components/TokenPage';
import { useModels } from './state/queries';
import { useStudioEvents } from './state/useStudioEvents';
import { CompareView } from './views/CompareView';
import { GenerateView } from './views/GenerateView';
import { ImagesView } from './views/ImagesView';
import { ModelsView } from './views/ModelsView';
import { SettingsView } from './views/SettingsView';

export function App() {
  const [view, setView] = useState<View>('generate');
  const live = useStudioEvents();
  const { transport } = useStudioConnection();
  const models = useModels();

  if (models.error?.code === 'unauthorized') return <TokenPage reason="refused" />;

  // Views stay mounted while hidden, so a prompt and a running job survive a visit to Settings.
  return (
    <div className="app">
      <Sidebar view={view} onNavigate={setView} transportKind={transport.kind} live={live} />
      <div className="workspace">
        <HostBanner live={live} />
        <div className="view" hidden={view !== 'generate'}>
          <GenerateView />
        </div>
        <div className="view" hidden={view !== 'images'}>
          <ImagesView />
        </div>
        <div className="view" hidden={view !== 'compare'}>
          <CompareView />
        </div>
        <div className="view view-scroll" hidden={view !== 'models'}>
          <ModelsView />
        </div>
        <div className="view view-scroll" hidden={view !== 'settings'}>
          <SettingsView />
        </div>
      </div>
    </div>
  );
}
