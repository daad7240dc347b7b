import { z } from 'zod';
import {
  CompareRequestSchema,
  ImageGenerationRequestSchema,
  ImportModelSchema,
  ModelRefSchema,
  EnergyStatusSchema,
  ModelVerificationSchema,
  JobRefSchema,
  ModelInfoSchema,
  ProviderInfoSchema,
  SettingsPatchSchema,
  SettingsSchema,
  TextGenerationRequestSchema,
  ApiErrorSchema,
  type ApiErrorBody,
} from './schemas';
import { HistoryItemSchema, HistoryPageSchema, HistoryQuerySchema, HistoryRefSchema, ImageParametersReadingSchema, PngBytesSchema } from './history';
import { ApiServerStatusSchema } from './api-server';
import { CalibrateRequestSchema, CalibrationResultSchema, PlanPreviewRequestSchema, PlanPreviewSchema } from './plan';
import { ExportReportRequestSchema, ReportFolderSchema, ReportRequestSchema } from './report';

/**
 * Every call the studio host answers, with the schema of its parameters and of its result.
 * The IPC, HTTP and CLI transports all dispatch through this one table.
 */
export const apiMethods = {
  listModels: { params: z.undefined(), result: z.array(ModelInfoSchema) },
  /** Validates the folder (graphs, data files, a 2-token run) and adds it, or refuses in one sentence naming the file. */
  importModel: { params: ImportModelSchema, result: ModelInfoSchema },
  verifyModel: { params: ModelRefSchema, result: ModelVerificationSchema },
  /** Forgets an imported model (its folder stays on disk); `removed` is the folder's path. */
  removeModel: { params: ModelRefSchema, result: z.object({ removed: z.string() }) },
  /** Shows a known model's folder in the desktop's file manager. */
  revealModel: { params: ModelRefSchema, result: z.object({ path: z.string() }) },
  listProviders: { params: z.undefined(), result: z.array(ProviderInfoSchema) },
  getSettings: { params: z.undefined(), result: SettingsSchema },
  updateSettings: { params: SettingsPatchSchema, result: SettingsSchema },
  startTextJob: { params: TextGenerationRequestSchema, result: JobRefSchema },
  startImageJob: { params: ImageGenerationRequestSchema, result: JobRefSchema },
  /** Runs the same prompt and seed at each mode, one pane after another; its id is a job id that `cancelJob` stops (the running pane and the rest). */
  startCompare: { params: CompareRequestSchema, result: JobRefSchema },
  cancelJob: { params: JobRefSchema, result: z.object({ cancelled: z.boolean() }) },
  listHistory: { params: HistoryQuerySchema, result: HistoryPageSchema },
  getHistoryEntry: { params: HistoryRefSchema, result: HistoryItemSchema },
  deleteHistoryEntry: { params: HistoryRefSchema, result: z.object({ deleted: z.literal(true) }) },
  readImageParameters: { params: PngBytesSchema, result: ImageParametersReadingSchema },
  getEnergyStatus: { params: z.undefined(), result: EnergyStatusSchema },
  /** What λ would run for a family, with every point's quality and predicted cost; runs nothing. */
  planPreview: { params: PlanPreviewRequestSchema, result: PlanPreviewSchema },
  /** Times a family's points together on this device (progress as `calibration` events). */
  calibrate: { params: CalibrateRequestSchema, result: z.array(CalibrationResultSchema) },
  /** Measures every operating point of the families and writes the trade-off report (progress as `report-progress`, the report in `report-done`). */
  startReport: { params: ReportRequestSchema, result: JobRefSchema },
  /** Writes a report already made into a folder: table1.md/json, the figures as SVG and PNG, report.html. */
  exportReport: { params: ExportReportRequestSchema, result: ReportFolderSchema },
  /** What the host found wrong with its data folder (a damaged file restored, a setting dropped, a save that failed), oldest first. */
  getDataNotices: { params: z.undefined(), result: z.array(z.string()) },
  /** The local OpenAI-compatible API server that Settings turns on: its address and this launch's token. */
  getApiServerStatus: { params: z.undefined(), result: ApiServerStatusSchema },
} as const;

export type ApiMethod = keyof typeof apiMethods;
export const API_METHOD_NAMES = Object.keys(apiMethods) as ApiMethod[];
export type ApiParams<M extends ApiMethod> = z.input<(typeof apiMethods)[M]['params']>;
export type ApiResult<M extends ApiMethod> = z.output<(typeof apiMethods)[M]['result']>;

/** The typed API as a client sees it: one async function per method. */
export type StudioApi = {
  [M in ApiMethod]: ApiParams<M> extends undefined ? () => Promise<ApiResult<M>> : (params: ApiParams<M>) => Promise<ApiResult<M>>;
};

export function isApiMethod(name: string): name is ApiMethod {
  return Object.hasOwn(apiMethods, name);
}

/** The refusal of a method the contract does not declare, naming the valid ones (every transport says the same). */
export function unknownMethodMessage(method: unknown): string {
  const shown = typeof method === 'string' ? `"${method.slice(0, 80)}"` : `of type ${method === null ? 'null' : typeof method}`;
  return `Unknown method ${shown}; it should be one of: ${API_METHOD_NAMES.join(', ')}.`;
}

/** A failure that crosses a transport: the code says what kind, the message says what to do. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorBody['code'],
    message: string,
    /** The request field at fault, when one is (the OpenAI-compatible API names it in `param`). */
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toBody(): ApiErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** Messages between a shell and a host running in another process (Electron utilityProcess, or a forked Node child). */
export const RpcRequestSchema = z.object({ kind: z.literal('call'), id: z.number().int(), method: z.string(), params: z.unknown() });
export type RpcRequest = z.infer<typeof RpcRequestSchema>;

/** The host's answer to one request, matched to it by `id`. */
export const RpcResponseSchema = z.discriminatedUnion('ok', [
  z.object({ kind: z.literal('result'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ kind: z.literal('result'), id: z.number().int(), ok: z.literal(false), error: ApiErrorSchema }),
]);
export type RpcResponse = z.infer<typeof RpcResponseSchema>;
