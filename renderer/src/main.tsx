import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { chooseTransport } from './api/chooseTransport';
import { createStudioApi } from './api/client';
import { StudioApiProvider } from './api/StudioApiContext';
import { TokenPage } from './components/TokenPage';
import './styles/base.css';
import './styles/shell.css';
import './styles/generate.css';
import './styles/images.css';
import './styles/compare.css';
import './styles/pages.css';
import './styles/history.css';
import './styles/report.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element.');
const root = createRoot(container);
const choice = chooseTransport();

if (choice.transport === null) {
  root.render(<TokenPage reason={choice.reason} />);
} else {
  const connection = { transport: choice.transport, api: createStudioApi(choice.transport) };
  // The host is local and its data changes only through this app's own mutations or a restart,
  // so nothing goes stale on a timer and failures are shown rather than retried.
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false, refetchOnWindowFocus: false } } });
  root.render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <StudioApiProvider connection={connection}>
          <App />
        </StudioApiProvider>
      </QueryClientProvider>
    </StrictMode>,
  );
}
