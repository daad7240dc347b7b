import type http from 'node:http';
import { MAX_IMAGE_BATCH, type ImageGenerationRequest } from '../../contract';
import type { OpenAiImageRequest, OpenAiImagesResponse } from '../../contract/openai';
import { invoke, type HostConnection } from '../host-connection';
import { runImageJob, type FinishedImage } from './host-job';
import { OpenAiError, clientGone, sendJson } from './http';
import { findTarget, listTargets, type ApiTarget } from './models';
import { energyOf } from './responses';

/** The named model or family; without one, the first image family (else the first image model). */
async function imageTarget(host: HostConnection, model: string | null | undefined): Promise<ApiTarget> {
  if (model) return findTarget(host, model, 'image');
  const images = (await listTargets(host)).filter((target) => target.kind === 'image');
  const target = images.find((candidate) => candidate.isFamily) ?? images[0];
  if (!target) throw new OpenAiError(404, 'No image models are installed: start `pareto serve --model DIR` with a diffusers folder.', 'not_found_error', 'model', 'model_not_found');
  return target;
}

function imageRequest(body: OpenAiImageRequest, target: ApiTarget, ep: ImageGenerationRequest['ep'], savedLambda: number): ImageGenerationRequest {
  if (!target.isFamily && body.lambda !== null && body.lambda !== undefined) {
    throw new OpenAiError(400, `lambda chooses across a family, but "${target.id}" is one model${target.family ? `: send model "${target.family}"` : ''}.`, 'invalid_request_error', 'lambda', 'invalid_value');
  }
  const [width, height] = body.size && body.size !== 'auto' ? body.size.split('x').map(Number) : [undefined, undefined];
  return {
    model: target.members[0]!.id,
    lambda: target.isFamily ? (body.lambda ?? savedLambda) : undefined,
    prompt: body.prompt,
    negativePrompt: body.negative_prompt ?? undefined,
    steps: body.steps ?? undefined,
    guidance: body.guidance ?? undefined,
    seed: body.seed ?? undefined,
    precision: body.precision ?? undefined,
    width,
    height,
    previewEvery: 0,
    ep,
  };
}

function describe(target: ApiTarget, images: readonly FinishedImage[]): OpenAiImagesResponse {
  const [first] = images;
  const { parameters } = first!.result;
  const metrics = images.map(({ result }) => result.metrics);
  const choice = first!.operatingPoint;
  return {
    created: Math.floor(Date.now() / 1000),
    data: images.map(({ result }) => ({ b64_json: result.png, revised_prompt: null })),
    pareto: {
      model: first!.model,
      family: target.family,
      point: { precision: parameters.precision, steps: parameters.steps, width: parameters.width, height: parameters.height, ep: first!.result.ep },
      lambda_choice: choice && {
        lambda: choice.lambda,
        utility: choice.utility,
        quality: choice.quality,
        efficiency: choice.efficiency,
        frechet_distance: choice.frechetDistance,
        predicted_s_per_image: choice.sPerImage,
      },
      images: images.map(({ result }) => ({ seed: result.parameters.seed, parameters: result.parametersText })),
      cost: {
        s_per_image: metrics.reduce((sum, m) => sum + m.sPerImage, 0) / metrics.length,
        ms_per_step: metrics[0]!.msPerStep,
        ...energyOf(metrics, metrics.length),
        peak_rss_mb: Math.max(...metrics.map((m) => m.peakRssMb)),
      },
    },
  };
}

/**
 * `POST /v1/images/generations`: n PNGs (with their parameters chunks) made on the host's queue in
 * batches of up to four, each one image job. Image i of a seeded request uses seed + i, so the same
 * request gives the same bytes; batches after the first run at the point the first ran at.
 */
export async function generateImages(host: HostConnection, response: http.ServerResponse, body: OpenAiImageRequest): Promise<void> {
  const target = await imageTarget(host, body.model);
  const { ep, lambda } = await invoke(host, 'getSettings');
  const request = imageRequest(body, target, ep, lambda);
  const signal = clientGone(response);
  const images: FinishedImage[] = [];
  const wanted = body.n ?? 1;
  while (images.length < wanted) {
    const batch = Math.min(MAX_IMAGE_BATCH, wanted - images.length);
    const first = images[0];
    // An unseeded request continues from the first batch's seeds, so its images differ from one another.
    const seedBase = request.seed ?? (first ? first.result.parameters.seed : undefined);
    const seed = seedBase === undefined ? undefined : (seedBase + images.length) % 2 ** 32;
    const pinned = first && target.isFamily ? { model: first.model, lambda: undefined, precision: first.result.parameters.precision, steps: first.result.parameters.steps } : {};
    images.push(...(await runImageJob(host, { ...request, seed, batch, ...pinned }, signal)));
    if (signal.aborted) return;
  }
  sendJson(response, 200, describe(target, images));
}
