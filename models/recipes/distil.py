"""Knowledge distillation (the paper's multi-stage KD): teacher → scaffold → student.

Loss for a student S taught by a frozen teacher T on a training window:
    L = α·CE(S, data) + (1−α)·τ²·KL(softmax(T/τ) ‖ softmax(S/τ))          (logit distillation)
      + β·Σ_j ‖P_j h_S(j) − h_T(m(j))‖² / ‖h_T(m(j))‖²                      (hidden-state distillation)
      + γ·Σ_exits [α·CE + (1−α)·τ²·KL against T's final distribution]       (exit heads)
m(j) maps student layer j to the teacher layer it replaces (after pruning: the layer it came from);
P_j is a learned projection d_S → d_T, initialised to the channel selection the pruning made.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from model import LlamaLM
from train import lm_loss


class Distillation(nn.Module):
    """The student plus its hidden-state projections (trained together, checkpointed together)."""

    def __init__(self, student: LlamaLM, teacher_dim: int, layer_map: Dict[int, int],
                 kept_channels: Optional[torch.Tensor] = None):
        super().__init__()
        self.student = student
        self.layer_map = {int(k): int(v) for k, v in layer_map.items()}
        d_s = student.c.hidden_size
        self.proj = nn.ModuleDict()
        for j in self.layer_map:
            p = nn.Linear(d_s, teacher_dim, bias=False)
            with torch.no_grad():
                p.weight.zero_()
                idx = kept_channels if kept_channels is not None else torch.arange(d_s)
                p.weight[idx, torch.arange(d_s)] = 1.0
            self.proj[str(j)] = p


def kd_loss(teacher: LlamaLM, alpha: float = 0.3, tau: float = 2.0, beta: float = 0.5, exit_weight: float = 0.3):
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)

    def kl(student_logits, teacher_logits):
        t = F.log_softmax(teacher_logits / tau, dim=-1)
        s = F.log_softmax(student_logits / tau, dim=-1)
        return (tau * tau) * F.kl_div(s.reshape(-1, s.shape[-1]), t.reshape(-1, t.shape[-1]),
                                      log_target=True, reduction="batchmean")

    def fn(wrap: Distillation, ids, pos):
        x, tgt = ids[:, :-1], ids[:, 1:]
        with torch.no_grad():
            t_out = teacher(x, position_ids=pos, want_exits=False)
        s_out = wrap.student(x, position_ids=pos)
        ce = lm_loss(s_out["logits"], tgt)
        soft = kl(s_out["logits"], t_out["logits"])
        loss = alpha * ce + (1 - alpha) * soft
        hid = torch.zeros(())
        for j, tj in wrap.layer_map.items():
            ht = t_out["hidden"][tj]
            hs = wrap.proj[str(j)](s_out["hidden"][j])
            hid = hid + (hs - ht).pow(2).mean() / ht.pow(2).mean().clamp_min(1e-6)
        hid = hid / max(1, len(wrap.layer_map))
        loss = loss + beta * hid
        metrics = {"ce": ce.item(), "kl": soft.item(), "hid": hid.item()}
        for k, lg in s_out["exits"].items():
            e_ce = lm_loss(lg, tgt)
            loss = loss + exit_weight * (alpha * e_ce + (1 - alpha) * kl(lg, t_out["logits"]))
            metrics[f"ce_exit{k}"] = e_ce.item()
        return loss, metrics

    return fn
