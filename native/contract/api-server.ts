import { z } from 'zod';

/** The local OpenAI-compatible API server the desktop app can run (off until turned on in Settings). */
export const ApiServerSettingsSchema = z.object({
  enabled: z.boolean(),
  /** A port on 127.0.0.1; the server never listens on another address. */
  port: z.number().int().min(1024, 'use a port from 1024 up').max(65_535),
});
export type ApiServerSettings = z.infer<typeof ApiServerSettingsSchema>;

/** What the API server is doing now, for the Settings view. */
export const ApiServerStatusSchema = z.object({
  /** False where this host cannot run one (a host the CLI builds for one command). */
  available: z.boolean(),
  running: z.boolean(),
  /** The base URL for OpenAI clients, e.g. http://127.0.0.1:5299/v1, while running. */
  baseUrl: z.string().nullable(),
  /** The API key for this launch, while running; a new one each time the server starts. */
  token: z.string().nullable(),
  /** Why it is not running although enabled (a port in use), or why it is unavailable. */
  problem: z.string().nullable(),
});
export type ApiServerStatus = z.infer<typeof ApiServerStatusSchema>;
