"""Step distillation 50 → 4: progressive distillation (Salimans & Ho 2022) collapsed into one round.

1. Trajectories: the teacher (with classifier-free guidance w baked in, as in Meng et al. 2023's
   guided distillation) runs deterministic DDIM from seeded noise with K sub-steps per student step,
   recording x at the student's timesteps 999, 749, 499, 249 and the final x₀.
2. Student: pruned from the teacher, trained so that ONE DDIM step of its own v-prediction from
   x_{t_i} lands on the teacher's x_{t_{i+1}} (`diffusion.v_for_jump`); the loss is MSE in v space
   (= the truncated-SNR-weighted x₀ loss of progressive distillation). The student runs without
   guidance (one UNet call per step), with the same conditioning on the teacher's text encoder.
"""
from __future__ import annotations

import os
import time
from typing import Callable, List

import numpy as np
import torch
import torch.nn.functional as F

import diffusion as D
from trainer import apply_threads


def student_timesteps(steps: int) -> List[int]:
    return D.trailing_timesteps(steps)


@torch.no_grad()
def make_trajectories(unet, te, tok: D.WordTokenizer, captions: List[str], student_steps: int, sub_steps: int,
                      guidance: float, count: int, batch: int, shape: tuple, path: str, log: Callable, seed: int = 1) -> dict:
    """Appends batches of teacher trajectories (latents of `shape`) to `path` (.npz) until `count` are made
    (resumable: an existing file is continued; batch k is seeded by k, so the result does not depend on stops)."""
    ts = student_timesteps(student_steps)
    teacher_steps = student_steps * sub_steps
    assert set(ts) <= set(D.trailing_timesteps(teacher_steps)), "student timesteps must lie on the teacher's grid"
    have = dict(np.load(path)) if os.path.exists(path) else {"x": np.zeros((0, len(ts) + 1, *shape), np.float16),
                                                            "cap": np.zeros((0,), np.int64)}
    xs, caps = [have["x"]], [have["cap"]]
    n = len(have["cap"])
    t0 = time.time()
    unc = te(tok.batch([""]).to(next(te.parameters()).device))
    while n < count:
        apply_threads(log)
        rng = np.random.default_rng(seed + n)
        ci = rng.integers(0, len(captions), batch)
        ctx = te(tok.batch([captions[i] for i in ci]).to(unc.device))
        noise = torch.from_numpy(rng.standard_normal((batch, *shape)).astype(np.float32)).to(unc.device)
        x0, rec = D.sample(unet, ctx, unc.expand(batch, -1, -1), noise, teacher_steps, guidance, record=ts)
        traj = np.stack([rec[t].cpu().numpy() for t in ts] + [x0.cpu().numpy()], axis=1).astype(np.float16)
        xs.append(traj)
        caps.append(ci.astype(np.int64))
        n += batch
        np.savez(path + ".tmp.npz", x=np.concatenate(xs), cap=np.concatenate(caps))
        os.replace(path + ".tmp.npz", path)
        log(f"[trajectories] {n} trajectories ({(time.time() - t0) / 60:.1f} min; teacher DDIM {teacher_steps} steps, w={guidance})")
    return {"count": n, "teacher_steps": teacher_steps, "guidance": guidance, "timesteps": ts}


def student_loss(student, te, tok: D.WordTokenizer, traj: np.ndarray, caps: np.ndarray, captions: List[str],
                 student_steps: int, batch: int, device) -> Callable:
    ts = student_timesteps(student_steps)
    stride = D.T // student_steps
    traj_t = torch.from_numpy(traj)  # float16 [N, steps + 1, C, H, W]
    cache = {}

    @torch.no_grad()
    def ctx_of(ci: np.ndarray) -> torch.Tensor:
        missing = [c for c in set(ci.tolist()) if c not in cache]
        if missing:
            out = te(tok.batch([captions[c] for c in missing]).to(device))
            for c, o in zip(missing, out):
                cache[c] = o
        return torch.stack([cache[c] for c in ci.tolist()])

    def loss_fn(rng: np.random.Generator):
        idx = rng.integers(0, len(traj_t), batch)
        k = rng.integers(0, len(ts), batch)
        x_t = traj_t[idx, k].float()
        x_next = traj_t[idx, k + 1].float()
        t = torch.tensor([ts[i] for i in k], dtype=torch.int64)
        x_t, x_next = x_t.to(device), x_next.to(device)
        target = D.v_for_jump(x_t, x_next, t, t - stride)
        v = student(x_t, t.to(device), ctx_of(caps[idx]))
        loss = F.mse_loss(v, target)
        return loss, {}

    return loss_fn
