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

import numpy as np  # noqa: E402
import torch  # noqa: E402

import data  # noqa: E402
import diffusion as D  # noqa: E402
from torch_unet import TextConfig, TextEncoder, UNet, UNetConfig, load_text_encoder, load_unet, save_text_encoder, save_unet  # noqa: E402
from trainer import TrainConfig, train  # noqa: E402

CONFIGS = {
    "full": {
        "threads": 2,
        "text": dict(max_length=16, dim=128, layers=2, heads=4, ffn=256),
        "unet": dict(channels=[32, 64, 128], context_dim=128, temb_dim=128, head_dim=32, attn_levels=[1, 2]),
        "classifier": dict(minutes=1.5, batch=64, lr=2e-3),
        "teacher_train": dict(minutes=15, lr=1e-3, warmup=100, ema=0.999, batch=32, log_every=50),
        "guidance": 2.5,
        "caption_dropout": 0.1,
        "student_steps": 4,
        "trajectories": dict(sub_steps=10, minutes=20, max_count=4096, batch=64),
        "prune_keep": 0.75,
        "student_train": dict(minutes=50, lr=5e-4, warmup=20, ema=0.995, batch=48, log_every=25),
        "eval_images": 368,
        # teacher at 4 steps (plain DDIM, no distillation) shows what step distillation buys
        "teacher_points": [("fp32", 50), ("fp32", 20), ("fp32", 8), ("fp16", 8), ("int8", 8), ("fp32", 4)],
        "student_points": [("fp32", 4), ("fp16", 4), ("int8", 4)],
        "bench_runs": 5,
        "names": {"teacher": "pareto-emoji-teacher", "student": "pareto-emoji-student"},
    },
    "smoke": {
        "threads": 1,
        "text": dict(max_length=16, dim=32, layers=1, heads=2, ffn=64),
        "unet": dict(channels=[16, 16, 32], context_dim=32, temb_dim=32, head_dim=16, attn_levels=[2]),
        "classifier": dict(minutes=0.3, batch=32, lr=2e-3, max_steps=15),
        "teacher_train": dict(minutes=0.5, max_steps=15, lr=1e-3, warmup=5, ema=0.9, batch=16, log_every=5),
        "guidance": 2.5,
        "caption_dropout": 0.1,
        "student_steps": 4,
        "trajectories": dict(sub_steps=2, minutes=0.5, max_count=32, batch=32),
        "prune_keep": 0.5,
        "student_train": dict(minutes=0.3, max_steps=10, lr=5e-4, warmup=2, ema=0.9, batch=16, log_every=5),
        "eval_images": 24,
        "teacher_points": [("fp32", 8), ("int8", 8)],
        "student_points": [("fp32", 4), ("fp16", 4), ("int8", 4)],
        "bench_runs": 1,
        "names": {"teacher": "pareto-emoji-teacher", "student": "pareto-emoji-student"},
    },
}
# "pilot": the full run's dimensions with the smoke run's budgets (checks the full-size path in minutes)
CONFIGS["pilot"] = {**CONFIGS["full"], **{k: CONFIGS["smoke"][k] for k in (
    "threads", "classifier", "teacher_train", "trajectories", "student_train", "eval_images", "bench_runs")},
    "teacher_points": [("fp32", 8), ("int8", 8), ("fp32", 4)]}
STAGES = ["data", "classifier", "teacher", "trajectories", "student", "export", "evaluate", "report"]
UNET_FILES = {"fp32": "unet/model.onnx", "fp16": "unet/model_fp16.onnx", "int8": "unet/model_int8.onnx"}


class Run:
    def __init__(self, config: str, out: str, work: str):
        self.name, self.cfg, self.out, self.work = config, CONFIGS[config], os.path.abspath(out), os.path.abspath(work)
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
        # the full run caches the prepared data set next to its work folder; other configs inside theirs
        return os.path.join(HERE, "..", "runs", "image", "emoji32.npz") if self.name == "full" else self.path("emoji32.npz")

    def dataset(self) -> data.Dataset:
        return data.Dataset(self.npz)

    def tokenizer(self) -> D.WordTokenizer:
        return D.WordTokenizer.load(self.path("tokenizer.json"))

    def classifier(self):
        from classifier import EmojiClassifier
        m = EmojiClassifier()
        m.load_state_dict(torch.load(self.path("classifier.pt")))
        return m.eval()

    def pkg(self, role: str) -> str:
        return os.path.join(self.out, self.cfg["names"][role])


def stage_data(r: Run) -> dict:
    cache = os.path.join(HERE, "..", "runs", "image", "npm") if r.name == "full" else r.path("npm")
    info = data.build(cache, r.npz, r.log)
    ds = r.dataset()
    # vocabulary: every caption part of the training split (held-out names map to [UNK] where new)
    texts = []
    for i in ds.train_idx:
        texts += [str(ds.names[i]), str(ds.cats[i]), str(ds.subcats[i])]
        texts += str(ds.shorts[i]).split("|") + str(ds.tags[i]).split("|")
    tok = D.WordTokenizer.train(texts, r.cfg["text"]["max_length"])
    tok.save(r.path("tokenizer.json"))
    info.update({"images": int(len(ds.labels)), "train_images": int(len(ds.train_idx)), "heldout_images": int(len(ds.held_idx)),
                 "vocab": len(tok.vocab), "per_category": np.bincount(ds.labels, minlength=9).tolist()})
    r.log(f"[data] {info}")
    return info


def stage_classifier(r: Run) -> dict:
    from classifier import train_classifier
    ds = r.dataset()
    c = dict(r.cfg["classifier"])
    model, info = train_classifier(ds.x[ds.train_idx], ds.labels[ds.train_idx], ds.x[ds.held_idx], ds.labels[ds.held_idx],
                                   c.pop("minutes"), c.pop("batch"), c.pop("lr"), r.log, **c)
    torch.save(model.state_dict(), r.path("classifier.pt"))
    return info


def _text_batch(r: Run, ds: data.Dataset, tok: D.WordTokenizer, idx: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
    caps = ["" if rng.random() < r.cfg["caption_dropout"] else ds.random_caption(int(i), rng) for i in idx]
    return tok.batch(caps)


def stage_teacher(r: Run) -> dict:
    ds, tok = r.dataset(), r.tokenizer()
    torch.manual_seed(0)
    te = TextEncoder(TextConfig(vocab_size=len(tok.vocab), **r.cfg["text"]))
    unet = UNet(UNetConfig(**r.cfg["unet"]))
    r.log(f"[teacher] UNet {unet.num_parameters()} parameters, text encoder {te.num_parameters()}")
    both = torch.nn.ModuleDict({"te": te, "unet": unet})
    tc = dict(r.cfg["teacher_train"])
    batch = tc.pop("batch")
    x_all = torch.from_numpy(ds.x)

    def loss_fn(rng):
        idx = ds.train_idx[rng.integers(0, len(ds.train_idx), batch)]
        x0 = x_all[idx]
        ctx = te(_text_batch(r, ds, tok, idx, rng))
        t = torch.from_numpy(rng.integers(0, D.T, batch)).long()
        noise = torch.from_numpy(rng.standard_normal(x0.shape).astype(np.float32))
        v = unet(D.add_noise(x0, noise, t), t, ctx)
        return torch.nn.functional.mse_loss(v, D.v_target(x0, noise, t)), {}

    metrics = train(both, loss_fn, TrainConfig(**tc), r.path("teacher.ckpt"), r.log, "teacher")
    save_unet(unet, r.path("teacher_unet.pt"))
    save_text_encoder(te, r.path("text_encoder.pt"))
    return {"unet_parameters": unet.num_parameters(), "text_encoder_parameters": te.num_parameters(), **metrics}


def _train_captions(ds: data.Dataset) -> list:
    rng = np.random.default_rng(7)
    caps = [ds.caption(int(i)) for i in ds.train_idx] + [ds.random_caption(int(i), rng) for i in ds.train_idx]
    return caps


def stage_trajectories(r: Run) -> dict:
    from distil import make_trajectories
    ds, tok = r.dataset(), r.tokenizer()
    unet, te = load_unet(r.path("teacher_unet.pt")), load_text_encoder(r.path("text_encoder.pt"))
    c = r.cfg["trajectories"]
    return make_trajectories(unet, te, tok, _train_captions(ds), r.cfg["student_steps"], c["sub_steps"], r.cfg["guidance"],
                             c["minutes"], c["max_count"], c["batch"], r.path("trajectories.npz"), r.log)


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
    tc = dict(r.cfg["student_train"])
    batch = tc.pop("batch")
    loss_fn = student_loss(student, te, tok, z["x"], z["cap"], _train_captions(ds), r.cfg["student_steps"], batch)
    with torch.no_grad():
        rng = np.random.default_rng(99)
        before = float(np.mean([loss_fn(rng)[0].item() for _ in range(3)]))
    r.log(f"[student] distillation loss right after pruning {before:.4f}")
    student.train()
    metrics = train(student, loss_fn, TrainConfig(**tc), r.path("student.ckpt"), r.log, "student")
    save_unet(student, r.path("student_unet.pt"), {"pruning": summary, "steps": r.cfg["student_steps"]})
    return {"pruning": summary, "loss_after_pruning": before, **metrics}


def _write_package(r: Run, role: str, unet: UNet, te: TextEncoder, tok: D.WordTokenizer) -> dict:
    import export
    pkg = r.pkg(role)
    for sub in ("unet", "text_encoder", "tokenizer", "scheduler"):
        shutil.rmtree(os.path.join(pkg, sub), ignore_errors=True)
    os.makedirs(pkg, exist_ok=True)
    export.export_text_encoder(te, os.path.join(pkg, "text_encoder", "model.onnx"))
    export.export_unet(unet, os.path.join(pkg, UNET_FILES["fp32"]), te.c.max_length, te.c.dim)
    export.to_fp16_weights(os.path.join(pkg, UNET_FILES["fp32"]), os.path.join(pkg, UNET_FILES["fp16"]))
    n_q = export.to_int8_weights(os.path.join(pkg, UNET_FILES["fp32"]), os.path.join(pkg, UNET_FILES["int8"]))
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
        "vae_encoder": [None, None], "vae_decoder": [None, None], "safety_checker": [None, None],
        "feature_extractor": [None, None], "requires_safety_checker": False,
        # pixel space: no VAE; the UNet's denoised sample IS the image (RGB, [-1, 1] → (x + 1) · 127.5)
        "pixel_space": True, "sample_size": 32, "in_channels": 3, "output_range": [-1.0, 1.0],
        "timestep_dtype": "int64", "max_length": te.c.max_length, "hidden_size": te.c.dim,
        "default_steps": 50 if role == "teacher" else r.cfg["student_steps"], "default_guidance_scale": guidance,
    })
    sizes = {f: os.path.getsize(os.path.join(pkg, f)) for f in list(UNET_FILES.values()) + ["text_encoder/model.onnx"]}
    r.log(f"[export] {pkg}: {sizes} ({n_q} int8 weights)")
    return {"dir": pkg, "sizes": sizes, "int8_weights": n_q, "unet_parameters": unet.num_parameters(),
            "text_encoder_parameters": te.num_parameters(), "guidance": guidance}


def stage_export(r: Run) -> dict:
    tok = r.tokenizer()
    te = load_text_encoder(r.path("text_encoder.pt"))
    out = {}
    for role in ("teacher", "student"):
        out[role] = _write_package(r, role, load_unet(r.path(f"{role}_unet.pt")), te, tok)
    return out


def node_tool(mode: str, pkg: str, *args: str, timeout: int = 3000) -> dict:
    if "--threads" not in args:
        args = (*args, "--threads", str(torch.get_num_threads()))
    cmd = ["node", os.path.join(HERE, "image_tools.mjs"), mode, pkg, *args]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr.strip()[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _eval_set(r: Run):
    ds = r.dataset()
    n = r.cfg["eval_images"]
    idx = ds.held_idx[np.arange(n) % len(ds.held_idx)]
    prompts = [ds.caption(int(i)) for i in idx]
    noise = np.random.default_rng(1234).standard_normal((n, 3, 32, 32)).astype(np.float32)
    return ds, idx, prompts, noise


def stage_evaluate(r: Run) -> dict:
    from classifier import predict, quality, frechet_distance
    ds, idx, prompts, noise = _eval_set(r)
    cls = r.classifier()
    ev = r.path("eval")
    os.makedirs(ev, exist_ok=True)
    D.write_json(os.path.join(ev, "prompts.json"), prompts)
    noise.tofile(os.path.join(ev, "noise.f32"))
    ref_feats, ref_pred = predict(cls, ds.x[ds.held_idx])
    labels = ds.labels[idx]
    # floor: real training images (same count) against the held-out reference
    rng = np.random.default_rng(5)
    real = ds.x[ds.train_idx[rng.choice(len(ds.train_idx), len(idx), replace=False)]]
    floor = {"frechetDistance": round(frechet_distance(predict(cls, real)[0], ref_feats), 4),
             "faithfulness": round(float(np.mean(ref_pred == ds.labels[ds.held_idx])), 4)}
    r.log(f"[evaluate] real-data floor: {floor} ({len(idx)} images; faithfulness = classifier accuracy on held-out real)")
    exported = r.done("export")
    results = {"floor": floor, "images": len(idx), "points": {}}
    for role, points in (("student", r.cfg["student_points"]), ("teacher", r.cfg["teacher_points"])):
        pkg = exported[role]["dir"]
        g = exported[role]["guidance"]
        for precision, steps in points:
            out = os.path.join(ev, f"{role}_{precision}_{steps}.f32")
            t0 = time.time()
            info = node_tool("generate", pkg, "--unet", UNET_FILES[precision], "--steps", str(steps), "--guidance", str(g),
                             "--prompts", os.path.join(ev, "prompts.json"), "--noise", os.path.join(ev, "noise.f32"),
                             "--out", out, "--batch", "32")
            imgs = np.fromfile(out, dtype=np.float32).reshape(-1, 3, 32, 32)
            q = quality(cls, imgs, labels, ref_feats)
            key = f"{role}/{precision}/{steps}"
            results["points"][key] = {"role": role, "precision": precision, "steps": steps, "guidance": g, **q,
                                      "generateSeconds": round(time.time() - t0, 1)}
            r.log(f"[evaluate] {key}: FD {q['frechetDistance']:.3f} faithfulness {q['faithfulness']:.3f} ({info['seconds']:.0f} s)")
            if precision == "fp32" and (role == "student" or steps == min(s for p, s in points if p == "fp32")):
                results[f"{role}_parity"] = _parity(r, role, steps, g, prompts[:4], noise[:4], imgs[:4])
                r.log(f"[evaluate] {role} PyTorch vs ONNX Runtime max |Δpixel| over 4 images: {results[f'{role}_parity']:.2e}")
            if role == "student" and precision == "fp32":
                _save_grid(imgs[:64], os.path.join(ev, "student_fp32_4.png"))
            if role == "teacher" and precision == "fp32" and steps == 50:
                _save_grid(imgs[:64], os.path.join(ev, "teacher_fp32_50.png"))
    return results


def _parity(r: Run, role: str, steps: int, guidance: float, prompts, noise, onnx_imgs) -> float:
    tok, te, unet = r.tokenizer(), load_text_encoder(r.path("text_encoder.pt")), load_unet(r.path(f"{role}_unet.pt"))
    with torch.no_grad():
        ctx, unc = te(tok.batch(prompts)), te(tok.batch([""] * len(prompts)))
        x, _ = D.sample(unet, ctx, unc, torch.from_numpy(noise), steps, guidance)
    return float(np.abs(x.numpy() - onnx_imgs).max())


def _save_grid(imgs: np.ndarray, path: str) -> None:
    from PIL import Image
    n = int(np.ceil(np.sqrt(len(imgs))))
    grid = np.ones((n * 34, n * 34, 3), np.uint8) * 255
    for k, im in enumerate(imgs):
        y, x = divmod(k, n)
        grid[y * 34 + 1:y * 34 + 33, x * 34 + 1:x * 34 + 33] = ((np.clip(im, -1, 1).transpose(1, 2, 0) + 1) * 127.5).round().astype(np.uint8)
    Image.fromarray(grid).resize((n * 34 * 2, n * 34 * 2), Image.NEAREST).save(path)


def stage_report(r: Run) -> dict:
    import report
    return report.build(r)


RUNNERS = {"data": stage_data, "classifier": stage_classifier, "teacher": stage_teacher, "trajectories": stage_trajectories,
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
    ap.add_argument("--work", help="checkpoints and logs (default: models/recipes/runs/image/<config> for full, <out>/_work otherwise)")
    ap.add_argument("--until", choices=STAGES, help="stop after this stage")
    ap.add_argument("--redo", choices=STAGES, help="forget this stage and every later one, then run")
    ap.add_argument("--threads", help="torch threads: a number, or 'auto' = 1 while another recipe "
                    "(text_pipeline.py) trains on this machine, else the config's (re-checked every minute)")
    ap.add_argument("--no-reexec", action="store_true", help="run all stages in this process")
    a = ap.parse_args()
    work = a.work or (os.path.join(HERE, "..", "runs", "image", a.config) if a.config == "full" else os.path.join(a.out, "_work"))
    r = Run(a.config, a.out, work)
    import trainer
    if a.threads == "auto":
        trainer.THREADS_POLICY = lambda: 1 if _other_recipe_running() else r.cfg["threads"]
    else:
        n = int(a.threads or r.cfg["threads"])
        trainer.THREADS_POLICY = lambda: n
    trainer.apply_threads(r.log)
    if a.redo:
        for s in STAGES[STAGES.index(a.redo):]:
            p = r.path(f"{s}.done.json")
            if os.path.exists(p):
                os.remove(p)
    for stage in STAGES:
        if r.done(stage) is None:
            t0 = time.time()
            r.log(f"== stage {stage} ({a.config}) ==")
            info = RUNNERS[stage](r)
            info["stage_seconds"] = time.time() - t0
            r.mark(stage, info)
            r.log(f"== stage {stage} done in {info['stage_seconds'] / 60:.1f} min ==")
            if a.until == stage:
                return 0
            if not a.no_reexec and stage != STAGES[-1]:
                args = [sys.executable, os.path.abspath(__file__), "--config", a.config, "--out", a.out, "--work", work]
                if a.until:
                    args += ["--until", a.until]
                if a.threads:
                    args += ["--threads", a.threads]
                os.execv(sys.executable, args)
        if a.until == stage:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
