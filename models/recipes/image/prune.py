"""Structured (channel) pruning of the teacher UNet — the paper's modular parameter reduction.

Per ResBlock, the inner channels (conv1's filters = conv2's input columns, with their time-embedding
rows and GroupNorm affine) are ranked by ‖conv1 filter‖₁ · ‖conv2 column‖₁ and the best `keep` share
is kept, the same number in every GroupNorm group so the groups keep their membership. Per
cross-attention, whole heads are ranked by the L1 norm of their q/k/v rows and out-projection
columns. The time-MLP hidden layer is pruned like a ResBlock's inner channels. The stream widths
(skip connections between levels) stay, so the student runs in the same pipeline.
"""
from __future__ import annotations

import copy
from typing import Dict

import torch

from torch_unet import CrossAttention, ResBlock, UNet, UNetConfig


def _per_group_topk(score: torch.Tensor, groups: int, keep: int) -> torch.Tensor:
    n = score.numel()
    if n % groups or keep % groups:
        return torch.sort(torch.topk(score, keep).indices).values
    per, k = n // groups, keep // groups
    idx = [g * per + torch.topk(score[g * per:(g + 1) * per], k).indices for g in range(groups)]
    return torch.sort(torch.cat(idx)).values


def _res_keep(b: ResBlock, keep: int) -> torch.Tensor:
    score = b.conv1.weight.abs().sum(dim=(1, 2, 3)) * b.conv2.weight.abs().sum(dim=(0, 2, 3))
    return _per_group_topk(score, b.norm2.num_groups, keep)


def _head_keep(a: CrossAttention, keep: int) -> torch.Tensor:
    hd = a.head_dim
    score = torch.stack([
        sum(w[h * hd:(h + 1) * hd].abs().sum() for w in (a.q.weight, a.k.weight, a.v.weight)) + a.out.weight[:, h * hd:(h + 1) * hd].abs().sum()
        for h in range(a.heads)])
    return torch.sort(torch.topk(score, keep).indices).values


def _copy_res(dst: ResBlock, src: ResBlock, idx: torch.Tensor) -> None:
    dst.norm1.load_state_dict(src.norm1.state_dict())
    dst.conv1.weight.copy_(src.conv1.weight[idx])
    dst.conv1.bias.copy_(src.conv1.bias[idx])
    dst.temb.weight.copy_(src.temb.weight[idx])
    dst.temb.bias.copy_(src.temb.bias[idx])
    dst.norm2.weight.copy_(src.norm2.weight[idx])
    dst.norm2.bias.copy_(src.norm2.bias[idx])
    dst.conv2.weight.copy_(src.conv2.weight[:, idx])
    dst.conv2.bias.copy_(src.conv2.bias)
    dst.skip.load_state_dict(src.skip.state_dict())


def _copy_attn(dst: CrossAttention, src: CrossAttention, heads: torch.Tensor) -> None:
    hd = src.head_dim
    rows = torch.cat([torch.arange(h * hd, (h + 1) * hd) for h in heads.tolist()])
    dst.norm.load_state_dict(src.norm.state_dict())
    for name in ("q", "k", "v"):
        getattr(dst, name).weight.copy_(getattr(src, name).weight[rows])
    dst.out.weight.copy_(src.out.weight[:, rows])
    dst.out.bias.copy_(src.out.bias)


@torch.no_grad()
def prune_unet(teacher: UNet, keep: float) -> tuple:
    """Returns (student UNet, summary). `keep` = share of inner channels / heads kept (e.g. 0.5)."""
    c = teacher.c
    n = len(c.channels)
    names = UNet.block_names(n)
    res = list(teacher.down_res) + [teacher.mid_res] + list(teacher.up_res)
    attn = {f"down{l}": teacher.down_attn[str(l)] for l in c.attn_levels}
    attn["mid"] = teacher.mid_attn
    attn.update({f"up{l}": teacher.up_attn[str(l)] for l in c.attn_levels})
    mid: Dict[str, int] = {}
    res_idx = {}
    for name, b in zip(names, res):
        width = b.conv1.out_channels
        k = max(b.norm2.num_groups, int(round(width * keep / b.norm2.num_groups)) * b.norm2.num_groups)
        res_idx[name] = _res_keep(b, k)
        mid[name] = k
    heads: Dict[str, int] = {}
    head_idx = {}
    for name, a in attn.items():
        k = max(1, int(round(a.heads * keep)))
        head_idx[name] = _head_keep(a, k)
        heads[name] = k
    th = teacher.time_in.out_features
    kt = max(8, int(round(th * keep)))
    t_score = teacher.time_in.weight.abs().sum(1) * teacher.time_out.weight.abs().sum(0)
    t_idx = torch.sort(torch.topk(t_score, kt).indices).values

    sc = UNetConfig.from_dict({**c.to_dict(), "mid": mid, "attn_heads": heads, "temb_hidden": kt})
    student = UNet(sc)
    # everything not pruned is copied as is
    student.conv_in.load_state_dict(teacher.conv_in.state_dict())
    student.conv_out.load_state_dict(teacher.conv_out.state_dict())
    student.norm_out.load_state_dict(teacher.norm_out.state_dict())
    student.text_pool.load_state_dict(teacher.text_pool.state_dict())
    student.downsample.load_state_dict(teacher.downsample.state_dict())
    student.upsample.load_state_dict(teacher.upsample.state_dict())
    student.time_in.weight.copy_(teacher.time_in.weight[t_idx])
    student.time_in.bias.copy_(teacher.time_in.bias[t_idx])
    student.time_out.weight.copy_(teacher.time_out.weight[:, t_idx])
    student.time_out.bias.copy_(teacher.time_out.bias)
    s_res = list(student.down_res) + [student.mid_res] + list(student.up_res)
    for name, dst, src in zip(names, s_res, res):
        _copy_res(dst, src, res_idx[name])
    s_attn = {f"down{l}": student.down_attn[str(l)] for l in c.attn_levels}
    s_attn["mid"] = student.mid_attn
    s_attn.update({f"up{l}": student.up_attn[str(l)] for l in c.attn_levels})
    for name in attn:
        _copy_attn(s_attn[name], attn[name], head_idx[name])
    summary = {"keep": keep, "inner_channels": mid, "attention_heads": heads, "time_hidden": kt,
               "teacher_parameters": teacher.num_parameters(), "student_parameters": student.num_parameters()}
    return student.eval(), summary
