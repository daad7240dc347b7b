"""The quality yardstick: a small CNN trained on the real 32×32 emoji (training split) to predict the
nine emoji groups. Its 64-d penultimate features define the Fréchet distance (FD, the FID formula of
Heusel et al. 2017 on these features instead of Inception's), and its prediction defines prompt
faithfulness (share of generated images classified as the prompted emoji's group)."""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class EmojiClassifier(nn.Module):
    def __init__(self, classes: int = 9, feat: int = 64):
        super().__init__()
        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(),
                                 nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2))
        self.body = nn.Sequential(block(3, 32), block(32, 64), block(64, 128))
        self.feat = nn.Linear(128, feat)
        self.head = nn.Linear(feat, classes)
        self.drop = nn.Dropout(0.2)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(x).mean(dim=(2, 3))
        return F.relu(self.feat(h))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.features(x)))


def _augment(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Random ±2 px shifts (white fill) and horizontal flips."""
    B = x.shape[0]
    pad = F.pad(x, (2, 2, 2, 2), value=1.0)
    out = torch.empty_like(x)
    dx, dy = rng.integers(0, 5, B), rng.integers(0, 5, B)
    flip = rng.random(B) < 0.5
    for i in range(B):
        crop = pad[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        out[i] = crop.flip(-1) if flip[i] else crop
    return out


def train_classifier(x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, minutes: float, batch: int,
                     lr: float, log, max_steps: int = 10 ** 9) -> tuple:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = EmojiClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    counts = np.bincount(y, minlength=9).astype(np.float64)
    weights = torch.tensor(counts.sum() / np.maximum(counts, 1) / 9, dtype=torch.float32)  # balance the groups
    t0, step = time.time(), 0
    budget = minutes * 60
    while time.time() - t0 < budget and step < max_steps:
        frac = (time.time() - t0) / budget
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + np.cos(np.pi * min(1.0, frac)))
        idx = rng.integers(0, len(xt), batch)
        model.train()
        loss = F.cross_entropy(model(_augment(xt[idx], rng)), yt[idx], weight=weights)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            log(f"[classifier] step {step} {(time.time() - t0) / 60:.1f}min loss {loss.item():.3f}")
    model.eval()
    acc = accuracy(model, x_val, y_val)
    log(f"[classifier] {step} steps; held-out real accuracy {acc:.3f}")
    return model, {"steps": step, "heldout_accuracy": acc, "seconds": time.time() - t0}


@torch.no_grad()
def predict(model: EmojiClassifier, x: np.ndarray, batch: int = 256) -> tuple:
    feats, preds = [], []
    for i in range(0, len(x), batch):
        xb = torch.from_numpy(np.ascontiguousarray(x[i:i + batch], dtype=np.float32))
        f = model.features(xb)
        feats.append(f.numpy().astype(np.float64))
        preds.append(model.head(f).argmax(1).numpy())
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
    """generated: float32 [N,3,32,32] in [-1,1]; prompted: the prompted group per image."""
    f, p = predict(model, np.clip(generated, -1, 1))
    return {"frechetDistance": round(frechet_distance(f, ref_feats), 4), "faithfulness": round(float(np.mean(p == prompted)), 4)}
