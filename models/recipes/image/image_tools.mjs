// Runs exported Pareto Emoji packages with onnxruntime-node (the studio's runtime), outside the engine:
//   generate PKG --unet FILE --steps N --guidance G --prompts P.json --noise N.f32 --out OUT.f32 [--batch B]
//            prompts from a JSON array, initial latents from raw float32 [N,C,S,S] (model_index.json's
//            in_channels and sample_size); writes raw float32 images [N,3,H,W] in [-1, 1] (unclipped),
//            decoded by vae_decoder/model.onnx (latents / scaling_factor) where the package has one
//   (every mode: --threads N intra-op threads, or --threads engine for the studio engine's choice per file)
//   bench    PKG --unet FILE --steps N --guidance G --prompt S --runs R
//            one image at a time (batch 1, two UNet rows when guided, then the decoder): median s/image, ms per UNet call
//   step     PKG --unet FILE --batch B --runs R
//            one UNet call (batch B, default 2 = a guided step) on random inputs: median ms
// DDIM (η = 0) with the package's scheduler_config.json (squaredcos_cap_v2, v_prediction, trailing
// spacing, final ᾱ = 1), the same sampler as the recipe's PyTorch `diffusion.sample`.
// Prints one JSON object on stdout. Session options mirror the engine (graph optimisation "all"; the int8 UNet's
// weight-only DequantizeLinear nodes folded once at load, `session.disable_quant_qdq`, as the engine does for such graphs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';

const args = process.argv.slice(2);
const mode = args.shift();
const pkg = args.shift();
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args[i + 1];
};
const cores = os.availableParallelism?.() ?? os.cpus().length;
// --threads N, or `engine`: the studio engine's own choice for a file (open-session.ts: one thread below 32 MB, else every core)
const threadsOption = opt('threads', String(cores));
const threadsFor = (file) => (threadsOption === 'engine' ? (fs.statSync(file).size < 32 * 1024 * 1024 ? 1 : cores) : Number(threadsOption));
const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));

function schedule(cfg) {
  if (cfg.beta_schedule !== 'squaredcos_cap_v2') throw new Error(`unsupported beta_schedule ${cfg.beta_schedule}`);
  const T = cfg.num_train_timesteps;
  const abar = (t) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
  const ac = new Float64Array(T);
  let p = 1;
  for (let i = 0; i < T; i++) {
    p *= 1 - Math.min(1 - abar((i + 1) / T) / abar(i / T), 0.999);
    ac[i] = Math.fround(p);
  }
  return { T, ac };
}

function timesteps(T, steps) {
  const out = [];
  for (let i = 0; i < steps; i++) out.push(Math.round(T - (i * T) / steps) - 1);
  return out;
}

async function openPackage(dir, unetFile) {
  // As the engine opens them: sequential, idle threads asleep rather than spinning; the recipe's graphs quantise no activation
  // (export.py), so disabling QDQ fusion only lets constant folding dequantise the int8 weights once.
  const open = (file) => ort.InferenceSession.create(file, {
    graphOptimizationLevel: 'all', intraOpNumThreads: threadsFor(file), interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' }, disable_quant_qdq: '1' } },
  });
  const te = await open(path.join(dir, 'text_encoder', 'model.onnx'));
  const unet = await open(path.join(dir, unetFile));
  const tok = new Tokenizer(readJson(path.join(dir, 'tokenizer', 'tokenizer.json')), readJson(path.join(dir, 'tokenizer', 'tokenizer_config.json')));
  const maxLen = readJson(path.join(dir, 'tokenizer', 'tokenizer_config.json')).model_max_length;
  const sched = readJson(path.join(dir, 'scheduler', 'scheduler_config.json'));
  const index = readJson(path.join(dir, 'model_index.json'));
  const latent = [index.in_channels, index.sample_size, index.sample_size];
  const vaeFile = path.join(dir, 'vae_decoder', 'model.onnx');
  const vae = fs.existsSync(vaeFile) ? await open(vaeFile) : null;
  const scaling = vae ? readJson(path.join(dir, 'vae_decoder', 'config.json')).scaling_factor : 1;
  return { te, unet, unetThreads: threadsFor(path.join(dir, unetFile)), vae, scaling, tok, maxLen, latent, cells: latent[0] * latent[1] * latent[2], sched: { ...schedule(sched), cfg: sched } };
}

/** Latents [B, C, S, S] → pixels [B, 3, H, W] through the VAE decoder; pixel-space packages return them as they are. */
async function decode(p, x, B) {
  if (!p.vae) return { data: x, pixels: p.cells };
  const scaled = Float32Array.from(x, (v) => v / p.scaling);
  const out = await p.vae.run({ latent_sample: new ort.Tensor('float32', scaled, [B, ...p.latent]) });
  return { data: out.sample.data, pixels: out.sample.data.length / B };
}

async function encode(p, prompts) {
  const L = p.maxLen;
  const ids = new BigInt64Array(prompts.length * L);
  prompts.forEach((s, b) => {
    const e = p.tok.encode(s).ids.slice(0, L);
    e.forEach((id, j) => (ids[b * L + j] = BigInt(id)));
  });
  const out = await p.te.run({ input_ids: new ort.Tensor('int64', ids, [prompts.length, L]) });
  return out.last_hidden_state;
}

/** DDIM over a batch; x: Float32Array [B * cells]. Returns {x, unetMs[]} */
async function denoise(p, x, ctx, unc, B, steps, guidance) {
  const { T, ac } = p.sched;
  const ts = timesteps(T, steps);
  const stride = Math.floor(T / steps);
  const guided = guidance !== 1;
  const D = ctx.dims[2];
  const L = ctx.dims[1];
  let states = ctx;
  if (guided) {
    const both = new Float32Array(2 * B * L * D);
    for (let b = 0; b < B; b++) both.set(unc.data.subarray(0, L * D), b * L * D);
    both.set(ctx.data, B * L * D);
    states = new ort.Tensor('float32', both, [2 * B, L, D]);
  }
  const n = B * p.cells;
  const unetMs = [];
  for (const t of ts) {
    const rows = guided ? 2 * B : B;
    const sample = new Float32Array(rows * p.cells);
    sample.set(x, 0);
    if (guided) sample.set(x, n);
    const tsIn = new BigInt64Array(rows).fill(BigInt(t));
    const t0 = performance.now();
    const out = await p.unet.run({
      sample: new ort.Tensor('float32', sample, [rows, ...p.latent]),
      timestep: new ort.Tensor('int64', tsIn, [rows]),
      encoder_hidden_states: states,
    });
    unetMs.push(performance.now() - t0);
    const o = out.out_sample.data;
    const a = ac[t];
    const ap = t - stride >= 0 ? ac[t - stride] : 1;
    const sa = Math.sqrt(a), s1a = Math.sqrt(1 - a), sap = Math.sqrt(ap), s1ap = Math.sqrt(1 - ap);
    const next = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = guided ? o[i] + guidance * (o[n + i] - o[i]) : o[i];
      const x0 = sa * x[i] - s1a * v;
      const eps = sa * v + s1a * x[i];
      next[i] = sap * x0 + s1ap * eps;
    }
    x = next;
  }
  return { x, unetMs };
}

const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

async function main() {
  const unetFile = opt('unet', 'unet/model.onnx');
  const steps = Number(opt('steps', '4'));
  const guidance = Number(opt('guidance', '1'));
  const p = await openPackage(pkg, unetFile);
  const unc = await encode(p, ['']);
  if (mode === 'generate') {
    const prompts = readJson(opt('prompts'));
    const buf = fs.readFileSync(opt('noise'));
    const noise = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const batch = Number(opt('batch', '32'));
    const t0 = performance.now();
    const unetMs = [];
    const images = [];
    for (let s = 0; s < prompts.length; s += batch) {
      const chunk = prompts.slice(s, s + batch);
      const ctx = await encode(p, chunk);
      const r = await denoise(p, noise.slice(s * p.cells, (s + chunk.length) * p.cells), ctx, unc, chunk.length, steps, guidance);
      images.push((await decode(p, r.x, chunk.length)).data);
      unetMs.push(...r.unetMs);
    }
    const out = new Float32Array(images.reduce((sum, a) => sum + a.length, 0));
    images.reduce((at, a) => (out.set(a, at), at + a.length), 0);
    fs.writeFileSync(opt('out'), Buffer.from(out.buffer));
    console.log(JSON.stringify({ images: prompts.length, seconds: (performance.now() - t0) / 1000, medianUnetCallMs: median(unetMs) }));
  } else if (mode === 'bench') {
    const runs = Number(opt('runs', '5'));
    const prompt = opt('prompt', 'grinning face');
    const sPerImage = [];
    const msPerStep = [];
    for (let r = 0; r < runs + 1; r++) {
      const x = new Float32Array(p.cells).map(() => Math.random() * 2 - 1);
      const t0 = performance.now();
      const ctx = await encode(p, [prompt]);
      const res = await denoise(p, x, ctx, unc, 1, steps, guidance);
      await decode(p, res.x, 1);
      const dt = (performance.now() - t0) / 1000;
      if (r > 0) {  // the first run warms the sessions up
        sPerImage.push(dt);
        msPerStep.push(median(res.unetMs));
      }
    }
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    console.log(JSON.stringify({ steps, guidance, unet: unetFile, sPerImage: median(sPerImage), msPerStep: median(msPerStep), runs, threads: p.unetThreads, peakRssMb }));
  } else if (mode === 'step') {
    // one UNet call on random inputs (batch B, default 2 = one guided step): median ms over R runs
    const B = Number(opt('batch', '2'));
    const runs = Number(opt('runs', '20'));
    const D = unc.dims[2];
    const L = unc.dims[1];
    const feeds = {
      sample: new ort.Tensor('float32', new Float32Array(B * p.cells).map(() => Math.random() * 2 - 1), [B, ...p.latent]),
      timestep: new ort.Tensor('int64', new BigInt64Array(B).fill(500n), [B]),
      encoder_hidden_states: new ort.Tensor('float32', new Float32Array(B * L * D).map(() => Math.random()), [B, L, D]),
    };
    const ms = [];
    for (let r = 0; r < runs + 3; r++) {
      const t0 = performance.now();
      await p.unet.run(feeds);
      if (r >= 3) ms.push(performance.now() - t0);
    }
    console.log(JSON.stringify({ unet: unetFile, batch: B, msPerStep: median(ms), runs, threads: p.unetThreads }));
  } else {
    throw new Error(`unknown mode ${mode}: expected generate or bench`);
  }
}

main().catch((e) => {
  console.error(`image_tools: ${e.message}`);
  process.exit(1);
});
