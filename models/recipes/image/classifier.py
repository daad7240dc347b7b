"""The quality yardstick: a small CNN trained on the real 64×64 emoji of the training split (all four
styles) with two heads, the emoji itself (which of ~1,800 training emoji) and its group (nine).

* Its 128-d penultimate features define the Fréchet distance (the FID formula of Heusel et al. 2017
  on these features instead of Inception's) and the recognisability retrieval (`retrieval.py`):
  trained to name an emoji whatever its style, they put drawings of the same emoji together and
  different emoji apart — what "a person recognises it" needs, and what pixel distance does not
  give (the same emoji in two styles is far apart in pixels).
* Its group prediction defines prompt faithfulness on held-out emoji (whose identity it never saw).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class EmojiClassifier(nn.Module):
    def __init__(self, emoji: int = 1914, groups: int = 9, feat: int = 128):
        super().__init__()
        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(),
                                 nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2))
        self.body = nn.Sequential(block(3, 32), block(32, 64), block(64, 128))
        self.feat = nn.Linear(128 * 4, feat)
        self.emoji_head = nn.Linear(feat, emoji)
        self.head = nn.Linear(feat, groups)
        self.drop = nn.Dropout(0.2)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        # 64 → 32 px first: recognising an emoji needs its shapes, not its anti-aliasing (and it is 4× cheaper)
        h = self.body(F.avg_pool2d(x, 2))
        return F.relu(self.feat(F.adaptive_avg_pool2d(h, 2).flatten(1)))

    def forward(self, x: torch.Tensor) -> tuple:
        f = self.drop(self.features(x))
        return self.emoji_head(f), self.head(f)


def _augment(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Random ±4 px shifts (white fill): the generated images are not centred exactly as the drawings are."""
    B, _, H, W = x.shape
    pad = F.pad(x, (4, 4, 4, 4), value=1.0)
    dx, dy = rng.integers(0, 9, B), rng.integers(0, 9, B)
    return torch.stack([pad[i, :, dy[i]:dy[i] + H, dx[i]:dx[i] + W] for i in range(B)])


def classifier_loss(model: EmojiClassifier, images_batch, emoji: np.ndarray, groups: np.ndarray, train_idx: np.ndarray, batch: int):
    """Cross-entropy on both heads; `images_batch(idx)` gives float32 NCHW in [-1, 1]."""
    def fn(rng: np.random.Generator):
        idx = train_idx[rng.integers(0, len(train_idx), batch)]
        e_logits, g_logits = model(_augment(torch.from_numpy(images_batch(idx)), rng))
        le = F.cross_entropy(e_logits, torch.from_numpy(emoji[idx]))
        lg = F.cross_entropy(g_logits, torch.from_numpy(groups[idx]))
        return le + lg, {"emoji_ce": le.item(), "group_ce": lg.item()}
    return fn


@torch.no_grad()
def predict(model: EmojiClassifier, x: np.ndarray, batch: int = 256) -> tuple:
    feats, preds = [], []
    for i in range(0, len(x), batch):
        xb = torch.from_numpy(np.ascontiguousarray(x[i:i + batch], dtype=np.float32))
        f = model.features(xb)
        feats.append(f.numpy().astype(np.float64))
        preds.append(model.head(f).argmax(1).numpy())  # the group
    return np.concatenate(feats), np.concatenate(preds)


def accuracy(model: EmojiClassifier, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(predict(model, x)[1] == y))


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(f1: np.ndarray, f2: np.ndarray) -> float:
    """‖μ₁−μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½), with Tr((Σ₁Σ₂)^½) = Tr((Σ₁^½ Σ₂ Σ₁^½)^½) (symmetric, stable)."""
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    r1 = _sqrtm_psd(s1)
    cross = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(r1 @ s2 @ r1), 0, None)))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * cross)


def quality(model: EmojiClassifier, generated: np.ndarray, prompted: np.ndarray, ref_feats: np.ndarray) -> dict:
    """generated: float32 [N,3,64,64] in [-1,1]; prompted: the prompted group per image."""
    f, p = predict(model, np.clip(generated, -1, 1))
    return {"frechetDistance": round(frechet_distance(f, ref_feats), 4), "faithfulness": round(float(np.mean(p == prompted)), 4)}
