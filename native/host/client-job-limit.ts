import type http from 'node:http';
import { ApiError, type StudioEvent } from '../contract';

/** The events that end a job or a comparison. */
const FINAL_EVENTS = new Set<StudioEvent['type']>(['done', 'image-done', 'compare-done', 'error']);

/**
 * How many jobs each web client has queued or running, so that one client cannot fill the queue for
 * everyone: past the cap a new job is refused (429) until one of its own ends. A client is its address and
 * user agent (every client of the web mode comes from loopback).
 */
export class ClientJobLimit {
  private readonly held = new Map<string, Set<string>>();
  private readonly clientOfJob = new Map<string, string>();

  constructor(readonly max: number) {}

  static clientOf(request: http.IncomingMessage): string {
    return `${request.socket.remoteAddress ?? ''} ${request.headers['user-agent'] ?? ''}`;
  }

  /** Refuses a new job from a client that is at its cap. */
  admit(client: string): void {
    if ((this.held.get(client)?.size ?? 0) < this.max) return;
    throw new ApiError('busy', `This client already has ${this.max} jobs queued or running: wait for one to finish, or cancel one, then try again.`);
  }

  /** Counts a job (or a request that runs jobs) against its client until `release` is called. */
  hold(client: string, id: string): () => void {
    const ids = this.held.get(client) ?? new Set<string>();
    ids.add(id);
    this.held.set(client, ids);
    this.clientOfJob.set(id, client);
    return () => this.release(id);
  }

  /** Releases a job when the host says it ended. */
  observe(event: StudioEvent): void {
    if (event.type !== 'host' && FINAL_EVENTS.has(event.type)) this.release(event.jobId);
  }

  private release(id: string): void {
    const client = this.clientOfJob.get(id);
    if (client === undefined) return;
    this.clientOfJob.delete(id);
    const ids = this.held.get(client)!;
    ids.delete(id);
    if (ids.size === 0) this.held.delete(client);
  }
}
