"""Quality on the images themselves: recognisability retrieval and the contact sheet.

Recognisability: each generated image is embedded with the classifier's features (cosine), every real
drawing of every emoji (all four styles) is a gallery entry, an emoji scores its best drawing, and a
hit is the prompted emoji among the top 5 of the 1,914 emoji. The same measure on real drawings of
one style retrieved against the other three styles only is what a recognisable drawing scores (on the
training emoji, which the classifier has seen in other styles, and on held-out emoji, which it has
not). The contact sheet shows the 24 everyday prompts × 4 seeds per model beside the four real
drawings of the prompted emoji.
"""
from __future__ import annotations

import os
from typing import Dict, List

import numpy as np
import torch

import data
import diffusion as D

EVERYDAY_SEED = 4242


def everyday_noise(n_prompts: int, seeds: int, shape: tuple) -> np.ndarray:
    """Initial noise per (prompt, seed), the same for every model: [n_prompts · seeds, *shape]."""
    return np.random.default_rng(EVERYDAY_SEED).standard_normal((n_prompts * seeds, *shape)).astype(np.float32)


@torch.no_grad()
def generate(unet, te, tok: D.WordTokenizer, ae, prompts: List[str], noise: np.ndarray, steps: int, guidance: float,
             batch: int = 64) -> np.ndarray:
    """PyTorch sampling through the autoencoder's decoder: float32 [N, 3, 64, 64] in [-1, 1] (unclipped)."""
    out = []
    for i in range(0, len(prompts), batch):
        ps = prompts[i:i + batch]
        ctx, unc = te(tok.batch(ps)), te(tok.batch([""] * len(ps)))
        z, _ = D.sample(unet, ctx, unc, torch.from_numpy(noise[i:i + batch]), steps, guidance)
        out.append(ae.decode_scaled(z).numpy())
    return np.concatenate(out)


def _normed(f: np.ndarray) -> np.ndarray:
    return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-8)


class Gallery:
    """Every real drawing's classifier features, for nearest-real-emoji retrieval."""

    def __init__(self, cls, ds: data.Dataset):
        self.cls, self.ds = cls, ds
        self.feats = _normed(np.concatenate([self.embed(ds.batch(np.arange(i, min(i + 512, len(ds.images)))))
                                             for i in range(0, len(ds.images), 512)]))
        self.n_emoji = int(ds.emoji.max()) + 1

    def embed(self, images: np.ndarray) -> np.ndarray:
        from classifier import predict
        return predict(self.cls, np.clip(images, -1, 1))[0]

    def ranks(self, query: np.ndarray, target: np.ndarray, mask=None) -> np.ndarray:
        """Rank (0 = best) of each query's target emoji, an emoji scoring its most similar drawing
        (among the gallery entries where `mask` is true)."""
        sims = _normed(query) @ self.feats.T
        if mask is not None:
            sims = np.where(mask[None, :], sims, -np.inf)
        best = np.full((len(query), self.n_emoji), -np.inf)
        for j in range(len(self.feats)):  # per drawing: small (7k) and clear
            e = self.ds.emoji[j]
            best[:, e] = np.maximum(best[:, e], sims[:, j])
        own = best[np.arange(len(query)), target]
        return (best > own[:, None]).sum(axis=1)

    def cross_style(self, emoji_subset: np.ndarray) -> Dict[str, float]:
        """Real drawings of each style (of `emoji_subset`) retrieved against the other styles' drawings."""
        hits, ranks = [], []
        for s in range(len(data.STYLES)):
            q = np.nonzero((self.ds.styles == s) & np.isin(self.ds.emoji, emoji_subset))[0]
            if len(q) == 0:
                continue
            r = self.ranks(self.feats[q], self.ds.emoji[q], mask=self.ds.styles != s)
            hits.append(r < 5)
            ranks.append(r)
        h, rk = np.concatenate(hits), np.concatenate(ranks)
        return {"top5": round(float(h.mean()), 4), "median_rank": float(np.median(rk)), "queries": int(len(h))}


def recognisability(gallery: Gallery, images: np.ndarray, target: np.ndarray) -> Dict[str, float]:
    r = gallery.ranks(gallery.embed(images), target)
    return {"top5": round(float(np.mean(r < 5)), 4), "top1": round(float(np.mean(r < 1)), 4),
            "median_rank": float(np.median(r)), "images": int(len(r))}


def _tile(img: np.ndarray) -> np.ndarray:
    return ((np.clip(img, -1, 1).transpose(1, 2, 0) + 1) * 127.5).round().astype(np.uint8)


def contact_sheet(path: str, prompts: List[str], seeds: int, models: Dict[str, np.ndarray], real: List[List[np.ndarray]],
                  scale: int = 2) -> None:
    """One row per prompt: its name, `seeds` images per model, then the real drawings of that emoji."""
    from PIL import Image, ImageDraw
    cell, label_w, head_h = 66, 120, 18
    cols = [(name, k) for name in models for k in range(seeds)] + [("real", k) for k in range(len(data.STYLES))]
    gaps = len(models)  # a gap before each new block
    width = label_w + len(cols) * cell + gaps * 8
    sheet = Image.new("RGB", (width, head_h + len(prompts) * cell), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    x = label_w
    block_x = {}
    for ci, (name, k) in enumerate(cols):
        if k == 0:
            x += 8 if ci else 0
            block_x[name] = x
        x += cell
    for name, bx in block_x.items():
        draw.text((bx + 2, 3), name if name != "real" else "real (fluent, noto, twemoji, openmoji)", fill=(0, 0, 0))
    for pi, prompt in enumerate(prompts):
        y = head_h + pi * cell
        draw.text((4, y + 26), prompt, fill=(0, 0, 0))
        for name, imgs in models.items():
            for k in range(seeds):
                sheet.paste(Image.fromarray(_tile(imgs[pi * seeds + k])), (block_x[name] + k * cell + 1, y + 1))
        for k, img in enumerate(real[pi]):
            sheet.paste(Image.fromarray(img), (block_x["real"] + k * cell + 1, y + 1))
    sheet.resize((sheet.width * scale, sheet.height * scale), Image.NEAREST).save(path)


def reconstruction_sheet(ae, ds: data.Dataset, path: str, per_style: int = 8, scale: int = 2) -> None:
    """Held-out drawings (top row of each pair) and the autoencoder's reconstructions (below), per style."""
    from PIL import Image
    rows = []
    for s in range(len(data.STYLES)):
        idx = ds.held_idx[ds.styles[ds.held_idx] == s][:per_style]
        if len(idx) == 0:
            continue
        rec = ae.decode_scaled(ae.encode_scaled(torch.from_numpy(ds.batch(idx)))).numpy()
        rows += [np.concatenate(list(ds.images[idx]), axis=1), np.concatenate([_tile(x) for x in rec], axis=1)]
    width = max(r.shape[1] for r in rows)
    sheet = np.full((sum(r.shape[0] for r in rows), width, 3), 255, np.uint8)
    y = 0
    for r in rows:
        sheet[y:y + r.shape[0], :r.shape[1]] = r
        y += r.shape[0]
    Image.fromarray(sheet).resize((width * scale, y * scale), Image.NEAREST).save(path)


def real_drawings(ds: data.Dataset, prompts: List[str]) -> List[List[np.ndarray]]:
    out = []
    for p in prompts:
        e = ds.find(p)
        out.append([ds.images[i] for i in np.nonzero(ds.emoji == e)[0]])
    return out


def everyday_measure(r, models: Dict[str, tuple], te, sheet_path: str) -> Dict[str, dict]:
    """models: name → (unet, steps, guidance), all on text encoder `te`. Generates the 24 prompts × seeds with
    each and writes the contact sheet; with a trained classifier, also their recognisability and the
    cross-style real-drawing figures."""
    from trainer import apply_threads
    ds, tok, ae = r.dataset(), r.tokenizer(), r.autoencoder()
    seeds = r.cfg["seeds"]
    prompts = [p for p in data.EVERYDAY for _ in range(seeds)]
    target = np.array([ds.find(p) for p in prompts])
    noise = everyday_noise(len(data.EVERYDAY), seeds, (ae.c.latent_channels, 16, 16))
    gallery = Gallery(r.classifier(), ds) if os.path.exists(r.path("classifier.pt")) else None
    out = {}
    if gallery:
        out["cross_style_real"] = {"everyday": gallery.cross_style(np.unique(target)),
                                   "heldout": gallery.cross_style(np.unique(ds.emoji[ds.held_idx]))}
        r.log(f"[recognisability] real drawings, one style against the other three: {out['cross_style_real']}")
    else:
        r.log("[recognisability] no classifier yet (its stage comes after the teacher): contact sheet only")
    images = {}
    for name, (unet, steps, guidance) in models.items():
        apply_threads(r.log)
        images[name] = generate(unet, te, tok, ae, prompts, noise, steps, guidance)
        if gallery:
            out[name] = recognisability(gallery, images[name], target)
            r.log(f"[recognisability] {name}: {out[name]}")
    contact_sheet(sheet_path, list(data.EVERYDAY), seeds, images, real_drawings(ds, list(data.EVERYDAY)))
    return out


def peek(r, role: str) -> dict:
    """The latest checkpoint of a training stage, measured and drawn (the run goes on)."""
    import image_pipeline as P
    from torch_unet import load_text_encoder
    from trainer import load_ema
    tok = r.tokenizer()
    if role == "teacher":
        te, unet = P._teacher_modules(r, tok)
        step = load_ema(torch.nn.ModuleDict({"te": te, "unet": unet}), r.path("teacher.ckpt"))
        models = {f"teacher, step {step} (50 steps, w={r.cfg['guidance']})": (unet.eval(), 50, r.cfg["guidance"])}
    else:
        from prune import prune_unet
        from torch_unet import load_unet
        te = load_text_encoder(r.path("text_encoder.pt"))
        student, _ = prune_unet(load_unet(r.path("teacher_unet.pt")), r.cfg["prune_keep"])
        step = load_ema(student, r.path("student.ckpt"))
        models = {f"student, step {step} ({r.cfg['student_steps']} steps)": (student.eval(), r.cfg["student_steps"], 1.0)}
    sheet = r.path(f"peek_{role}.png")
    result = everyday_measure(r, models, te.eval(), sheet)
    D.write_json(r.path(f"peek_{role}.json"), {"step": step, **result})
    r.log(f"[peek] {role} at step {step}: contact sheet {sheet}")
    return result
