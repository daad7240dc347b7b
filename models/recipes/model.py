"""A Llama-style decoder (RMSNorm, RoPE, SwiGLU, grouped-query attention) with the recipe's extras:

* exit heads: an RMSNorm per intermediate exit depth, sharing the tied output embedding, so a
  graph cut after K layers gives usable logits (adaptive depth);
* local + global attention: each query sees the last `window` positions plus the first `sinks`
  positions (attention sinks), the same rule the runtime applies when it evicts the KV cache;
* int8 fake quantisation (symmetric, per output channel, straight-through estimator) for
  quantisation-aware training: the exported int8 graph uses exactly the same scales.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclasses.dataclass
class ModelConfig:
    vocab_size: int = 2048
    hidden_size: int = 256
    intermediate_size: int = 768
    num_hidden_layers: int = 6
    num_attention_heads: int = 8
    num_key_value_heads: int = 4
    head_dim: int = 32
    max_position_embeddings: int = 512
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    exits: Tuple[int, ...] = ()  # depths (layer counts) that carry an exit head
    window: int = 128
    sinks: int = 4
    dropout: float = 0.0  # training only: on the embedding and on each attention / MLP output before the residual add

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["exits"] = list(self.exits)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        d["exits"] = tuple(d.get("exits", ()))
        return cls(**d)


def fake_quant_int8(w: torch.Tensor) -> torch.Tensor:
    """Symmetric int8 per row (= per output channel of a [out, in] weight), straight-through gradient."""
    scale = quant_scale(w)
    q = torch.clamp(torch.round(w / scale), -127, 127) * scale
    return w + (q - w).detach()


def quant_scale(w: torch.Tensor) -> torch.Tensor:
    return (w.detach().abs().amax(dim=1, keepdim=True) / 127.0).clamp_min(1e-8)


class QLinear(nn.Linear):
    """nn.Linear without bias whose weight is fake-quantised while `quant` is on."""

    def __init__(self, i: int, o: int):
        super().__init__(i, o, bias=False)
        self.quant = False

    def forward(self, x):
        w = fake_quant_int8(self.weight) if self.quant else self.weight
        return F.linear(x, w)


class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return x * torch.rsqrt(var + self.eps) * self.weight


def rope_cos_sin(position_ids: torch.Tensor, head_dim: int, theta: float):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=position_ids.device) / head_dim))
    freqs = position_ids.to(torch.float32).unsqueeze(-1) * inv_freq  # [B, T, hd/2]
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)  # [B, 1, T, hd]


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Attention(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.c = c
        self.q_proj = QLinear(c.hidden_size, c.num_attention_heads * c.head_dim)
        self.k_proj = QLinear(c.hidden_size, c.num_key_value_heads * c.head_dim)
        self.v_proj = QLinear(c.hidden_size, c.num_key_value_heads * c.head_dim)
        self.o_proj = QLinear(c.num_attention_heads * c.head_dim, c.hidden_size)
        self.head_gate: Optional[torch.Tensor] = None  # [H] multiplier, used to measure head importance

    def forward(self, x, cos, sin, mask, past: Optional[Tuple[torch.Tensor, torch.Tensor]] = None):
        c = self.c
        B, T, _ = x.shape
        H, K, hd = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        q = self.q_proj(x).view(B, T, H, hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, K, hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, K, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        present = (k, v)
        S = k.shape[2]
        rep = H // K
        # grouped-query attention: expand + flatten (exports as plain Expand/Reshape)
        kk = k.unsqueeze(2).expand(B, K, rep, S, hd).reshape(B, H, S, hd)
        vv = v.unsqueeze(2).expand(B, K, rep, S, hd).reshape(B, H, S, hd)
        att = torch.matmul(q, kk.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(~mask, torch.finfo(att.dtype).min)
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, vv)  # [B, H, T, hd]
        if self.head_gate is not None:
            y = y * self.head_gate.view(1, H, 1, 1)
        y = y.transpose(1, 2).reshape(B, T, H * hd)
        return self.o_proj(y), present


class MLP(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.gate_proj = QLinear(c.hidden_size, c.intermediate_size)
        self.up_proj = QLinear(c.hidden_size, c.intermediate_size)
        self.down_proj = QLinear(c.intermediate_size, c.hidden_size)
        self.channel_gate: Optional[torch.Tensor] = None

    def forward(self, x):
        h = F.silu(self.gate_proj(x)) * self.up_proj(x)
        if self.channel_gate is not None:
            h = h * self.channel_gate
        return self.down_proj(h)


class Block(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask, past=None):
        a, present = self.self_attn(self.input_layernorm(x), cos, sin, mask, past)
        p = self.self_attn.c.dropout if self.training else 0.0
        x = x + (F.dropout(a, p, True) if p else a)
        m = self.mlp(self.post_attention_layernorm(x))
        x = x + (F.dropout(m, p, True) if p else m)
        return x, present


def window_mask(q_index: torch.Tensor, k_index: torch.Tensor, window: int, sinks: int) -> torch.Tensor:
    """[Tq, Tk] bool: causal, and within the last `window` positions or one of the first `sinks`."""
    d = q_index.unsqueeze(-1) - k_index.unsqueeze(0)
    return (d >= 0) & ((d < window) | (k_index.unsqueeze(0) < sinks))


class LlamaLM(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList([Block(c) for _ in range(c.num_hidden_layers)])
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.exit_norms = nn.ModuleDict({str(k): RMSNorm(c.hidden_size, c.rms_norm_eps) for k in c.exits})
        self.quant_embedding = False
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def set_quant(self, on: bool):
        self.quant_embedding = on
        for m in self.modules():
            if isinstance(m, QLinear):
                m.quant = on

    def embedding_weight(self):
        w = self.embed_tokens.weight
        return fake_quant_int8(w) if self.quant_embedding else w

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def head(self, h: torch.Tensor, depth: int) -> torch.Tensor:
        norm = self.norm if depth == self.c.num_hidden_layers else self.exit_norms[str(depth)]
        return F.linear(norm(h), self.embedding_weight())

    def forward(self, ids: torch.Tensor, position_ids: Optional[torch.Tensor] = None, depth: Optional[int] = None,
                want_exits: bool = True) -> Dict[str, object]:
        """Training forward over whole sequences. Returns final logits, exit logits and hidden states."""
        B, T = ids.shape
        depth = depth or self.c.num_hidden_layers
        if position_ids is None:
            position_ids = torch.arange(T, device=ids.device).unsqueeze(0).expand(B, T)
        cos, sin = rope_cos_sin(position_ids, self.c.head_dim, self.c.rope_theta)
        idx = torch.arange(T, device=ids.device)
        mask = window_mask(idx, idx, self.c.window, self.c.sinks)
        w = self.embedding_weight()
        x = F.embedding(ids, w)
        if self.training and self.c.dropout:
            x = F.dropout(x, self.c.dropout, True)
        hidden: List[torch.Tensor] = [x]
        exits: Dict[int, torch.Tensor] = {}
        for i, layer in enumerate(self.layers[:depth]):
            x, _ = layer(x, cos, sin, mask)
            hidden.append(x)
            if want_exits and (i + 1) in self.c.exits and (i + 1) < depth:
                exits[i + 1] = self.head(x, i + 1)
        logits = self.head(x, depth)
        return {"logits": logits, "exits": exits, "hidden": hidden}


class OnnxDecoder(nn.Module):
    """The export view: `depth` layers with a KV cache, in the transformers.js decoder signature."""

    def __init__(self, model: LlamaLM, depth: int):
        super().__init__()
        self.m = model
        self.depth = depth

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        c = self.m.c
        B, T = input_ids.shape
        past_len = past_flat[0].shape[2]
        cos, sin = rope_cos_sin(position_ids, c.head_dim, c.rope_theta)
        total = attention_mask.shape[1]
        k_index = torch.arange(total)
        q_index = torch.arange(T) + past_len
        mask = window_mask(q_index, k_index, c.window, c.sinks)  # [T, total]
        mask = mask.unsqueeze(0).unsqueeze(0) & (attention_mask > 0).unsqueeze(1).unsqueeze(2)
        x = F.embedding(input_ids, self.m.embed_tokens.weight)
        presents = []
        for i in range(self.depth):
            x, (k, v) = self.m.layers[i](x, cos, sin, mask, (past_flat[2 * i], past_flat[2 * i + 1]))
            presents += [k, v]
        logits = self.m.head(x, self.depth)
        return (logits, *presents)
