import { attributeInt, DataType, encodeModel, node, tensorValueInfo } from '../engine/onnx/onnx-model';
import { baseSessionOptions } from '../engine/onnx/open-session';
import { createSession, float32Tensor } from '../engine/onnx/runtime';
import { median } from '../metering/statistics';

export interface Int4KernelThroughput {
  /** The product measured: [1, k] × [k, n], int4 in blocks of 32 with one float32 scale each, accuracy level 4. */
  n: number;
  k: number;
  /** Weight bytes (packed int4 and scales) read per second, median of the runs, on every core and on one. */
  gbPerSecond: number;
  oneThreadGbPerSecond: number;
  threads: number;
}

const BLOCK = 32;

/** One MatMulNBits node over random packed weights: the kernel every int4 product of a decode step runs. */
function int4Product(n: number, k: number): { model: Uint8Array; weightBytes: number } {
  const blocks = Math.ceil(k / BLOCK);
  const packed = new Uint8Array(n * blocks * (BLOCK / 2));
  for (let i = 0; i < packed.length; i++) packed[i] = (i * 2654435761) >>> 24;
  const scales = new Float32Array(n * blocks).fill(0.01);
  const attributes = [attributeInt('K', k), attributeInt('N', n), attributeInt('bits', 4), attributeInt('block_size', BLOCK), attributeInt('accuracy_level', 4)];
  const model = encodeModel({
    ir_version: 8,
    opset_import: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph: {
      name: 'int4_product',
      node: [node('MatMulNBits', ['a', 'b', 'scales'], ['y'], attributes, 'com.microsoft')],
      initializer: [
        { name: 'b', dims: [n, blocks, BLOCK / 2], data_type: DataType.UINT8, raw_data: packed },
        { name: 'scales', dims: [n * blocks], data_type: DataType.FLOAT, raw_data: new Uint8Array(scales.buffer) },
      ],
      input: [tensorValueInfo('a', DataType.FLOAT, [1, 1, k])],
      output: [tensorValueInfo('y', DataType.FLOAT, [1, 1, n])],
    },
  });
  return { model, weightBytes: packed.length + scales.byteLength };
}

/**
 * How fast onnxruntime's int4 kernel reads weights on this machine, apart from any graph: the ceiling of an int4
 * decode step where that kernel, not the memory, is the limit (on few cores it is: one core's share of it scales
 * with the cores). Each run starts with the CPU caches emptied, as the decode runs do.
 */
export async function measureInt4Kernel(n: number, k: number, threads: number, evictCaches: () => void, runs = 15): Promise<Int4KernelThroughput> {
  const { model, weightBytes } = int4Product(n, k);
  const input = { a: float32Tensor(new Float32Array(k).fill(0.5), [1, 1, k]) };
  const throughput = async (sessionThreads: number) => {
    const session = await createSession(model, baseSessionOptions(sessionThreads, { spinWorkers: true }));
    try {
      await session.run(input);
      const ms: number[] = [];
      for (let run = 0; run < runs; run++) {
        evictCaches();
        const start = performance.now();
        await session.run(input);
        ms.push(performance.now() - start);
      }
      return weightBytes / (median(ms) / 1000) / 1e9;
    } finally {
      await session.release();
    }
  };
  return { n, k, gbPerSecond: await throughput(threads), oneThreadGbPerSecond: await throughput(1), threads };
}
