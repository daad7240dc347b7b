import path from 'node:path';

/**
 * The transformers.js peer: `@huggingface/transformers` in Node on the same ONNX file, greedy,
 * with a streamer that timestamps every token. A dev dependency, loaded only by the benchmark.
 */
export async function timeTransformersJs(modelDir: string, promptIds: readonly number[], newTokens: number, repeats: number): Promise<{ msPerToken: number[]; generatedIds: number[] }> {
  const transformers = await import('@huggingface/transformers');
  const { env, AutoModelForCausalLM, Tensor } = transformers;
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(path.resolve(modelDir));
  const model = await AutoModelForCausalLM.from_pretrained(path.basename(modelDir), { dtype: 'fp32', device: 'cpu', local_files_only: true });
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
  try {
    await once(Math.min(16, newTokens));
    const msPerToken: number[] = [];
    let generatedIds: number[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      const run = await once(newTokens);
      msPerToken.push(run.ms);
      generatedIds = run.generatedIds;
    }
    return { msPerToken, generatedIds };
  } finally {
    await model.dispose();
  }
}
