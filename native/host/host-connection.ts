import type { ApiMethod, ApiParams, ApiResult, StudioEvent } from '../contract';

/**
 * What a front door (the web server, the OpenAI-compatible API, the CLI) needs of the host: calls that
 * resolve with the result or reject with an ApiError, and the one event stream. The in-process
 * `StudioHost` and the supervised child process (`SupervisedHost`) both are one.
 */
export interface HostConnection {
  call(method: string, params: unknown): Promise<unknown>;
  onEvent(listener: (event: StudioEvent) => void): () => void;
}

/** The typed form of `call`. */
export async function invoke<M extends ApiMethod>(host: HostConnection, method: M, ...params: ApiParams<M> extends undefined ? [] : [ApiParams<M>]): Promise<ApiResult<M>> {
  return (await host.call(method, params[0])) as ApiResult<M>;
}
