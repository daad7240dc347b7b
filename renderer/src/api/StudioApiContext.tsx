import { createContext, useContext, type ReactNode } from 'react';
import type { StudioApi } from '../../../native/contract';
import type { Transport } from './transport';

export interface StudioConnection {
  api: StudioApi;
  transport: Transport;
}

const StudioApiContext = createContext<StudioConnection | null>(null);

export function StudioApiProvider({ connection, children }: { connection: StudioConnection; children: ReactNode }) {
  return <StudioApiContext value={connection}>{children}</StudioApiContext>;
}

export function useStudioConnection(): StudioConnection {
  const connection = useContext(StudioApiContext);
  if (!connection) throw new Error('useStudioConnection must be used inside <StudioApiProvider>.');
  return connection;
}

export function useStudioApi(): StudioApi {
  return useStudioConnection().api;
}
