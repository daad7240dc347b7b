"""Step-counted training loop shared by the autoencoder, the teacher and the student: AdamW, linear
warmup then cosine decay over `steps`, an EMA of the weights, atomic checkpoints every few minutes and
resume from the last one. Step k draws its batch from a generator seeded by (seed, k), so a run gives
the same weights from the same seed on any machine however often it was stopped and resumed.
`session_minutes` ends one process early (checkpointed; the next run continues): a long schedule is
reached over several runs on a small machine. Optional (the text recipe uses them; the defaults keep the
image recipe's behaviour): weight decay on matrices only, Adam's moments in the committed compact
checkpoint, and early stopping on a held-aside split with the best EMA weights kept."""
from __future__ import annotations

import copy
import dataclasses
import math
import os
import time
from typing import Callable, Dict, Optional

import numpy as np
import torch


THREADS_POLICY: Callable[[], int] = torch.get_num_threads  # set by the pipeline (e.g. 1 while another recipe trains)


def apply_threads(log: Callable[[str], None] = print) -> None:
    n = THREADS_POLICY()
    if n != torch.get_num_threads():
        torch.set_num_threads(n)
        log(f"[threads] torch now uses {n} thread(s)")


@dataclasses.dataclass
class TrainConfig:
    steps: int = 1000
    session_minutes: float = 10.0 ** 6  # stop this process after this long (checkpointed; a rerun resumes)
    lr: float = 1e-3
    min_lr_frac: float = 0.05
    warmup: int = 100
    weight_decay: float = 0.0
    clip: float = 1.0
    ema: float = 0.999  # EMA decay (warmed up as min(ema, (1 + step) / (10 + step)))
    checkpoint_seconds: float = 180.0
    log_every: int = 50
    seed: int = 0
    decay_vectors: bool = True  # False: no weight decay on 1-D parameters (norm gains)
    compact_optimizer: bool = False  # True: the compact checkpoint also keeps Adam's moments (bfloat16), so a resume does not re-warm
    eval_every: int = 0  # with an `evaluate` callback: score the EMA weights every this many steps, keep the best
    patience: int = 0  # stop after this many evaluations without a new best (0: never stop early)


class SessionEnded(Exception):
    """A training stage stopped at `session_minutes` before its last step (its checkpoint is saved)."""


def load_ema(module: torch.nn.Module, ckpt: str) -> int:
    """Loads a checkpoint's EMA weights into `module` (a look at a run in progress); returns its step."""
    path = ckpt if os.path.exists(ckpt) else compact_path(ckpt)
    blob = torch.load(path, map_location="cpu")
    module.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["ema"].items()})
    return int(blob["step"])


def _save(obj, path: str) -> None:
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


def compact_path(ckpt: str) -> str:
    """`teacher.ckpt` → `teacher.resume.pt`: the weights and EMA in float16 without the optimiser's moments
    (a quarter of the full checkpoint), small enough to commit so a run can continue on another machine."""
    return os.path.splitext(ckpt)[0] + ".resume.pt"


def _half(sd, dtype=torch.float16):
    return {k: v.detach().cpu().to(dtype) if v.is_floating_point() else v.detach().cpu() for k, v in sd.items()}


def _compact_opt(opt, dtype=torch.bfloat16) -> dict:
    """The optimiser state with every moment tensor in bfloat16 (the second moments need its range)."""
    sd = opt.state_dict()
    return {"param_groups": sd["param_groups"],
            "state": {i: {k: v.detach().cpu().to(dtype) if torch.is_tensor(v) and v.dim() > 0 else v for k, v in st.items()}
                      for i, st in sd["state"].items()}}


def _checkpoint(module, opt, ema, step: int, elapsed: float, ckpt: str, extra=None, compact_optimizer: bool = False) -> None:
    extra = extra or {}
    _save({"model": module.state_dict(), "opt": opt.state_dict(), "ema": ema, "step": step, "elapsed": elapsed, **extra}, ckpt)
    small = {k: ({**v, "state": _half(v["state"])} if k == "best" and v else v) for k, v in extra.items()}
    if compact_optimizer:
        small["opt"] = _compact_opt(opt)
    _save({"model": _half(module.state_dict()), "ema": _half(ema), "step": step, "elapsed": elapsed, **small}, compact_path(ckpt))


def train(module: torch.nn.Module, loss_fn: Callable[[np.random.Generator], tuple], cfg: TrainConfig, ckpt: str,
          log: Callable[[str], None], tag: str, evaluate: Optional[Callable[[torch.nn.Module], float]] = None) -> Dict[str, float]:
    """Trains every parameter of `module` that requires grad on `loss_fn(rng) -> (loss, {metric: float})`.
    Ends with the EMA weights loaded into `module` (with `evaluate` and `eval_every`: the EMA weights that
    scored lowest, `evaluate(module_with_ema_weights) -> loss`). Returns running-mean metrics of the last 100 steps."""
    params = [p for p in module.parameters() if p.requires_grad]
    if cfg.decay_vectors:
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
                                 {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}], lr=cfg.lr)
    ema = copy.deepcopy(module.state_dict())
    step, elapsed, rewarm_from = 0, 0.0, 0
    best: Optional[dict] = None  # {"loss", "step", "state"}: the best-scoring EMA weights so far
    evals: list = []  # [step, loss] of every evaluation
    stopped = False
    device = next(module.parameters()).device
    if os.path.exists(ckpt):
        blob = torch.load(ckpt, map_location=device)
        module.load_state_dict(blob["model"])
        opt.load_state_dict(blob["opt"])
        ema, step, elapsed = blob["ema"], blob["step"], blob["elapsed"]
        log(f"[{tag}] resumed at step {step} / {cfg.steps} ({elapsed / 60:.1f} min trained before)")
    elif os.path.exists(compact_path(ckpt)):
        blob = torch.load(compact_path(ckpt), map_location=device)
        module.load_state_dict({k: v.to(ema[k].dtype) for k, v in blob["model"].items()})
        ema = {k: v.to(ema[k].dtype) for k, v in blob["ema"].items()}
        step, elapsed = blob["step"], blob["elapsed"]
        if "opt" in blob:
            moments = blob["opt"]
            opt.load_state_dict(moments)  # Adam casts the moments back to each parameter's dtype
            for st in opt.state.values():
                for k, v in st.items():
                    if torch.is_tensor(v) and v.dim() > 0:
                        st[k] = v.float()
            log(f"[{tag}] resumed at step {step} / {cfg.steps} from the compact checkpoint (with optimiser moments)")
        else:
            rewarm_from = step  # fresh optimiser moments: warm the learning rate up again
            log(f"[{tag}] resumed at step {step} / {cfg.steps} from the compact checkpoint (no optimiser state; LR re-warmed)")
    else:
        blob = {}
    if blob.get("best"):
        best = {**blob["best"], "state": {k: v.to(ema[k].dtype) for k, v in blob["best"]["state"].items()}}
    evals, stopped = list(blob.get("evals", [])), bool(blob.get("stopped", False))
    scorer = copy.deepcopy(module) if (evaluate is not None and cfg.eval_every) else None

    def extra() -> dict:
        return {"best": best, "evals": evals, "stopped": stopped} if scorer is not None else {}
    start = time.time() - elapsed
    session_end = time.time() + cfg.session_minutes * 60
    last_ckpt = last_threads = time.time()
    hist: Dict[str, list] = {}
    module.train()
    while step < cfg.steps and time.time() < session_end and not stopped:
        lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup)
        if step >= cfg.warmup:
            p = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
            lr = cfg.lr * (cfg.min_lr_frac + (1 - cfg.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * p)))
        lr *= min(1.0, (step - rewarm_from + 1) / cfg.warmup) if rewarm_from else 1.0
        for g in opt.param_groups:
            g["lr"] = lr
        torch.manual_seed(cfg.seed * 1_000_003 + step)
        loss, metrics = loss_fn(np.random.default_rng([cfg.seed, step]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(params, cfg.clip)
        opt.step()
        step += 1
        d = min(cfg.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for k, v in module.state_dict().items():
                if v.dtype.is_floating_point:
                    ema[k].mul_(d).add_(v.detach(), alpha=1 - d)
                else:
                    ema[k].copy_(v)
        metrics = {"loss": loss.item(), "gnorm": float(gnorm), **metrics}
        for k, v in metrics.items():
            hist.setdefault(k, []).append(v)
            hist[k] = hist[k][-100:]
        if step % cfg.log_every == 0:
            m = " ".join(f"{k} {np.mean(v):.4f}" for k, v in hist.items())
            log(f"[{tag}] step {step}/{cfg.steps} {(time.time() - start) / 60:.1f}min lr {lr:.2e} {m}")
        if time.time() - last_threads > 60:
            apply_threads(log)
            last_threads = time.time()
        if scorer is not None and (step % cfg.eval_every == 0 or step == cfg.steps):
            scorer.load_state_dict(ema)
            score = float(evaluate(scorer))
            evals.append([step, score])
            if best is None or score < best["loss"]:
                best = {"loss": score, "step": step, "state": copy.deepcopy(ema)}
            since = sum(1 for s_, _ in evals if s_ > best["step"])
            log(f"[{tag}] eval at step {step}: {score:.4f} (best {best['loss']:.4f} at step {best['step']})")
            if cfg.patience and since >= cfg.patience:
                stopped = True
                log(f"[{tag}] early stop at step {step}: {since} evaluations without a better score")
        if time.time() - last_ckpt > cfg.checkpoint_seconds:
            _checkpoint(module, opt, ema, step, time.time() - start, ckpt, extra(), cfg.compact_optimizer)
            last_ckpt = time.time()
    _checkpoint(module, opt, ema, step, time.time() - start, ckpt, extra(), cfg.compact_optimizer)
    if step < cfg.steps and not stopped:
        raise SessionEnded(f"[{tag}] session ended at step {step} / {cfg.steps}: checkpointed to {ckpt}; rerun to resume")
    if os.path.exists(compact_path(ckpt)):  # finished: the stage's saved weights replace the hand-off checkpoint
        os.remove(compact_path(ckpt))
    module.load_state_dict(best["state"] if best is not None else ema)
    module.eval()
    out = {k: float(np.mean(v)) for k, v in hist.items()}
    out.update({"steps": step, "minutes": (time.time() - start) / 60})
    if best is not None:
        out.update({"best_step": best["step"], "best_eval": best["loss"], "evals": evals, "stopped_early": stopped})
    log(f"[{tag}] done: {step} steps in {out['minutes']:.1f} min; {out}")
    return out
