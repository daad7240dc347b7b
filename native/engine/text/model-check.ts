// Import-time validation of a text model: each refusal is one sentence naming the file and what the
// engine cannot do with it, said before any generation rather than as onnxruntime's words at Generate.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../../contract';
import { elemType, type ValueInfoProto } from '../onnx/onnx-model';
import { NotAnOnnxGraph, readGraphSummary, type GraphSummary } from '../onnx/graph-summary';
import { DecoderSession, kvSlots } from './decoder-session';
import { kvLayer, kvName } from './kv-names';
import type { OperatingPointFile, TextModelFolder } from './model-folder';

const LFS_POINTER = 'version https://git-lfs.github.com/spec/';

/** Inputs the engine fills, besides the cache, and the element types it can feed each as (TensorProto.DataType). */
const FED_INPUTS: Record<string, readonly number[]> = {
  input_ids: [6, 7],
  attention_mask: [6, 7],
  position_ids: [6, 7],
  use_cache_branch: [9],
  seqlens_k: [6],
  total_sequence_length: [6],
  attention_bias: [1],
};
const ID_TYPE_NAMES: Record<number, string> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'double' };

class Refusal extends Error {}

async function startsWithLfsPointer(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(LFS_POINTER.length);
    await handle.read(head, 0, head.length, 0);
    return head.toString('latin1') === LFS_POINTER;
  } finally {
    await handle.close();
  }
}

function lfsRefusal(relative: string, dir: string): Refusal {
  return new Refusal(`${relative} is a git-lfs pointer, not the file itself: run "git lfs pull" in ${dir} to download it.`);
}

async function checkExternalData(summary: GraphSummary, file: string, folder: TextModelFolder, relative: string): Promise<void> {
  const needed = new Map<string, number>();
  for (const initializer of summary.initializers) {
    if (initializer.externalLocation === null) continue;
    needed.set(initializer.externalLocation, Math.max(needed.get(initializer.externalLocation) ?? 0, initializer.externalEnd ?? 0));
  }
  for (const [location, end] of needed) {
    const dataFile = path.resolve(path.dirname(file), location);
    const dataRelative = path.relative(folder.dir, dataFile);
    if (dataRelative.startsWith('..') || path.isAbsolute(dataRelative)) throw new Refusal(`${relative} keeps its weights in ${location}, outside its model folder.`);
    const stat = await fs.stat(dataFile).catch(() => null);
    if (!stat) throw new Refusal(`${relative} keeps its weights in ${dataRelative}, which is missing.`);
    if (await startsWithLfsPointer(dataFile)) throw lfsRefusal(dataRelative, folder.dir);
    if (stat.size < end) throw new Refusal(`${dataRelative} is shorter than ${relative} says (${stat.size} of ${end} bytes): the download is incomplete.`);
  }
}

function typeName(info: ValueInfoProto): string {
  const type = elemType(info);
  return type === null ? 'untyped' : (ID_TYPE_NAMES[type] ?? `type ${type}`);
}

/** The first input the engine cannot feed, said as what it is. */
function checkInputs(summary: GraphSummary, folder: TextModelFolder, relative: string): void {
  const names = summary.inputs.map((input) => input.name);
  if (!names.includes('input_ids') || !summary.outputs.some((output) => output.name === 'logits')) {
    throw new Refusal(`${relative} is not a text decoder: it needs input input_ids and output logits.`);
  }
  const cacheNames = new Set(kvSlots(names, summary.outputs.map((output) => output.name), folder.kvNames, relative).flatMap((slot) => [slot.pastKey, slot.pastValue]));
  for (const input of summary.inputs) {
    if (cacheNames.has(input.name)) continue;
    if (/^past_\d+$/.test(input.name)) throw new Refusal(`${relative}: stacked past_N layout (GPT-2 2019 export) is not supported: re-export with optimum.`);
    if (/conv|ssm|recurrent|state/i.test(input.name)) {
      throw new Refusal(`${relative}: hybrid conv-state layers (input ${input.name}) are not supported: the engine caches attention keys and values only.`);
    }
    const types = FED_INPUTS[input.name];
    if (!types) throw new Refusal(`${relative} takes an input ${input.name}, which the engine does not know how to feed.`);
    if (!types.includes(elemType(input) ?? -1)) {
      throw new Refusal(`${relative} declares ${input.name} as ${typeName(input)}; the engine feeds it as ${types.map((type) => ID_TYPE_NAMES[type]).join(' or ')}.`);
    }
  }
  if (cacheNames.size === 0) {
    const expected = kvName(folder.kvNames.pastKey, 0);
    const otherLayout = names.some((name) => kvLayer(folder.kvNames.pastKey, name) === null && name.startsWith('past'));
    throw new Refusal(`${relative} has no KV-cache inputs named like ${expected}${otherLayout ? ' (its cache inputs are named otherwise)' : ''}: the engine needs a decoder exported with its cache (optimum's text-generation-with-past).`);
  }
}

/** Two tokens, then one more over their cache: the graph must run and give one finite logit per vocabulary entry. */
async function probe(folder: TextModelFolder, point: OperatingPointFile, relative: string): Promise<void> {
  const decoder = await DecoderSession.open(folder, point, 'cpu', { fuseGraph: false });
  try {
    const first = folder.config.bosTokenId ?? 0;
    const prompt = await decoder.forward([first, (first + 1) % folder.config.vocabSize], decoder.emptyCache());
    const next = await decoder.forward([first], prompt.cache);
    for (const logits of [prompt.logits, next.logits]) {
      if (logits.length !== folder.config.vocabSize) throw new Refusal(`${relative} returns ${logits.length} logits per token, but the vocabulary has ${folder.config.vocabSize} entries.`);
      if (!logits.every(Number.isFinite)) throw new Refusal(`${relative} returns logits that are not finite numbers.`);
    }
  } catch (error) {
    if (error instanceof Refusal) throw error;
    const message = String((error as Error).message).split('\n')[0]!;
    throw new Refusal(`${relative} failed a 2-token test run: ${message.replace(/\.$/, '')}.`);
  } finally {
    await decoder.release();
  }
}

async function checkFile(folder: TextModelFolder, point: OperatingPointFile): Promise<void> {
  const relative = path.relative(folder.dir, point.path);
  if (await startsWithLfsPointer(point.path)) throw lfsRefusal(relative, folder.dir);
  let summary: GraphSummary;
  try {
    summary = readGraphSummary(point.path);
    void summary.nodes; // decodes every node (they are read lazily), so a corrupt one is refused here
  } catch (error) {
    if (error instanceof NotAnOnnxGraph) throw new Refusal(`${relative} is not an ONNX model: it is truncated, corrupt or another kind of file (${error.message}).`);
    throw error;
  }
  await checkExternalData(summary, point.path, folder, relative);
  checkInputs(summary, folder, relative);
  await probe(folder, point, relative);
}

/**
 * Checks that every file of a text model can run here: its graph parses, its data files are there and
 * are not git-lfs pointers, it takes only inputs the engine feeds, and a 2-token run gives logits.
 * Throws an ApiError with one sentence naming the file and the feature when it cannot.
 */
export async function checkTextModel(folder: TextModelFolder): Promise<void> {
  const files = [...new Map(folder.points.map((point) => [point.path, point])).values()];
  for (const point of files) {
    try {
      await checkFile(folder, point);
    } catch (error) {
      if (error instanceof Refusal || error instanceof ApiError) throw new ApiError('invalid_model', `${folder.name}: ${error.message}`);
      throw error;
    }
  }
}
