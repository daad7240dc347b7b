"""Noise schedule, DDIM sampler and the word-level tokenizer shared by every stage.

Schedule: diffusers' "squaredcos_cap_v2" (Nichol & Dhariwal 2021, eq. 17: ᾱ(t) = cos²((t/T + s)/(1 + s)·π/2),
β_t = min(1 − ᾱ(t+1)/ᾱ(t), 0.999)), T = 1000, v-prediction (Salimans & Ho 2022: v = √ᾱ·ε − √(1−ᾱ)·x₀).
Sampler: DDIM with η = 0 and "trailing" timestep spacing (Lin et al. 2024), exactly as diffusers'
DDIMScheduler(timestep_spacing="trailing", set_alpha_to_one=True, clip_sample=False) so the
TypeScript pipeline reproduces our samples from scheduler_config.json alone.
"""
from __future__ import annotations

import json
import math
import os
import re
import unicodedata
from collections import Counter
from typing import Iterable, List, Optional

import numpy as np
import torch

T = 1000


def alphas_cumprod() -> torch.Tensor:
    def abar(t: float) -> float:
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = [min(1 - abar((i + 1) / T) / abar(i / T), 0.999) for i in range(T)]
    return torch.cumprod(1 - torch.tensor(betas, dtype=torch.float64), 0).to(torch.float32)


AC = alphas_cumprod()


def trailing_timesteps(steps: int) -> List[int]:
    """diffusers 'trailing': round(arange(T, 0, −T/steps)) − 1 → 999, …; e.g. 4 steps → 999, 749, 499, 249."""
    return (np.round(np.arange(T, 0, -T / steps)).astype(np.int64) - 1).tolist()


def _abar(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return AC[t.cpu()].to(like.device).view(-1, 1, 1, 1)


def add_noise(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor):
    a = _abar(t, x0)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def v_target(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    a = _abar(t, x0)
    return a.sqrt() * noise - (1 - a).sqrt() * x0


def ddim_step(x: torch.Tensor, v: torch.Tensor, t: int, t_prev: int) -> torch.Tensor:
    """One deterministic DDIM step (Song et al. 2021, eq. 12 with σ = 0) from a v-prediction."""
    a = AC[t]
    a_prev = AC[t_prev] if t_prev >= 0 else torch.tensor(1.0)
    x0 = a.sqrt() * x - (1 - a).sqrt() * v
    eps = a.sqrt() * v + (1 - a).sqrt() * x
    return a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps


def min_snr_weight(t: torch.Tensor, gamma: float) -> torch.Tensor:
    """Min-SNR-γ loss weight for v-prediction (Hang et al. 2023): min(SNR, γ) / (SNR + 1), so the easy
    low-noise steps stop dominating the gradient."""
    a = AC[t.cpu()]
    snr = a / (1 - a)
    return torch.clamp(snr, max=gamma) / (snr + 1)


def v_for_jump(x_t: torch.Tensor, x_next: torch.Tensor, t: torch.Tensor, t_next: torch.Tensor) -> torch.Tensor:
    """The v that makes one DDIM step t → t_next land exactly on x_next (progressive distillation's
    target, Salimans & Ho 2022 Alg. 2, written for v): solve x_next = √ᾱ'·x̂₀ + √(1−ᾱ')·ε̂ with
    x̂₀ = √ᾱ·x − √(1−ᾱ)·v, ε̂ = √ᾱ·v + √(1−ᾱ)·x. Per batch row: t, t_next int64 [B] (t_next < 0 = the end)."""
    ac = AC.double()
    a = ac[t.cpu()].view(-1, 1, 1, 1)
    ap = torch.where(t_next.cpu() >= 0, ac[t_next.cpu().clamp_min(0)], torch.ones((), dtype=torch.float64)).view(-1, 1, 1, 1)
    sa, s1a, sap, s1ap = a.sqrt(), (1 - a).sqrt(), ap.sqrt(), (1 - ap).sqrt()
    # x_next = (sap·sa + s1ap·s1a)·x + (s1ap·sa − sap·s1a)·v
    cx, cv = (sap * sa + s1ap * s1a).to(x_t.device), (s1ap * sa - sap * s1a).to(x_t.device)
    return ((x_next.double() - cx * x_t.double()) / cv).float()


@torch.no_grad()
def sample(unet, ctx: torch.Tensor, uncond: Optional[torch.Tensor], noise: torch.Tensor, steps: int, guidance: float,
           record: Iterable[int] = ()) -> tuple:
    """DDIM (trailing) with classifier-free guidance when `uncond` is given and guidance ≠ 1.
    Returns (x0 in [-1, 1] unclipped, {t: x_t for t in record})."""
    x = noise
    ts = trailing_timesteps(steps)
    stride = T // steps
    rec = {}
    want = set(record)
    for t in ts:
        if t in want:
            rec[t] = x.clone()
        tt = torch.full((x.shape[0],), t, dtype=torch.int64, device=x.device)
        if uncond is not None and guidance != 1.0:
            v = unet(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([uncond, ctx]))
            vu, vc = v.chunk(2)
            v = vu + guidance * (vc - vu)
        else:
            v = unet(x, tt, ctx)
        x = ddim_step(x, v, t, t - stride)
    return x, rec


# ---- word-level tokenizer ------------------------------------------------------------------------

PAD, UNK = "[PAD]", "[UNK]"
_SPLIT = re.compile(r"\w+|[^\w\s]+")  # the Hugging Face `Whitespace` pre-tokenizer


def normalise(text: str) -> str:
    t = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in t if unicodedata.category(ch) != "Mn").lower()


class WordTokenizer:
    def __init__(self, vocab: List[str], max_length: int):
        self.vocab, self.max_length = vocab, max_length
        self.ids = {w: i for i, w in enumerate(vocab)}

    @staticmethod
    def train(texts: Iterable[str], max_length: int, min_count: int = 1) -> "WordTokenizer":
        counts = Counter(w for t in texts for w in _SPLIT.findall(normalise(t)))
        words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return WordTokenizer([PAD, UNK] + words, max_length)

    def encode(self, text: str) -> List[int]:
        ids = [self.ids.get(w, 1) for w in _SPLIT.findall(normalise(text))][: self.max_length]
        return ids + [0] * (self.max_length - len(ids))

    def batch(self, texts: Iterable[str]) -> torch.Tensor:
        return torch.tensor([self.encode(t) for t in texts], dtype=torch.int64)

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"vocab": self.vocab, "max_length": self.max_length}, f)

    @staticmethod
    def load(path: str) -> "WordTokenizer":
        with open(path, encoding="utf-8") as f:
            j = json.load(f)
        return WordTokenizer(j["vocab"], j["max_length"])

    def hf_json(self) -> dict:
        """tokenizer.json in the Hugging Face `tokenizers` format: word-level vocabulary, NFD → StripAccents →
        Lowercase, Whitespace pre-tokenizer, fixed padding/truncation to `max_length` with [PAD] = 0."""
        special = lambda i, s: {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,  # noqa: E731
                                "normalized": False, "special": True}
        return {
            "version": "1.0",
            "truncation": {"direction": "Right", "max_length": self.max_length, "strategy": "LongestFirst", "stride": 0},
            "padding": {"strategy": {"Fixed": self.max_length}, "direction": "Right", "pad_to_multiple_of": None,
                        "pad_id": 0, "pad_type_id": 0, "pad_token": PAD},
            "added_tokens": [special(0, PAD), special(1, UNK)],
            "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"}]},
            "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": None,
            "decoder": None,
            # A WordPiece model with no "##" continuation entries is word-level (a word is in the vocabulary or
            # it is [UNK]) and is read by both the Rust `tokenizers` and `@huggingface/tokenizers` (which has no
            # WordLevel model).
            "model": {"type": "WordPiece", "vocab": self.ids, "unk_token": UNK, "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100},
        }

    def hf_config(self) -> dict:
        return {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": self.max_length, "pad_token": PAD,
                "unk_token": UNK, "padding_side": "right", "truncation_side": "right", "do_lower_case": True,
                "clean_up_tokenization_spaces": False}


def write_json(path: str, obj) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)
