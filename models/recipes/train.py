"""Training loop shared by every stage: batches of whole-story-aligned windows, AdamW with warmup +
cosine decay over a step *and* wall-clock budget, atomic checkpoints every few minutes, resume."""
from __future__ import annotations

import dataclasses
import math
import os
import time
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F


@dataclasses.dataclass
class TrainConfig:
    steps: int = 1000
    minutes: float = 30.0  # wall-clock budget; the LR schedule follows whichever budget runs out first
    batch: int = 16
    seq: int = 256
    lr: float = 2e-3
    min_lr_frac: float = 0.1
    warmup: int = 50
    weight_decay: float = 0.1
    clip: float = 1.0
    checkpoint_seconds: float = 180.0
    log_every: int = 10
    jump_prob: float = 0.25  # share of windows whose body is shifted to far positions (long sink offsets)
    seed: int = 0


class Batcher:
    """Windows of `seq + 1` tokens that start at a story's BOS, so the first positions (the attention
    sinks) are the story opening, as at run time. With probability `jump_prob` the positions after
    the sinks are shifted by a random offset, which teaches the model sink distances beyond `seq`."""

    def __init__(self, stream: np.ndarray, bos_id: int, seq: int, batch: int, max_pos: int, sinks: int,
                 jump_prob: float, seed: int):
        self.stream = torch.from_numpy(stream.astype(np.int64))
        starts = np.nonzero(stream == bos_id)[0]
        self.starts = starts[starts + seq + 1 <= len(stream)]
        self.seq, self.batch, self.max_pos, self.sinks, self.jump_prob = seq, batch, max_pos, sinks, jump_prob
        self.rng = np.random.default_rng(seed)

    def next(self):
        s = self.rng.choice(self.starts, size=self.batch)
        ids = torch.stack([self.stream[i:i + self.seq + 1] for i in s])
        pos = torch.arange(self.seq).unsqueeze(0).repeat(self.batch, 1)
        spare = self.max_pos - self.seq
        if spare > 0 and self.jump_prob > 0:
            for b in range(self.batch):
                if self.rng.random() < self.jump_prob:
                    pos[b, self.sinks:] += int(self.rng.integers(1, spare + 1))
        return ids, pos


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def lr_at(progress: float, cfg: TrainConfig, step: int) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    p = min(1.0, max(0.0, progress))
    return cfg.lr * (cfg.min_lr_frac + (1 - cfg.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * p)))


def _save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(module: torch.nn.Module, loss_fn: Callable, batcher: Batcher, cfg: TrainConfig, ckpt: str,
          log: Callable[[str], None], name: str) -> Dict[str, float]:
    """Trains `module` (all its parameters) on `loss_fn(module, ids, pos) -> (loss, metrics)`.
    Resumes from `ckpt` if present; returns the final metrics (running means)."""
    params = [p for p in module.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95))
    step, elapsed = 0, 0.0
    if os.path.exists(ckpt):
        state = torch.load(ckpt)
        module.load_state_dict(state["module"])
        opt.load_state_dict(state["opt"])
        step, elapsed = state["step"], state["elapsed"]
        batcher.rng = np.random.default_rng(cfg.seed + step)
        log(f"[{name}] resumed at step {step} ({elapsed / 60:.1f} min done)")
    budget = cfg.minutes * 60
    last_ckpt = time.time()
    started = time.time() - elapsed
    running: Dict[str, float] = {}
    module.train()
    while step < cfg.steps and (time.time() - started) < budget:
        progress = max(step / cfg.steps, (time.time() - started) / budget)
        lr = lr_at(progress, cfg, step)
        for g in opt.param_groups:
            g["lr"] = lr
        ids, pos = batcher.next()
        loss, metrics = loss_fn(module, ids, pos)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.clip)
        opt.step()
        step += 1
        for k, v in metrics.items():
            running[k] = v if k not in running else 0.95 * running[k] + 0.05 * v
        if step % cfg.log_every == 0 or step == 1:
            now = time.time() - started
            tok_s = step * cfg.batch * cfg.seq / max(now, 1e-6)
            log(f"[{name}] step {step} {now / 60:.1f}min lr {lr:.2e} tok/s {tok_s:.0f} " +
                " ".join(f"{k} {v:.4f}" for k, v in running.items()))
        if time.time() - last_ckpt > cfg.checkpoint_seconds:
            _save({"module": module.state_dict(), "opt": opt.state_dict(), "step": step,
                   "elapsed": time.time() - started}, ckpt)
            last_ckpt = time.time()
    _save({"module": module.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": time.time() - started}, ckpt)
    running["steps"] = step
    running["minutes"] = (time.time() - started) / 60
    running["tokens"] = step * cfg.batch * cfg.seq
    log(f"[{name}] done: {step} steps, {running['minutes']:.1f} min, {running['tokens']} tokens")
    return running


def teacher_loss(exit_weight: float):
    """Next-token cross-entropy at the final layer plus, with weight `exit_weight`, at every exit."""
    def fn(model, ids, pos):
        out = model(ids[:, :-1], position_ids=pos)
        tgt = ids[:, 1:]
        loss = lm_loss(out["logits"], tgt)
        metrics = {"ce": loss.item()}
        total = loss
        for k, lg in out["exits"].items():
            e = lm_loss(lg, tgt)
            metrics[f"ce_exit{k}"] = e.item()
            total = total + exit_weight * e
        return total, metrics
    return fn


@torch.no_grad()
def dev_loss(model, batches: List, depth: Optional[int] = None) -> float:
    """Mean next-token CE (nats) over fixed batches of the training-side dev split."""
    model.eval()
    total = 0.0
    for ids, pos in batches:
        out = model(ids[:, :-1], position_ids=pos, depth=depth, want_exits=False)
        total += lm_loss(out["logits"], ids[:, 1:]).item()
    model.train()
    return total / max(1, len(batches))
