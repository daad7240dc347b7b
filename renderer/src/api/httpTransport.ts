import { ApiError, ApiErrorSchema, HTTP_ROUTES } from '../../../native/contract';
import type { Transport } from './transport';

type EventSourceLike = Pick<EventSource, 'close' | 'onmessage' | 'onerror' | 'onopen' | 'readyState'>;

/** EventSource.CLOSED: the stream gave up and will not reconnect by itself. */
const CLOSED = 2;
const REOPEN_MS = 2_000;

export interface HttpTransportOptions {
  token: string;
  fetch?: typeof fetch;
  openEventSource?: (url: string) => EventSourceLike;
}

/** The web-mode transport: `POST /api/<method>` with a bearer token, events over server-sent events. */
export function createHttpTransport({ token, fetch: fetchFn = globalThis.fetch.bind(globalThis), openEventSource = (url) => new EventSource(url) }: HttpTransportOptions): Transport {
  return {
    kind: 'http',
    async call(method, params) {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      const init: RequestInit = { method: 'POST', headers };
      if (params !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(params);
      }
      let response: Response;
      try {
        response = await fetchFn(`${HTTP_ROUTES.callPrefix}${method}`, init);
      } catch {
        throw new ApiError('internal', 'Cannot reach the studio server. Is `pareto serve` still running?');
      }
      if (!response.ok) throw await errorFromResponse(response);
      try {
        return await response.json();
      } catch {
        throw new ApiError('internal', `The studio server sent a ${method} result that is not JSON.`);
      }
    },
    subscribe(listener, onConnectionChange) {
      const url = `${HTTP_ROUTES.events}?${HTTP_ROUTES.tokenQuery}=${encodeURIComponent(token)}`;
      let source: EventSourceLike;
      let reopen: ReturnType<typeof setTimeout> | undefined;
      let unsubscribed = false;
      const open = () => {
        source = openEventSource(url);
        source.onopen = () => onConnectionChange?.(true);
        source.onerror = () => {
          onConnectionChange?.(false);
          // EventSource retries a dropped connection by itself, but gives up for good when an answer is not a
          // stream (a restarting server's error page): then we open a new one, so the tab reconnects.
          if (source.readyState === CLOSED && !unsubscribed) reopen = setTimeout(open, REOPEN_MS);
        };
        source.onmessage = (message: MessageEvent<string>) => {
          let payload: unknown;
          try {
            payload = JSON.parse(message.data);
          } catch {
            console.warn('[renderer/api] dropped an event that is not JSON:', message.data);
            return;
          }
          listener(payload);
        };
      };
      open();
      return () => {
        unsubscribed = true;
        clearTimeout(reopen);
        source.close();
      };
    },
  };
}

/** Maps a non-2xx response to an ApiError, keeping the server's message when it sent one. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy page, an empty body): fall through to a message built from the status.
  }
  const parsed = ApiErrorSchema.safeParse((body as { error?: unknown } | null)?.error);
  if (parsed.success) return new ApiError(parsed.data.code, parsed.data.message);
  if (response.status === 401 || response.status === 403) {
    return new ApiError('unauthorized', 'The studio server refused this page’s token. Open the URL printed by `pareto serve` again.');
  }
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return new ApiError(response.status === 404 ? 'not_found' : 'internal', `The studio server answered ${status}.`);
}
