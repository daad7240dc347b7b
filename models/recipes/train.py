"""Text training: batches of whole-story-aligned windows, the losses, and the step-counted training loop
the image recipe uses (`image/trainer.py`: AdamW, warmup + cosine decay over a fixed number of steps,
EMA, atomic checkpoints every few minutes, a committed compact checkpoint, `session_minutes`, early
stopping on the train-side dev split). Step k draws its batch from a generator seeded by (seed, k),
so the weights depend on the seed and the step count, not on the machine or its load."""
from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from typing import Callable, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

_spec = importlib.util.spec_from_file_location("pareto_step_trainer", os.path.join(os.path.dirname(__file__), "image", "trainer.py"))
trainer = sys.modules.setdefault("pareto_step_trainer", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(trainer)
TrainConfig, SessionEnded, compact_path, load_ema = trainer.TrainConfig, trainer.SessionEnded, trainer.compact_path, trainer.load_ema


@dataclasses.dataclass
class TextTrainConfig:
    """A text stage's `*_train` entry: the batch shape and augmentation, and the step trainer's settings."""
    batch: int = 16
    seq: int = 256
    jump_prob: float = 0.25  # share of windows whose body is shifted to far positions (long sink offsets)
    train: dict = dataclasses.field(default_factory=dict)  # TrainConfig fields

    @classmethod
    def from_entry(cls, entry: dict) -> "TextTrainConfig":
        e = dict(entry)
        own = {k: e.pop(k) for k in ("batch", "seq", "jump_prob") if k in e}
        return cls(**own, train=e)

    def trainer_config(self, session_minutes: float) -> "trainer.TrainConfig":
        return TrainConfig(**{"session_minutes": session_minutes, **self.train})


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

    def next(self, rng: Optional[np.random.Generator] = None):
        rng = rng or self.rng
        s = rng.choice(self.starts, size=self.batch)
        ids = torch.stack([self.stream[i:i + self.seq + 1] for i in s])
        pos = torch.arange(self.seq).unsqueeze(0).repeat(self.batch, 1)
        spare = self.max_pos - self.seq
        if spare > 0 and self.jump_prob > 0:
            for b in range(self.batch):
                if rng.random() < self.jump_prob:
                    pos[b, self.sinks:] += int(rng.integers(1, spare + 1))
        return ids, pos


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def step_loss(module, loss: Callable, batcher: "Batcher") -> Callable[[np.random.Generator], tuple]:
    """The step trainer's `loss_fn(rng)`: one batch drawn with the step's generator."""
    def fn(rng):
        ids, pos = batcher.next(rng)
        return loss(module, ids, pos)
    return fn


def run_stage(module, loss: Callable, batcher: "Batcher", tc: TextTrainConfig, session_minutes: float, ckpt: str, log, tag: str,
              evaluate: Optional[Callable] = None) -> dict:
    """Trains one stage with the step trainer; metrics plus the tokens seen."""
    cfg = tc.trainer_config(session_minutes)
    out = trainer.train(module, step_loss(module, loss, batcher), cfg, ckpt, log, tag, evaluate=evaluate)
    out["tokens"] = int(out["steps"]) * tc.batch * tc.seq
    return out


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
