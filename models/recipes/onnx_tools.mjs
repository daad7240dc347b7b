// Measures exported text graphs with onnxruntime-node (the studio's runtime), outside the engine:
//   bench   FILE... --tokens N --runs R       decode ms/token (greedy, KV cache), interleaved runs
//   quality PKG FILE... --heldout TXT --stories N --rep-stories M --rep-tokens T  (FILE relative to PKG)
//           bits per byte of held-out stories + repetition of greedy continuations
//   generate PKG FILE... --prompts JSON --tokens N --seed S --temperature T --top-k K  (FILE relative to PKG)
//           seeded sampled continuations of each prompt, EOS suppressed (the coherence measure reads them)
// Prints one JSON object on stdout. Session options mirror the engine (graph optimisation "all",
// intra-op threads = available cores unless --threads).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';

const args = process.argv.slice(2);
const mode = args.shift();
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};

function packageTokenizer(pkg) {
  const read = (name) => JSON.parse(fs.readFileSync(path.join(pkg, name), 'utf8'));
  return new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
}

async function open(file, threads) {
  return ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', intraOpNumThreads: threads });
}

function kvShape(session) {
  const meta = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  return { kvHeads: meta.shape[1], headDim: meta.shape[3] };
}

function layers(session) {
  let n = 0;
  while (session.inputNames.includes(`past_key_values.${n}.key`)) n++;
  return n;
}

function emptyCache(session) {
  const { kvHeads, headDim } = kvShape(session);
  const cache = {};
  for (let l = 0; l < layers(session); l++) {
    for (const kv of ['key', 'value']) cache[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
  }
  return cache;
}

/** One forward of `ids` after `past` cached positions; returns logits tensor and the new cache. */
async function step(session, ids, cache, past) {
  const n = ids.length;
  const feeds = {
    ...cache,
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(past + n).fill(1n), [1, past + n]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(past + i)), [1, n]),
  };
  const out = await session.run(feeds);
  const next = {};
  for (let l = 0; l < layers(session); l++) {
    next[`past_key_values.${l}.key`] = out[`present.${l}.key`];
    next[`past_key_values.${l}.value`] = out[`present.${l}.value`];
  }
  return { logits: out.logits, cache: next };
}

function argmaxLast(logits) {
  const v = logits.dims.at(-1);
  const d = logits.data;
  let best = 0, bestVal = -Infinity;
  for (let i = d.length - v, j = 0; i < d.length; i++, j++) if (d[i] > bestVal) { bestVal = d[i]; best = j; }
  return best;
}

async function greedy(session, prompt, count, eos) {
  let { logits, cache } = await step(session, prompt, emptyCache(session), 0);
  const out = [];
  let past = prompt.length;
  const times = [];
  for (let i = 0; i < count; i++) {
    const tok = argmaxLast(logits);
    if (eos !== undefined && tok === eos) break;
    out.push(tok);
    const t0 = process.hrtime.bigint();
    ({ logits, cache } = await step(session, [tok], cache, past));
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    past += 1;
  }
  return { ids: out, times };
}

/** A seeded uniform generator (mulberry32, as the engine's `seededRandom` in native/engine/text/token-chooser.ts, which plain
 * node cannot import from TypeScript): the same continuation for the same prompt, seed and graph. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Top-k sampling at `temperature` from the last row of `logits`, never `banned`. */
function sampleLast(logits, temperature, topK, rand, banned) {
  const v = logits.dims.at(-1);
  const row = Array.from(logits.data.subarray(logits.data.length - v));
  if (banned !== undefined) row[banned] = -Infinity;
  const order = row.map((x, i) => i).sort((a, b) => row[b] - row[a]).slice(0, Math.max(1, topK));
  const top = row[order[0]];
  const w = order.map((i) => Math.exp((row[i] - top) / temperature));
  let r = rand() * w.reduce((a, b) => a + b, 0);
  for (let j = 0; j < order.length; j++) {
    r -= w[j];
    if (r <= 0) return order[j];
  }
  return order[order.length - 1];
}

async function generate() {
  const prompts = JSON.parse(fs.readFileSync(opt('prompts'), 'utf8'));
  const tokens = Number(opt('tokens', '400'));
  const seed = Number(opt('seed', '1'));
  const temperature = Number(opt('temperature', '0.8'));
  const topK = Number(opt('top-k', '40'));
  const threads = Number(opt('threads', '1'));
  const [pkg, ...files] = args;
  const tok = packageTokenizer(pkg);
  // EOS is never drawn, so every continuation is `tokens` long (the story has to stay coherent that far)
  const eos = JSON.parse(fs.readFileSync(path.join(pkg, 'generation_config.json'), 'utf8')).eos_token_id;
  const result = {};
  for (const file of files) {
    const session = await open(path.join(pkg, file), threads);
    result[file] = [];
    for (const [n, prompt] of prompts.entries()) {
      const rand = mulberry32(seed * 1000003 + n);
      const ids = tok.encode(prompt, { add_special_tokens: true }).ids;
      let { logits, cache } = await step(session, ids, emptyCache(session), 0);
      const out = [];
      for (let i = 0; i < tokens; i++) {
        const next = sampleLast(logits, temperature, topK, rand, eos);
        out.push(next);
        ({ logits, cache } = await step(session, [next], cache, ids.length + i));
      }
      result[file].push({ prompt, ids: out, text: tok.decode(out, { skip_special_tokens: true }) });
    }
    await session.release();
  }
  return result;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : null; };

async function bench() {
  const tokens = Number(opt('tokens', '128'));
  const runs = Number(opt('runs', '5'));
  const threads = Number(opt('threads', String(os.availableParallelism())));
  const files = args;
  const sessions = [];
  for (const f of files) sessions.push(await open(f, threads));
  const prompt = [1, 100, 200, 300, 400, 500];
  const per = files.map(() => []);
  for (const s of sessions) await greedy(s, prompt, 8); // warm-up
  for (let r = 0; r < runs; r++) {
    for (const [i, s] of sessions.entries()) {
      const { times } = await greedy(s, prompt, tokens);
      per[i].push(times.reduce((a, b) => a + b, 0) / times.length);
    }
  }
  const result = {};
  files.forEach((f, i) => { result[f] = { msPerToken: median(per[i]), runs: per[i] }; });
  return result;
}

function repetition(ids, n = 4) {
  if (ids.length < n) return 0;
  const seen = new Set();
  let repeated = 0, total = 0;
  for (let i = 0; i + n <= ids.length; i++) {
    const key = ids.slice(i, i + n).join(',');
    if (seen.has(key)) repeated++;
    seen.add(key);
    total++;
  }
  return repeated / total;
}

async function quality() {
  const heldout = opt('heldout');
  const nStories = Number(opt('stories', '1000'));
  const repStories = Number(opt('rep-stories', '20'));
  const repTokens = Number(opt('rep-tokens', '200'));
  const threads = Number(opt('threads', '1'));
  const maxLen = Number(opt('max-len', '512'));
  const [pkg, ...files] = args;
  const tok = packageTokenizer(pkg);
  const stories = fs.readFileSync(heldout, 'utf8').split('<|endoftext|>').map((s) => s.trim()).filter(Boolean).slice(0, nStories);
  const encoded = stories.map((story) => tok.encode(story, { add_special_tokens: true }).ids); // BOS + story
  const bytes = stories.reduce((sum, story) => sum + Buffer.byteLength(story, 'utf8'), 0);
  const openings = stories.slice(0, repStories).map((story) => story.split(/\s+/).slice(0, 8).join(' '));
  const result = {};
  for (const file of files) {
    const session = await open(path.join(pkg, file), threads);
    let nllBits = 0, tokens = 0;
    for (const ids of encoded) {
      // Score every story token given its prefix; long stories continue in `maxLen`-token segments
      // that carry the previous 128 tokens as context (no token is scored twice).
      let start = 1;
      while (start < ids.length) {
        const ctxStart = start === 1 ? 0 : Math.max(0, start - 128);
        const end = Math.min(ids.length, ctxStart + maxLen);
        const { logits } = await step(session, ids.slice(ctxStart, end), emptyCache(session), 0);
        const v = logits.dims.at(-1);
        const d = logits.data;
        for (let t = start; t < end; t++) {
          const row = (t - 1 - ctxStart) * v;
          let max = -Infinity;
          for (let j = 0; j < v; j++) if (d[row + j] > max) max = d[row + j];
          let sum = 0;
          for (let j = 0; j < v; j++) sum += Math.exp(d[row + j] - max);
          nllBits += (Math.log(sum) + max - d[row + ids[t]]) / Math.LN2;
          tokens++;
        }
        start = end;
      }
    }
    // Repetition: greedy continuations of held-out story openings (first 8 words).
    const reps = [];
    const samples = [];
    for (const opening of openings) {
      const prompt = tok.encode(opening, { add_special_tokens: true }).ids;
      const { ids } = await greedy(session, prompt, repTokens, undefined);
      reps.push(repetition(ids));
      if (samples.length < 2) samples.push(opening + ' … ' + tok.decode(ids.slice(0, 60), { skip_special_tokens: true }));
    }
    await session.release();
    result[file] = {
      file, stories: stories.length, bytes, tokens, bitsPerByte: nllBits / bytes, bitsPerToken: nllBits / tokens,
      repetition: reps.reduce((a, b) => a + b, 0) / Math.max(1, reps.length), repetitionStories: reps.length, samples,
    };
  }
  return result;
}

async function logitsMode() {
  // Prefill all ids but the last `steps`, then feed those one by one through the KV cache.
  const [file, idsJson] = args;
  const steps = Number(opt('steps', '3'));
  const ids = JSON.parse(idsJson);
  const session = await open(file, 1);
  const split = ids.length - steps;
  let { logits, cache } = await step(session, ids.slice(0, split), emptyCache(session), 0);
  const rows = [Array.from(logits.data)];
  for (let i = split; i < ids.length; i++) {
    ({ logits, cache } = await step(session, [ids[i]], cache, i));
    rows.push(Array.from(logits.data));
  }
  return { rows: rows.flat(), vocab: logits.dims.at(-1) };
}

const modes = { bench, quality, logits: logitsMode, generate };
const result = modes[mode] ? await modes[mode]() : null;
if (!result) {
  console.error('usage: onnx_tools.mjs bench FILE... | quality PKG FILE... --heldout TXT | generate PKG FILE... --prompts JSON | logits FILE IDS_JSON');
  process.exit(2);
}
console.log(JSON.stringify(result));
