import path from 'node:path';

export interface TransformersJsPeer {
  /** One greedy generation of exactly `tokens` new tokens: ms per token after the first, and the ids. */
  once(tokens: number): Promise<{ ms: number; generatedIds: number[] }>;
  dispose(): Promise<void>;
}

/**
 * The transformers.js peer: `@huggingface/transformers` in Node on the same ONNX file (`dtype` picks the variant), greedy,
 * with a streamer that timestamps every token. A dev dependency, loaded only by the benchmark.
 */
export async function loadTransformersJs(modelDir: string, promptIds: readonly number[], dtype: 'fp32' | 'int8' | 'q4' = 'fp32'): Promise<TransformersJsPeer> {
  const transformers = await import('@huggingface/transformers');
  const { env, AutoModelForCausalLM, Tensor } = transformers;
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(path.resolve(modelDir));
  const model = await AutoModelForCausalLM.from_pretrained(path.basename(modelDir), { dtype, device: 'cpu', local_files_only: true });
  const inputIds = new Tensor('int64', BigInt64Array.from(promptIds, BigInt), [1, promptIds.length]);
  const attentionMask = new Tensor('int64', new BigInt64Array(promptIds.length).fill(1n), [1, promptIds.length]);

  const once = async (tokens: number) => {
    const stamps: number[] = [];
    const streamer = { put: () => void stamps.push(performance.now()), end: () => undefined };
    const output = (await model.generate({
      input_ids: inputIds,
      attention_mask: attentionMask,
      max_new_tokens: tokens,
      min_new_tokens: tokens,
      do_sample: false,
      streamer,
    } as never)) as { tolist(): bigint[][] };
    // The streamer also receives the prompt once, before generation starts.
    const tokenStamps = stamps.slice(-tokens);
    const generatedIds = output.tolist()[0]!.slice(promptIds.length).map(Number);
    return { ms: (tokenStamps.at(-1)! - tokenStamps[0]!) / (tokenStamps.length - 1), generatedIds };
  };
  return {
    once,
    dispose: async () => {
      await model.dispose();
    },
  };
}
