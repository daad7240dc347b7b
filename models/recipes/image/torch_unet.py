"""The Pareto Emoji networks in PyTorch: a word-level text encoder and a small text-conditioned
pixel-space UNet (32×32×3, v-prediction), plus a loader for the saved state dicts so a benchmark
can run the SAME weights in PyTorch eager as the exported ONNX graphs.

    from torch_unet import load_unet, load_text_encoder
    unet = load_unet("models/recipes/runs/image/cpu/student_unet.pt")

Every width is explicit in the config (`UNetConfig.mid` lists each ResBlock's inner width and
`attn_heads` each attention's head count), so a channel-pruned student is the same module with
smaller numbers — the pruning (prune.py) only selects rows/columns of the teacher's tensors.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---- text encoder -------------------------------------------------------------------------------

@dataclasses.dataclass
class TextConfig:
    vocab_size: int = 1000
    max_length: int = 16
    dim: int = 128
    layers: int = 2
    heads: int = 4
    ffn: int = 256

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class TextLayer(nn.Module):
    """Pre-norm transformer layer written with plain ops (exports to standard ONNX ops)."""

    def __init__(self, dim: int, heads: int, ffn: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, ffn)
        self.fc2 = nn.Linear(ffn, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, L, D = x.shape
        hd = D // self.heads
        q, k, v = self.qkv(self.norm1(x)).reshape(B, L, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-1, -2) * (hd ** -0.5), dim=-1)
        x = x + self.proj((a @ v).transpose(1, 2).reshape(B, L, D))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class TextEncoder(nn.Module):
    """input_ids int64 [B, L] → last_hidden_state float32 [B, L, D]. Pre-norm transformer layers
    without a padding mask: the pad token is an ordinary learned token, so the all-pad sequence
    (the empty prompt) is the unconditional embedding used by classifier-free guidance."""

    def __init__(self, c: TextConfig):
        super().__init__()
        self.c = c
        self.tok = nn.Embedding(c.vocab_size, c.dim)
        self.pos = nn.Parameter(torch.zeros(c.max_length, c.dim))
        nn.init.normal_(self.pos, std=0.02)
        self.layers = nn.ModuleList([TextLayer(c.dim, c.heads, c.ffn) for _ in range(c.layers)])
        self.norm = nn.LayerNorm(c.dim)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        # Any length in, always `max_length` out: pad with [PAD] = 0 and truncate inside the graph, so a
        # runtime whose tokenizer does not pad (e.g. @huggingface/tokenizers) gets the trained conditioning.
        L = self.c.max_length
        pad = torch.zeros_like(input_ids[:, :1]).expand(-1, L)
        input_ids = torch.cat([input_ids, pad], dim=1)[:, :L]
        h = self.tok(input_ids) + self.pos.unsqueeze(0)
        for layer in self.layers:
            h = layer(h)
        return self.norm(h)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


# ---- UNet ---------------------------------------------------------------------------------------

@dataclasses.dataclass
class UNetConfig:
    channels: List[int] = dataclasses.field(default_factory=lambda: [32, 64, 128])  # stream width per level (32, 16, 8 px)
    context_dim: int = 128
    temb_dim: int = 128
    head_dim: int = 32
    attn_levels: List[int] = dataclasses.field(default_factory=lambda: [1, 2])  # levels with cross-attention
    # inner widths / head counts, one per block in `block_names()` order; None = full width
    mid: Optional[Dict[str, int]] = None
    attn_heads: Optional[Dict[str, int]] = None
    temb_hidden: Optional[int] = None
    groups: int = 8
    in_channels: int = 3  # 3 for pixels, the autoencoder's latent channels for latent diffusion

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "UNetConfig":
        return UNetConfig(**d)


def _gn(c: int, groups: int) -> nn.GroupNorm:
    g = math.gcd(c, groups)
    return nn.GroupNorm(g, c)


class ResBlock(nn.Module):
    """GN → SiLU → conv(in→mid) ; + time/prompt embedding (per-channel shift) ; GN → SiLU → conv(mid→out) ; + skip.
    The inner width `mid` is what channel pruning removes (rows of conv1, columns of conv2)."""

    def __init__(self, cin: int, mid: int, cout: int, temb: int, groups: int):
        super().__init__()
        self.norm1 = _gn(cin, groups)
        self.conv1 = nn.Conv2d(cin, mid, 3, padding=1)
        self.temb = nn.Linear(temb, mid)
        self.norm2 = _gn(mid, groups)
        self.conv2 = nn.Conv2d(mid, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class CrossAttention(nn.Module):
    """Pixels attend to the text tokens (queries from GN(x), keys/values from the text states).
    Pruning removes whole heads (q/k/v rows, out-projection columns)."""

    def __init__(self, c: int, context: int, heads: int, head_dim: int, groups: int):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        inner = heads * head_dim
        self.norm = _gn(c, groups)
        self.q = nn.Linear(c, inner, bias=False)
        self.k = nn.Linear(context, inner, bias=False)
        self.v = nn.Linear(context, inner, bias=False)
        self.out = nn.Linear(inner, c)

    def forward(self, x: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        h = self.norm(x).flatten(2).transpose(1, 2)  # [B, HW, C]
        q = self.q(h).reshape(B, H * W, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(ctx).reshape(B, -1, self.heads, self.head_dim).transpose(1, 2)
        v = self.v(ctx).reshape(B, -1, self.heads, self.head_dim).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) * (self.head_dim ** -0.5), dim=-1)
        o = (a @ v).transpose(1, 2).reshape(B, H * W, self.heads * self.head_dim)
        return x + self.out(o).transpose(1, 2).reshape(B, C, H, W)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.to(torch.float32)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class UNet(nn.Module):
    """sample [B,C,H,W] (pixels or latents), timestep int64 [B] (0…999), encoder_hidden_states [B,L,D] → v-prediction."""

    def __init__(self, c: UNetConfig):
        super().__init__()
        self.c = c
        ch, g = c.channels, c.groups
        mid = c.mid or {}
        heads = c.attn_heads or {}
        full_heads = lambda lvl: max(1, ch[lvl] // c.head_dim)  # noqa: E731
        th = c.temb_hidden or c.temb_dim * 2
        self.time_in = nn.Linear(c.temb_dim, th)
        self.time_out = nn.Linear(th, c.temb_dim)
        self.text_pool = nn.Linear(c.context_dim, c.temb_dim)  # pooled prompt added to the time embedding
        self.conv_in = nn.Conv2d(c.in_channels, ch[0], 3, padding=1)
        self.down_res = nn.ModuleList()
        self.down_attn = nn.ModuleDict()
        self.downsample = nn.ModuleList()
        prev = ch[0]
        for lvl, cl in enumerate(ch):
            name = f"down{lvl}"
            self.down_res.append(ResBlock(prev, mid.get(name, cl), cl, c.temb_dim, g))
            if lvl in c.attn_levels:
                self.down_attn[str(lvl)] = CrossAttention(cl, c.context_dim, heads.get(name, full_heads(lvl)), c.head_dim, g)
            if lvl < len(ch) - 1:
                self.downsample.append(nn.Conv2d(cl, cl, 3, stride=2, padding=1))
            prev = cl
        top = ch[-1]
        self.mid_res = ResBlock(top, mid.get("mid", top), top, c.temb_dim, g)
        self.mid_attn = CrossAttention(top, c.context_dim, heads.get("mid", full_heads(len(ch) - 1)), c.head_dim, g)
        self.up_res = nn.ModuleList()
        self.up_attn = nn.ModuleDict()
        self.upsample = nn.ModuleList()
        prev = top
        for lvl in reversed(range(len(ch))):
            cl, name = ch[lvl], f"up{lvl}"
            self.up_res.append(ResBlock(prev + cl, mid.get(name, cl), cl, c.temb_dim, g))
            if lvl in c.attn_levels:
                self.up_attn[str(lvl)] = CrossAttention(cl, c.context_dim, heads.get(name, full_heads(lvl)), c.head_dim, g)
            if lvl > 0:  # conv at the low resolution, then nearest ×2 (4× cheaper than conv after upsampling)
                self.upsample.append(nn.Conv2d(cl, ch[lvl - 1], 3, padding=1))
                prev = ch[lvl - 1]
        self.norm_out = _gn(ch[0], g)
        self.conv_out = nn.Conv2d(ch[0], c.in_channels, 3, padding=1)

    @staticmethod
    def block_names(levels: int) -> List[str]:
        return [f"down{i}" for i in range(levels)] + ["mid"] + [f"up{i}" for i in reversed(range(levels))]

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, encoder_hidden_states: torch.Tensor) -> torch.Tensor:
        ctx = encoder_hidden_states
        emb = self.time_out(F.silu(self.time_in(timestep_embedding(timestep, self.c.temb_dim))))
        emb = F.silu(emb + self.text_pool(ctx.mean(dim=1)))
        h = self.conv_in(sample)
        skips = []
        n = len(self.c.channels)
        for lvl in range(n):
            h = self.down_res[lvl](h, emb)
            if str(lvl) in self.down_attn:
                h = self.down_attn[str(lvl)](h, ctx)
            skips.append(h)
            if lvl < n - 1:
                h = self.downsample[lvl](h)
        h = self.mid_attn(self.mid_res(h, emb), ctx)
        for i, lvl in enumerate(reversed(range(n))):
            h = self.up_res[i](torch.cat([h, skips[lvl]], dim=1), emb)
            if str(lvl) in self.up_attn:
                h = self.up_attn[str(lvl)](h, ctx)
            if lvl > 0:
                h = F.interpolate(self.upsample[i](h), scale_factor=2.0, mode="nearest")
        return self.conv_out(F.silu(self.norm_out(h)))

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


# ---- loaders ------------------------------------------------------------------------------------

def save_module(module: nn.Module, path: str, extra: Optional[dict] = None) -> None:
    """Saves `module.c` (a config dataclass) and its weights, atomically."""
    import os
    torch.save({"config": module.c.to_dict(), "state": module.state_dict(), **(extra or {})}, path + ".tmp")
    os.replace(path + ".tmp", path)


def load_module(make, path: str) -> nn.Module:
    """`make(config dict)` builds the module a `save_module` file holds; returns it with the weights, in eval mode."""
    blob = torch.load(path, map_location="cpu")
    m = make(blob["config"])
    m.load_state_dict(blob["state"])
    return m.eval()


def save_unet(unet: UNet, path: str, extra: Optional[dict] = None) -> None:
    save_module(unet, path, extra)


def load_unet(path: str) -> UNet:
    return load_module(lambda c: UNet(UNetConfig.from_dict(c)), path)


def save_text_encoder(te: TextEncoder, path: str) -> None:
    save_module(te, path)


def load_text_encoder(path: str) -> TextEncoder:
    return load_module(lambda c: TextEncoder(TextConfig(**c)), path)
