#!/usr/bin/env python3
"""Pareto Emoji image recipe: data → classifier → teacher → trajectories → student → export → evaluate → report.

    /usr/bin/python3 models/recipes/image/image_pipeline.py --config full  --out models      (npm run models:image)
    /usr/bin/python3 models/recipes/image/image_pipeline.py --config smoke --out /tmp/pareto-image-smoke

Every stage writes `<work>/<stage>.done.json`; a rerun skips finished stages and resumes training from
the last checkpoint; training stages are budgeted in minutes, not steps. After each stage the process
re-executes itself, so code edited while a long run trains is picked up by later stages.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
# OpenMP threads that spin while waiting burn a shared machine's cores and, when the scheduler deschedules one of
# them (nice 19 on a busy machine), stall every other at each barrier: measured on the 2-core machine under load,
# an autoencoder step took 11 s with spinning threads and 1.2 s with passive ones (1.4 s with one thread).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import data  # noqa: E402
import diffusion as D  # noqa: E402
from torch_unet import TextConfig, TextEncoder, UNet, UNetConfig, load_text_encoder, load_unet, save_text_encoder, save_unet  # noqa: E402
from trainer import TrainConfig, train  # noqa: E402

UNET_FILES = {"fp32": "unet/model.onnx", "fp16": "unet/model_fp16.onnx", "int8": "unet/model_int8.onnx"}


def _config(device: str, threads: int, batch: int, steps: dict, session_minutes: float, eval_images: int, bench_runs: int, **dims) -> dict:
    """One recipe at a given size: `steps` per training stage, `batch` the diffusion batch."""
    return {
        "device": device, "threads": threads,
        "text": dims.get("text", dict(max_length=16, dim=128, layers=2, heads=4, ffn=256)),
        "autoencoder": dims.get("autoencoder", dict(channels=[32, 64, 96], latent_channels=4)),
        "unet": dims.get("unet", dict(channels=[64, 128, 256], context_dim=128, temb_dim=128, head_dim=32, attn_levels=[1, 2])),
        "autoencoder_train": dict(steps=steps["autoencoder"], lr=2e-3, warmup=100, ema=0.999, batch=32, crop=32, latent_l2=1e-3,
                                  log_every=100, session_minutes=session_minutes),
        "classifier_train": dict(steps=steps["classifier"], lr=2e-3, warmup=50, ema=0.99, batch=64, log_every=100,
                                 session_minutes=session_minutes),
        "teacher_train": dict(steps=steps["teacher"], lr=1e-3, warmup=500, ema=0.9995, batch=batch, log_every=100,
                              session_minutes=session_minutes),
        "min_snr_gamma": 5.0,
        "guidance": 3.0,
        "caption_dropout": 0.1,
        "student_steps": 4,
        "trajectories": dict(sub_steps=8, count=steps["trajectories"], batch=batch),
        # every channel space (streams, inner widths, heads) keeps 45 %: 4.5× fewer UNet parameters
        "prune_keep": 0.45,
        "student_train": dict(steps=steps["student"], lr=5e-4, warmup=100, ema=0.999, batch=batch, log_every=100,
                              session_minutes=session_minutes),
        "eval_images": eval_images,
        "seeds": 4,
        # teacher at 4 steps (plain DDIM, no distillation) shows what step distillation buys
        # the teacher ships fp16 and int8 weights only: its fp32 UNet (25.7 MB) alone would take most of the family's 40 MB
        # budget, and fp16 weights run in fp32 after one cast at load, so its images are the fp32 ones to within rounding
        "ships": {"teacher": ["fp16", "int8"], "student": ["fp32", "fp16", "int8"]},
        "teacher_points": [("fp16", 50), ("fp16", 20), ("fp16", 8), ("int8", 8), ("fp16", 4)],
        "student_points": [("fp32", 4), ("fp16", 4), ("int8", 4)],
        "bench_runs": bench_runs,
        "names": {"teacher": "pareto-emoji-teacher", "student": "pareto-emoji-student"},
    }


CONFIGS = {
    # a shared 2-core CPU: about 2.5 hours of training per run, resumed from the checkpoints over several runs
    "cpu": _config("cpu", 2, 64, dict(autoencoder=1000, classifier=3000, teacher=12000, trajectories=12288, student=12000),
                    session_minutes=150, eval_images=526, bench_runs=5),
    # one data-centre GPU: the same networks, 4× the batch, about 10 minutes end to end
    "cuda": _config("cuda", 8, 256, dict(autoencoder=4000, classifier=6000, teacher=12000, trajectories=32768, student=6000),
                    session_minutes=10 ** 6, eval_images=526, bench_runs=5),
    # CI: tiny networks, a handful of steps
    "smoke": {**_config("cpu", 1, 8, dict(autoencoder=8, classifier=8, teacher=8, trajectories=16, student=6),
                        session_minutes=10 ** 6, eval_images=16, bench_runs=1,
                        text=dict(max_length=16, dim=32, layers=1, heads=2, ffn=64),
                        autoencoder=dict(channels=[8, 16, 16], latent_channels=4),
                        unet=dict(channels=[16, 32, 32], context_dim=32, temb_dim=32, head_dim=16, attn_levels=[2])),
              "teacher_points": [("fp16", 8), ("int8", 8)], "student_points": [("fp32", 4), ("fp16", 4), ("int8", 4)],
              "seeds": 1, "data_limit": 24},
}
# "pilot": the full run's networks with the smoke run's steps (checks the full-size path in minutes);
# "cuda-smoke": the cuda config's code path at the smoke size, runnable on a CPU (`--device cpu`)
CONFIGS["pilot"] = {**CONFIGS["cpu"], **{k: CONFIGS["smoke"][k] for k in (
    "threads", "autoencoder_train", "classifier_train", "teacher_train", "trajectories", "student_train", "eval_images",
    "bench_runs", "seeds", "data_limit")}, "teacher_points": [("fp16", 8), ("int8", 8), ("fp16", 4)]}
_SMOKE_SIZE = ("text", "autoencoder", "unet", "autoencoder_train", "classifier_train", "teacher_train", "trajectories",
               "student_train", "eval_images", "bench_runs", "seeds", "data_limit", "ships", "teacher_points", "student_points")
CONFIGS["cuda-smoke"] = {**CONFIGS["cuda"], **{k: CONFIGS["smoke"][k] for k in _SMOKE_SIZE}}
STAGES = ["data", "autoencoder", "teacher", "classifier", "trajectories", "student", "export", "evaluate", "report"]


class Run:
    def __init__(self, config: str, out: str, work: str, device: str):
        self.name, self.cfg, self.out, self.work = config, CONFIGS[config], os.path.abspath(out), os.path.abspath(work)
        self.device = torch.device(device)
        os.makedirs(self.work, exist_ok=True)
        self.log_path = os.path.join(self.work, "pipeline.log")

    def log(self, msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def path(self, name: str) -> str:
        return os.path.join(self.work, name)

    def done(self, stage: str):
        p = self.path(f"{stage}.done.json")
        if os.path.exists(p):
            with open(p) as f:
                return json.load(f)
        return None

    def mark(self, stage: str, info: dict) -> None:
        D.write_json(self.path(f"{stage}.done.json"), info)

    @property
    def npz(self) -> str:
        # the full-size configs share one rendered bundle (and its committed manifest.json) beside their work folders
        shared = self.name in ("cpu", "cuda", "pilot")
        return os.path.join(HERE, "..", "runs", "image", "emoji64.npz") if shared else self.path("emoji64.npz")

    def dataset(self) -> data.Dataset:
        return data.Dataset(self.npz)

    def tokenizer(self) -> D.WordTokenizer:
        return D.WordTokenizer.load(self.path("tokenizer.json"))

    def classifier(self):
        from classifier import EmojiClassifier
        blob = torch.load(self.path("classifier.pt"), map_location="cpu")
        m = EmojiClassifier(emoji=blob["emoji"])
        m.load_state_dict(blob["state"])
        return m.eval()

    def autoencoder(self):
        from autoencoder import load_autoencoder
        return load_autoencoder(self.path("autoencoder.pt"))

    def pkg(self, role: str) -> str:
        return os.path.join(self.out, self.cfg["names"][role])

    def ships(self, role: str) -> list:
        """The UNet precisions the role's package holds, most precise first."""
        return [p for p in UNET_FILES if p in self.cfg["ships"][role]]

    def reference_precision(self, role: str) -> str:
        """The most precise UNet the package ships: its contact sheet, parity check and headline row."""
        return self.ships(role)[0]

    def train_config(self, key: str) -> tuple:
        """(TrainConfig, batch, the stage's other settings) from a `*_train` config entry."""
        tc = dict(self.cfg[key])
        batch = tc.pop("batch")
        extra = {k: tc.pop(k) for k in list(tc) if k not in TrainConfig.__dataclass_fields__}
        return TrainConfig(**tc), batch, extra


def stage_data(r: Run) -> dict:
    shared = r.npz != r.path("emoji64.npz")
    cache = os.path.join(HERE, "..", "runs", "image", "npm") if shared else r.path("npm")
    info = data.build(cache, r.npz, r.log, limit=r.cfg.get("data_limit", 0))
    ds = r.dataset()
    # vocabulary: every caption part of the training split (held-out names map to [UNK] where new)
    texts = [f"{s} style" for s in data.STYLES]
    for i in ds.train_idx:
        texts += [str(ds.names[i]), str(ds.unicode_names[i]), str(ds.cats[i]), str(ds.subcats[i])]
        texts += str(ds.shorts[i]).split("|") + str(ds.tags[i]).split("|")
    tok = D.WordTokenizer.train(texts, r.cfg["text"]["max_length"])
    tok.save(r.path("tokenizer.json"))
    out = {k: info[k] for k in ("images", "emoji", "heldout_images", "per_style", "per_category", "bundle_bytes", "bundle_sha256")}
    out.update({"train_images": int(len(ds.train_idx)), "vocab": len(tok.vocab)})
    r.log(f"[data] {out}")
    return out


def stage_autoencoder(r: Run) -> dict:
    from autoencoder import Autoencoder, AutoencoderConfig, calibrate_and_measure, load_autoencoder, loss_fn, save_autoencoder
    ds = r.dataset()
    if os.path.exists(r.path("autoencoder.pt")):
        # committed with a run in progress: the teacher's checkpoint was trained on these latents (delete it to retrain)
        ae, metrics = load_autoencoder(r.path("autoencoder.pt")), {"reused": True}
        r.log(f"[autoencoder] reusing {r.path('autoencoder.pt')}")
    else:
        torch.manual_seed(0)
        ae = Autoencoder(AutoencoderConfig(**r.cfg["autoencoder"]))
        r.log(f"[autoencoder] {ae.num_parameters()} parameters, {ae.c.latent_channels}×16×16 latents")
        tc, batch, extra = r.train_config("autoencoder_train")
        ae.to(r.device)
        fn = loss_fn(ae, ds.images, ds.train_idx, batch, extra["crop"], extra["latent_l2"], r.device)
        metrics = train(ae, fn, tc, r.path("autoencoder.ckpt"), r.log, "autoencoder")
        ae.cpu()
    lat, info = calibrate_and_measure(ae, ds.batch, ds.train_idx, ds.held_idx)
    save_autoencoder(ae, r.path("autoencoder.pt"))
    np.save(r.path("latents.npy"), lat.numpy().astype(np.float32))
    import evaluation
    evaluation.reconstruction_sheet(ae, ds, r.path("autoencoder_reconstructions.png"))
    r.log(f"[autoencoder] {info}")
    return {"parameters": ae.num_parameters(), **info, **metrics}


def stage_classifier(r: Run) -> dict:
    from classifier import EmojiClassifier, classifier_loss, predict
    ds = r.dataset()
    n_emoji = int(ds.emoji.max()) + 1
    torch.manual_seed(0)
    model = EmojiClassifier(emoji=n_emoji)
    if os.path.exists(r.path("classifier.pt")):
        # committed with the run: the recognisability figures so far were measured with it (delete it to retrain)
        model.load_state_dict(torch.load(r.path("classifier.pt"))["state"])
        metrics = {"reused": True}
        r.log(f"[classifier] reusing {r.path('classifier.pt')}")
    else:
        tc, batch, _ = r.train_config("classifier_train")
        fn = classifier_loss(model, ds.batch, ds.emoji, ds.labels, ds.train_idx, batch)
        metrics = train(model, fn, tc, r.path("classifier.ckpt"), r.log, "classifier")
        torch.save({"emoji": n_emoji, "state": model.state_dict()}, r.path("classifier.pt"))
    group_acc = float(np.mean(predict(model, ds.batch(ds.held_idx))[1] == ds.labels[ds.held_idx]))
    r.log(f"[classifier] group accuracy on held-out real emoji {group_acc:.3f}")
    return {"heldout_group_accuracy": group_acc, **metrics}


def _text_batch(r: Run, ds: data.Dataset, tok: D.WordTokenizer, idx: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
    caps = ["" if rng.random() < r.cfg["caption_dropout"] else ds.random_caption(int(i), rng) for i in idx]
    return tok.batch(caps).to(r.device)


def _teacher_modules(r: Run, tok: D.WordTokenizer) -> tuple:
    torch.manual_seed(0)
    te = TextEncoder(TextConfig(vocab_size=len(tok.vocab), **r.cfg["text"]))
    unet = UNet(UNetConfig(**r.cfg["unet"], in_channels=r.cfg["autoencoder"]["latent_channels"]))
    return te, unet


def stage_teacher(r: Run) -> dict:
    if os.path.exists(r.path("teacher_unet.pt")) and os.path.exists(r.path("text_encoder.pt")):
        # committed once its schedule finished, so a fresh clone goes on from here (delete both to retrain)
        unet, te = load_unet(r.path("teacher_unet.pt")), load_text_encoder(r.path("text_encoder.pt"))
        r.log(f"[teacher] reusing {r.path('teacher_unet.pt')} and {r.path('text_encoder.pt')}")
        return {"unet_parameters": unet.num_parameters(), "text_encoder_parameters": te.num_parameters(), "reused": True}
    ds, tok = r.dataset(), r.tokenizer()
    te, unet = _teacher_modules(r, tok)
    r.log(f"[teacher] UNet {unet.num_parameters()} parameters, text encoder {te.num_parameters()}")
    both = torch.nn.ModuleDict({"te": te, "unet": unet}).to(r.device)
    tc, batch, _ = r.train_config("teacher_train")
    lat = torch.from_numpy(np.load(r.path("latents.npy"))).to(r.device)
    gamma = r.cfg["min_snr_gamma"]

    def loss_fn(rng):
        idx = ds.train_idx[rng.integers(0, len(ds.train_idx), batch)]
        z0 = lat[idx]
        ctx = te(_text_batch(r, ds, tok, idx, rng))
        t = torch.from_numpy(rng.integers(0, D.T, batch)).long()
        noise = torch.from_numpy(rng.standard_normal(tuple(z0.shape), dtype=np.float32)).to(r.device)
        v = unet(D.add_noise(z0, noise, t), t.to(r.device), ctx)
        per = (v - D.v_target(z0, noise, t)).pow(2).mean(dim=(1, 2, 3))
        return (D.min_snr_weight(t, gamma).to(r.device) * per).mean(), {"mse": per.mean().item()}

    metrics = train(both, loss_fn, tc, r.path("teacher.ckpt"), r.log, "teacher")
    both.cpu()
    save_unet(unet, r.path("teacher_unet.pt"))
    save_text_encoder(te, r.path("text_encoder.pt"))
    return {"unet_parameters": unet.num_parameters(), "text_encoder_parameters": te.num_parameters(), **metrics}


def _train_captions(ds: data.Dataset) -> list:
    rng = np.random.default_rng(7)
    return [ds.caption(int(i)) for i in ds.train_idx] + [ds.random_caption(int(i), rng) for i in ds.train_idx]


def _latent_shape(r: Run) -> tuple:
    return (r.cfg["autoencoder"]["latent_channels"], 16, 16)


def stage_trajectories(r: Run) -> dict:
    from distil import make_trajectories
    ds, tok = r.dataset(), r.tokenizer()
    unet, te = load_unet(r.path("teacher_unet.pt")).to(r.device), load_text_encoder(r.path("text_encoder.pt")).to(r.device)
    c = r.cfg["trajectories"]
    return make_trajectories(unet, te, tok, _train_captions(ds), r.cfg["student_steps"], c["sub_steps"], r.cfg["guidance"],
                             c["count"], c["batch"], _latent_shape(r), r.path("trajectories.npz"), r.log)


def stage_student(r: Run) -> dict:
    from distil import student_loss
    from prune import prune_unet
    ds, tok = r.dataset(), r.tokenizer()
    teacher, te = load_unet(r.path("teacher_unet.pt")), load_text_encoder(r.path("text_encoder.pt"))
    for p in te.parameters():
        p.requires_grad_(False)
    student, summary = prune_unet(teacher, r.cfg["prune_keep"])
    r.log(f"[student] pruned: {summary}")
    z = np.load(r.path("trajectories.npz"))
    tc, batch, _ = r.train_config("student_train")
    student.to(r.device)
    te.to(r.device)
    loss_fn = student_loss(student, te, tok, z["x"], z["cap"], _train_captions(ds), r.cfg["student_steps"], batch, r.device)
    with torch.no_grad():
        before = float(np.mean([loss_fn(np.random.default_rng([99, k]))[0].item() for k in range(3)]))
    r.log(f"[student] distillation loss right after pruning {before:.4f}")
    student.train()
    metrics = train(student, loss_fn, tc, r.path("student.ckpt"), r.log, "student")
    student.cpu()
    save_unet(student, r.path("student_unet.pt"), {"pruning": summary, "steps": r.cfg["student_steps"]})
    return {"pruning": summary, "loss_after_pruning": before, **metrics}


def _write_package(r: Run, role: str, unet: UNet, te: TextEncoder, tok: D.WordTokenizer, ae) -> dict:
    import export
    pkg = r.pkg(role)
    for sub in ("unet", "text_encoder", "tokenizer", "scheduler", "vae_decoder"):
        shutil.rmtree(os.path.join(pkg, sub), ignore_errors=True)
    os.makedirs(pkg, exist_ok=True)
    shape = _latent_shape(r)
    export.export_text_encoder(te, os.path.join(pkg, "text_encoder", "model.onnx"))
    n_fold = export.export_unet(unet, os.path.join(pkg, UNET_FILES["fp32"]), shape, te.c.max_length, te.c.dim)
    export.to_fp16_weights(os.path.join(pkg, UNET_FILES["fp32"]), os.path.join(pkg, UNET_FILES["fp16"]))
    n_q = export.to_int8_weights(os.path.join(pkg, UNET_FILES["fp32"]), os.path.join(pkg, UNET_FILES["int8"]))
    for precision in set(UNET_FILES) - set(r.ships(role)):
        os.remove(os.path.join(pkg, UNET_FILES[precision]))
    export.export_vae_decoder(ae.decoder, os.path.join(pkg, "vae_decoder", "model.onnx"), shape)
    # block_out_channels has one entry per resolution: the engine reads 2^(len − 1) = 4 pixels per latent cell
    D.write_json(os.path.join(pkg, "vae_decoder", "config.json"), {
        "_class_name": "AutoencoderKL", "scaling_factor": ae.c.scaling_factor, "latent_channels": shape[0],
        "block_out_channels": list(ae.c.channels), "sample_size": 64, "out_channels": 3})
    os.makedirs(os.path.join(pkg, "tokenizer"))
    D.write_json(os.path.join(pkg, "tokenizer", "tokenizer.json"), tok.hf_json())
    D.write_json(os.path.join(pkg, "tokenizer", "tokenizer_config.json"), tok.hf_config())
    os.makedirs(os.path.join(pkg, "scheduler"))
    guidance = r.cfg["guidance"] if role == "teacher" else 1.0
    D.write_json(os.path.join(pkg, "scheduler", "scheduler_config.json"), {
        "_class_name": "DDIMScheduler", "_diffusers_version": "0.30.0", "num_train_timesteps": D.T,
        "beta_schedule": "squaredcos_cap_v2", "beta_start": 0.0001, "beta_end": 0.02, "trained_betas": None,
        "prediction_type": "v_prediction", "clip_sample": False, "set_alpha_to_one": True, "steps_offset": 0,
        "timestep_spacing": "trailing", "thresholding": False, "rescale_betas_zero_snr": False})
    D.write_json(os.path.join(pkg, "model_index.json"), {
        "_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.30.0",
        "text_encoder": ["diffusers", "OnnxRuntimeModel"], "unet": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["transformers", "PreTrainedTokenizerFast"], "scheduler": ["diffusers", "DDIMScheduler"],
        "vae_encoder": [None, None], "vae_decoder": ["diffusers", "OnnxRuntimeModel"], "safety_checker": [None, None],
        "feature_extractor": [None, None], "requires_safety_checker": False,
        "sample_size": shape[1], "in_channels": shape[0], "output_range": [-1.0, 1.0],
        "timestep_dtype": "int64", "max_length": te.c.max_length, "hidden_size": te.c.dim,
        "default_steps": 50 if role == "teacher" else r.cfg["student_steps"], "default_guidance_scale": guidance,
    })
    files = [UNET_FILES[p] for p in r.ships(role)] + ["text_encoder/model.onnx", "vae_decoder/model.onnx"]
    sizes = {f: os.path.getsize(os.path.join(pkg, f)) for f in files}
    r.log(f"[export] {pkg}: {sizes} ({n_q} int8 weights, {n_fold} UNet Reshape targets folded to constants)")
    return {"dir": pkg, "sizes": sizes, "int8_weights": n_q, "unet_parameters": unet.num_parameters(),
            "text_encoder_parameters": te.num_parameters(), "guidance": guidance}


def stage_export(r: Run) -> dict:
    tok, ae = r.tokenizer(), r.autoencoder()
    te = load_text_encoder(r.path("text_encoder.pt"))
    return {role: _write_package(r, role, load_unet(r.path(f"{role}_unet.pt")), te, tok, ae) for role in ("teacher", "student")}


def node_tool(mode: str, pkg: str, *args: str, timeout: int = 3000) -> dict:
    if "--threads" not in args:
        args = (*args, "--threads", str(torch.get_num_threads()))
    cmd = ["node", os.path.join(HERE, "image_tools.mjs"), mode, pkg, *args]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr.strip()[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _ort_generate(r: Run, role: str, precision: str, steps: int, prompts_json: str, noise: np.ndarray, out: str) -> np.ndarray:
    exported = r.done("export")[role]
    noise.tofile(out + ".noise")
    node_tool("generate", exported["dir"], "--unet", UNET_FILES[precision], "--steps", str(steps), "--guidance", str(exported["guidance"]),
              "--prompts", prompts_json, "--noise", out + ".noise", "--out", out, "--batch", "32")
    os.remove(out + ".noise")
    return np.fromfile(out, dtype=np.float32).reshape(len(noise), 3, 64, 64)


def stage_evaluate(r: Run) -> dict:
    """Every shipped (precision, steps) point through onnxruntime-node: FD and faithfulness on the held-out
    emoji, recognisability on the everyday prompts; the contact sheet of the teacher and the student."""
    import evaluation as E
    from classifier import frechet_distance, predict, quality
    ds, cls = r.dataset(), r.classifier()
    ev = r.path("eval")
    os.makedirs(ev, exist_ok=True)
    n = r.cfg["eval_images"]
    idx = ds.held_idx[np.arange(n) % len(ds.held_idx)]
    held_prompts = os.path.join(ev, "heldout_prompts.json")
    D.write_json(held_prompts, [ds.caption(int(i)) for i in idx])
    shape = _latent_shape(r)
    held_noise = np.random.default_rng(1234).standard_normal((n, *shape)).astype(np.float32)
    seeds = r.cfg["seeds"]
    every = [p for p in data.EVERYDAY for _ in range(seeds)]
    every_prompts = os.path.join(ev, "everyday_prompts.json")
    D.write_json(every_prompts, every)
    every_noise = E.everyday_noise(len(data.EVERYDAY), seeds, shape)
    target = np.array([ds.find(p) for p in every])
    gallery = E.Gallery(cls, ds)
    ref_feats, ref_pred = predict(cls, ds.batch(ds.held_idx))
    rng = np.random.default_rng(5)
    real = ds.batch(ds.train_idx[rng.choice(len(ds.train_idx), len(idx), replace=len(idx) > len(ds.train_idx))])
    ae = r.autoencoder()
    recon = ae.decode_scaled(ae.encode_scaled(torch.from_numpy(ds.batch(idx)))).numpy()
    floor = {"frechetDistance": round(frechet_distance(predict(cls, real)[0], ref_feats), 4),
             "autoencoderFrechetDistance": quality(cls, recon, ds.labels[idx], ref_feats)["frechetDistance"],
             "faithfulness": round(float(np.mean(ref_pred == ds.labels[ds.held_idx])), 4)}
    cross = {"everyday": gallery.cross_style(np.unique(target)), "heldout": gallery.cross_style(np.unique(ds.emoji[ds.held_idx]))}
    r.log(f"[evaluate] real-data floor {floor}; real drawings against the other styles {cross}")
    results = {"floor": floor, "cross_style_real": cross, "images": len(idx), "everyday_images": len(every), "points": {}}
    sheet_models = {}
    for role, points in (("student", r.cfg["student_points"]), ("teacher", r.cfg["teacher_points"])):
        for precision, steps in points:
            key = f"{role}/{precision}/{steps}"
            t0 = time.time()
            imgs = _ort_generate(r, role, precision, steps, held_prompts, held_noise, os.path.join(ev, f"{role}_{precision}_{steps}.f32"))
            q = quality(cls, imgs, ds.labels[idx], ref_feats)
            every_imgs = _ort_generate(r, role, precision, steps, every_prompts, every_noise, os.path.join(ev, f"{role}_{precision}_{steps}_everyday.f32"))
            rec = E.recognisability(gallery, every_imgs, target)
            results["points"][key] = {"role": role, "precision": precision, "steps": steps, "guidance": r.done("export")[role]["guidance"],
                                      **q, "recognisabilityTop5": rec["top5"], "recognisabilityTop1": rec["top1"],
                                      "medianRank": rec["median_rank"], "generateSeconds": round(time.time() - t0, 1)}
            r.log(f"[evaluate] {key}: FD {q['frechetDistance']:.3f} faithfulness {q['faithfulness']:.3f} recognisability top-5 {rec['top5']:.3f}")
            ref = r.reference_precision(role)
            if precision == ref and steps == max(s for p, s in points if p == ref):
                sheet_models[f"{role} ({steps} steps)"] = every_imgs
                results[f"{role}_parity"] = _parity(r, role, steps, every[:4], every_noise[:4], every_imgs[:4])
                r.log(f"[evaluate] {role} PyTorch (fp32) vs ONNX Runtime ({ref}) max |Δpixel| over 4 images: {results[f'{role}_parity']:.2e}")
    sheet = os.path.join(ev, "contact_sheet.png")
    E.contact_sheet(sheet, list(data.EVERYDAY), seeds, dict(reversed(list(sheet_models.items()))), E.real_drawings(ds, list(data.EVERYDAY)))
    results["contact_sheet"] = sheet
    return results


def _parity(r: Run, role: str, steps: int, prompts, noise, onnx_imgs) -> float:
    import evaluation as E
    tok, te, unet = r.tokenizer(), load_text_encoder(r.path("text_encoder.pt")), load_unet(r.path(f"{role}_unet.pt"))
    x = E.generate(unet, te, tok, r.autoencoder(), prompts, noise, steps, r.done("export")[role]["guidance"])
    return float(np.abs(x - onnx_imgs).max())


def stage_report(r: Run) -> dict:
    import report
    return report.build(r)


RUNNERS = {"data": stage_data, "autoencoder": stage_autoencoder, "classifier": stage_classifier, "teacher": stage_teacher, "trajectories": stage_trajectories,
           "student": stage_student, "export": stage_export, "evaluate": stage_evaluate, "report": stage_report}


def _other_recipe_running() -> bool:
    try:
        return subprocess.run(["pgrep", "-f", "text_pipeline.py"], capture_output=True).returncode == 0
    except OSError:
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", choices=sorted(CONFIGS), required=True)
    ap.add_argument("--out", required=True, help="folder that receives the model packages (models/ for the full run)")
    ap.add_argument("--work", help="checkpoints and logs (default: models/recipes/runs/image/<config> for full and cuda, <out>/_work otherwise)")
    ap.add_argument("--device", help="cpu or cuda (default: the config's)")
    ap.add_argument("--until", choices=STAGES, help="stop after this stage")
    ap.add_argument("--redo", choices=STAGES, help="forget this stage and every later one, then run")
    ap.add_argument("--peek", choices=["teacher", "student"], help="contact sheet and recognisability of that stage's latest "
                    "checkpoint (EMA weights), then exit: how a run in progress looks")
    ap.add_argument("--threads", help="torch threads: a number, or 'auto' = 1 while another recipe "
                    "(text_pipeline.py) trains on this machine, else the config's (re-checked every minute)")
    ap.add_argument("--session-minutes", type=float, help="end each training stage's process after this long "
                    "(checkpointed, exit code 75; the same command continues); default: the config's")
    ap.add_argument("--no-reexec", action="store_true", help="run all stages in this process")
    a = ap.parse_args()
    shared = a.config in ("cpu", "cuda")
    work = a.work or (os.path.join(HERE, "..", "runs", "image", a.config) if shared else os.path.join(a.out, "_work"))
    r = Run(a.config, a.out, work, a.device or CONFIGS[a.config]["device"])
    if a.session_minutes is not None:
        r.cfg = {k: {**v, "session_minutes": a.session_minutes} if k.endswith("_train") else v for k, v in r.cfg.items()}
    import trainer
    if a.threads == "auto":
        trainer.THREADS_POLICY = lambda: 1 if _other_recipe_running() else r.cfg["threads"]
    else:
        n = int(a.threads or r.cfg["threads"])
        trainer.THREADS_POLICY = lambda: n
    trainer.apply_threads(r.log)
    if r.device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    if a.peek:
        import evaluation
        evaluation.peek(r, a.peek)
        return 0
    if a.redo:
        for s in STAGES[STAGES.index(a.redo):]:
            p = r.path(f"{s}.done.json")
            if os.path.exists(p):
                os.remove(p)
    for stage in STAGES:
        if r.done(stage) is None:
            t0 = time.time()
            r.log(f"== stage {stage} ({a.config}, {r.device}) ==")
            try:
                info = RUNNERS[stage](r)
            except trainer.SessionEnded as e:
                r.log(str(e))
                return 75  # EX_TEMPFAIL: run the same command again to continue
            info["stage_seconds"] = time.time() - t0
            r.mark(stage, info)
            r.log(f"== stage {stage} done in {info['stage_seconds'] / 60:.1f} min ==")
            if a.until == stage:
                return 0
            if not a.no_reexec and stage != STAGES[-1]:
                args = [sys.executable, os.path.abspath(__file__), "--config", a.config, "--out", a.out, "--work", work,
                        "--device", str(r.device)]
                if a.until:
                    args += ["--until", a.until]
                if a.threads:
                    args += ["--threads", a.threads]
                if a.session_minutes is not None:
                    args += ["--session-minutes", str(a.session_minutes)]
                os.execv(sys.executable, args)
        if a.until == stage:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
