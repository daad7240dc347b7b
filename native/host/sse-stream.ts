import type http from 'node:http';

/** A server-sent event stream on a response: the studio's event stream and the OpenAI API's streamed answers. */
export class SseStream {
  constructor(
    private readonly response: http.ServerResponse,
    headers: http.OutgoingHttpHeaders,
  ) {
    response.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    response.flushHeaders();
  }

  get ended(): boolean {
    return this.response.writableEnded;
  }

  /** One `data:` event carrying `payload` as JSON. */
  data(payload: unknown): void {
    this.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  /** A comment line, which clients ignore: keeps proxies and idle timers from closing the stream. */
  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  /** Ends the stream, after `last` (an already framed event) when given. */
  end(last?: string): void {
    if (!this.ended) this.response.end(last);
  }

  private write(frame: string): void {
    if (!this.ended) this.response.write(frame);
  }
}
