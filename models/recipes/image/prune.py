"""Structured (channel) pruning of the teacher UNet — the paper's modular parameter reduction.

Every channel space of the UNet is pruned to the same share `keep`: the stream at each level of the
down path (S), of the up path (V), the upsampler outputs (U), each ResBlock's inner width (M), each
cross-attention's heads (H) and the time-MLP's hidden layer (T). Since a convolution's weights scale
with its input × output widths, keep = 0.5 leaves about a quarter of the parameters.

Which channels stay: a channel's importance is the L1 norm of every weight row that writes it (each
tensor's rows normalised by their mean, so large and small tensors count alike); heads sum their rows.
The same number is kept in every GroupNorm group, so the groups keep their membership. The student is
the same module with smaller widths, initialised with the teacher's kept rows and columns, and then
distilled (distil.py).
"""
from __future__ import annotations

from math import gcd
from typing import Dict, Optional, Tuple

import torch

from torch_unet import UNet, UNetConfig

Spaces = Tuple[Optional[object], ...]  # per tensor dimension: a space name, a tuple of names (a concatenation) or None


def _layout(c: UNetConfig) -> Dict[str, Spaces]:
    """Module prefix → (space of dim 0, space of dim 1) for every tensor of a UNet with config c."""
    n, t = len(c.channels), {}

    def res(prefix: str, cin, m: str, cout: str, has_skip: bool) -> None:
        t.update({f"{prefix}.norm1": (cin,), f"{prefix}.conv1": (m, cin), f"{prefix}.temb": (m, None),
                  f"{prefix}.norm2": (m,), f"{prefix}.conv2": (cout, m)})
        if has_skip:
            t[f"{prefix}.skip"] = (cout, cin)

    def attn(prefix: str, s: str, h: str) -> None:
        t.update({f"{prefix}.norm": (s,), f"{prefix}.q": (h, s), f"{prefix}.k": (h, None), f"{prefix}.v": (h, None),
                  f"{prefix}.out": (s, h)})

    t["time_in"], t["time_out"], t["conv_in"] = ("T", None), (None, "T"), ("S0", None)
    for lvl in range(n):
        cin = "S0" if lvl == 0 else f"S{lvl - 1}"
        res(f"down_res.{lvl}", cin, f"Mdown{lvl}", f"S{lvl}", c.channels[lvl] != c.channels[max(0, lvl - 1)])
        if lvl in c.attn_levels:
            attn(f"down_attn.{lvl}", f"S{lvl}", f"Hdown{lvl}")
        if lvl < n - 1:
            t[f"downsample.{lvl}"] = (f"S{lvl}", f"S{lvl}")
    top = f"S{n - 1}"
    res("mid_res", top, "Mmid", top, False)
    attn("mid_attn", top, "Hmid")
    for i, lvl in enumerate(reversed(range(n))):
        cat = (top if i == 0 else f"U{lvl}", f"S{lvl}")
        res(f"up_res.{i}", cat, f"Mup{lvl}", f"V{lvl}", True)
        if lvl in c.attn_levels:
            attn(f"up_attn.{lvl}", f"V{lvl}", f"Hup{lvl}")
        if lvl > 0:
            t[f"upsample.{i}"] = (f"U{lvl - 1}", f"V{lvl}")
    t["norm_out"], t["conv_out"] = ("V0",), (None, "V0")
    return t


def _spaces_of(name: str, layout: Dict[str, Spaces]) -> Spaces:
    prefix = name.rsplit(".", 1)[0]
    return layout.get(prefix, ())


def _scores(teacher: UNet, layout: Dict[str, Spaces], head_dim: int) -> Dict[str, torch.Tensor]:
    scores: Dict[str, torch.Tensor] = {}
    for name, w in teacher.state_dict().items():
        spaces = _spaces_of(name, layout)
        if w.dim() < 2 or not spaces or not isinstance(spaces[0], str):
            continue
        rows = w.abs().flatten(1).sum(1)
        rows = rows / rows.mean().clamp_min(1e-12)
        if spaces[0].startswith("H"):
            rows = rows.view(-1, head_dim).sum(1)
        scores[spaces[0]] = scores.get(spaces[0], 0) + rows
    return scores


def _keep_count(size: int, keep: float, grouped: bool) -> int:
    g = gcd(size, 8) if grouped else 1
    return max(g, int(round(size * keep / g)) * g)


def _per_group_topk(score: torch.Tensor, groups: int, k: int) -> torch.Tensor:
    per, kk = score.numel() // groups, k // groups
    idx = [g * per + torch.topk(score[g * per:(g + 1) * per], kk).indices for g in range(groups)]
    return torch.sort(torch.cat(idx)).values


def _select(scores: Dict[str, torch.Tensor], keep: float) -> Dict[str, torch.Tensor]:
    chosen = {}
    for space, s in scores.items():
        grouped = not space.startswith(("H", "T"))
        k = _keep_count(s.numel(), keep, grouped)
        chosen[space] = _per_group_topk(s, gcd(s.numel(), 8) if grouped else 1, k)
    return chosen


def _index(spaces, chosen: Dict[str, torch.Tensor], sizes: Dict[str, int], head_dim: int) -> Optional[torch.Tensor]:
    if spaces is None:
        return None
    if isinstance(spaces, tuple):  # a concatenation [a, b]: b's channels come after all of a's
        a, b = spaces
        return torch.cat([_index(a, chosen, sizes, head_dim), _index(b, chosen, sizes, head_dim) + sizes[a]])
    idx = chosen[spaces]
    if spaces.startswith("H"):
        idx = (idx[:, None] * head_dim + torch.arange(head_dim)[None]).flatten()
    return idx


@torch.no_grad()
def prune_unet(teacher: UNet, keep: float) -> tuple:
    """Returns (student UNet, summary). `keep` = share of every channel space kept (0.5 ≈ ¼ of the parameters)."""
    c = teacher.c
    layout = _layout(c)
    scores = _scores(teacher, layout, c.head_dim)
    chosen = _select(scores, keep)
    sizes = {space: s.numel() for space, s in scores.items()}
    n = len(c.channels)
    widths = [len(chosen[f"S{lvl}"]) for lvl in range(n)]
    for lvl in range(n):
        assert len(chosen[f"V{lvl}"]) == widths[lvl] and (lvl == n - 1 or len(chosen[f"U{lvl}"]) == widths[lvl])
    names = UNet.block_names(n)
    mid = {b: len(chosen[f"M{b}"]) for b in names}
    heads = {b: len(chosen[f"H{b}"]) for b in names if f"H{b}" in chosen}
    sc = UNetConfig.from_dict({**c.to_dict(), "channels": widths, "mid": mid, "attn_heads": heads, "temb_hidden": len(chosen["T"])})
    student = UNet(sc)
    state = {}
    for name, w in teacher.state_dict().items():
        spaces = _spaces_of(name, layout)
        for dim, sp in enumerate(spaces[:w.dim()]):
            idx = _index(sp, chosen, sizes, c.head_dim)
            if idx is not None:
                w = w.index_select(dim, idx)
        state[name] = w
    student.load_state_dict(state)
    summary = {"keep": keep, "channels": widths, "inner_channels": mid, "attention_heads": heads, "time_hidden": len(chosen["T"]),
               "teacher_parameters": teacher.num_parameters(), "student_parameters": student.num_parameters(),
               "ratio": round(teacher.num_parameters() / student.num_parameters(), 2)}
    return student.eval(), summary
