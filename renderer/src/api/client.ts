import { z } from 'zod';
import { API_METHOD_NAMES, ApiError, StudioEventSchema, apiMethods, type ApiMethod, type StudioApi, type StudioEvent } from '../../../native/contract';
import type { Transport } from './transport';

async function validatedCall(transport: Transport, method: ApiMethod, params: unknown): Promise<unknown> {
  const raw = await transport.call(method, params);
  const parsed = apiMethods[method].result.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError('internal', `The studio engine sent an invalid ${method} result: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** The typed API over any transport; every result is checked against its method's schema. */
export function createStudioApi(transport: Transport): StudioApi {
  const entries = API_METHOD_NAMES.map((method) => [method, (params?: unknown) => validatedCall(transport, method, params)]);
  // The per-method signatures are exactly what apiMethods promises, which TS cannot see through a mapped build.
  return Object.fromEntries(entries) as StudioApi;
}

/** Subscribes to host events; payloads that fail the contract are dropped with a warning. */
export function subscribeStudioEvents(
  transport: Transport,
  listener: (event: StudioEvent) => void,
  onConnectionChange?: (connected: boolean) => void,
): () => void {
  return transport.subscribe((payload) => {
    const parsed = StudioEventSchema.safeParse(payload);
    if (parsed.success) listener(parsed.data);
    else console.warn('[renderer/api] dropped an invalid event:', z.prettifyError(parsed.error), payload);
  }, onConnectionChange);
}
