import type { ReactNode } from 'react';
import type { StudioLiveStatus } from '../state/useStudioEvents';
import { ChartIcon, ClockIcon, ColumnsIcon, CubeIcon, GearIcon, ImageIcon, LogoIcon, SparkIcon } from './icons';

export type View = 'generate' | 'images' | 'compare' | 'history' | 'models' | 'report' | 'settings';

const NAV: { view: View; label: string; icon: ReactNode }[] = [
  { view: 'generate', label: 'Generate', icon: <SparkIcon /> },
  { view: 'images', label: 'Images', icon: <ImageIcon /> },
  { view: 'compare', label: 'Compare', icon: <ColumnsIcon /> },
  { view: 'history', label: 'History', icon: <ClockIcon /> },
  { view: 'models', label: 'Models', icon: <CubeIcon /> },
  { view: 'report', label: 'Report', icon: <ChartIcon /> },
  { view: 'settings', label: 'Settings', icon: <GearIcon /> },
];

function engineLabel({ host, connected }: StudioLiveStatus): { text: string; tone: 'ok' | 'warn' | 'bad' } {
  if (!connected) return { text: 'Reconnecting…', tone: 'warn' };
  if (host?.status === 'crashed') return { text: 'Engine stopped', tone: 'bad' };
  if (host?.status === 'restarting') return { text: 'Engine restarting', tone: 'warn' };
  return { text: 'Engine ready', tone: 'ok' };
}

export function Sidebar({ view, onNavigate, transportKind, live }: { view: View; onNavigate: (view: View) => void; transportKind: 'ipc' | 'http'; live: StudioLiveStatus }) {
  const engine = engineLabel(live);
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="sidebar-brand">
        <LogoIcon width={20} height={20} className="sidebar-logo" />
        <span>Pareto Studio</span>
      </div>
      <ul className="sidebar-nav">
        {NAV.map((item) => (
          <li key={item.view}>
            <button type="button" className="nav-item" data-testid={`${item.view}-nav`} aria-current={view === item.view ? 'page' : undefined} title={item.label} onClick={() => onNavigate(item.view)}>
              {item.icon}
              {item.label}
            </button>
          </li>
        ))}
      </ul>
      <div className="sidebar-footer">
        <span className={`status-dot status-${engine.tone}`} aria-hidden="true" />
        <span>{engine.text}</span>
        <span className="sidebar-mode" title={transportKind === 'ipc' ? 'Desktop app' : 'Web mode on this computer only (127.0.0.1)'}>
          {transportKind === 'ipc' ? 'Desktop' : 'Web · local'}
        </span>
      </div>
    </nav>
  );
}
