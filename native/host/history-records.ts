import type { HistoryEntry, ImageOperatingPoint, ImageResult, ResolvedImageGenerationRequest, ResolvedTextGenerationRequest, TextResult } from '../contract';

/** The words a story was asked for: its prompt, or a chat's last user message. */
function textPrompt(request: ResolvedTextGenerationRequest): string {
  return request.prompt ?? request.messages?.findLast((message) => message.role === 'user')?.content ?? '';
}

/** A finished story as history keeps it: the request as made (λ and all), what ran, and what it cost. */
export function textHistoryEntry(jobId: string, request: ResolvedTextGenerationRequest, model: string, result: TextResult): HistoryEntry {
  const { text, finishReason, config, metrics } = result;
  return { kind: 'text', id: jobId, createdAt: new Date().toISOString(), model, prompt: textPrompt(request), request, text, finishReason, config, metrics };
}

/** A finished image as history keeps it, and its PNG's bytes (stored as a file beside the index). */
export function imageHistoryEntry(
  jobId: string,
  request: ResolvedImageGenerationRequest,
  model: string,
  result: ImageResult,
  operatingPoint: ImageOperatingPoint | null,
): { entry: HistoryEntry; png: Uint8Array } {
  const { png, width, height, parameters, parametersText, ep, cfg, metrics } = result;
  const entry: HistoryEntry = { kind: 'image', id: jobId, createdAt: new Date().toISOString(), model, prompt: request.prompt, request, width, height, parameters, parametersText, operatingPoint, ep, cfg, metrics };
  return { entry, png: Buffer.from(png, 'base64') };
}
