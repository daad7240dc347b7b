"""Emoji data: four drawing styles of the same emoji, rendered at 64×64, with captions.

Fetched by name with `npm pack` (never added to the project's dependencies), pinned with their
registry integrity hashes (checked after download):
* the SVG sets `@iconify-json/fluent-emoji-flat` (MIT), `@iconify-json/noto` (Apache-2.0),
  `@iconify-json/twemoji` (CC-BY-4.0) and `@iconify-json/openmoji` (CC-BY-SA-4.0) — each has
  `chars.json` (code point → icon name), so every drawing is matched to its emoji by code point;
* `emojibase-data` (CLDR names, keyword tags, groups and subgroups) and `emoji-datasource`
  (Unicode names such as "slice of pizza", and short names) for the captions.

Each base emoji (no skin-tone variants, no "component" group) is rendered with librsvg's
`rsvg-convert` onto white at 64×64 in every style that draws it. The held-out split is by emoji (a
hash of the code point, so all four drawings of an emoji are on the same side), and the everyday
prompts of the evaluation are always in training. One cache `.npz` holds the uint8 images and the
caption parts; `manifest.json` beside it records the package versions, hashes and counts.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List

import numpy as np

# name, version and the registry's sha512 integrity of every package the data stage reads
PACKAGES = {
    "fluent": ("@iconify-json/fluent-emoji-flat", "1.2.6", "sha512-RY47RgPb47fYUiyrA64sIOL0+UU02s29sXpNBbIQRBUlPlfNFTKUmZDERGuxDs/7yNGWqQYvuaSYM1M4fRXlUw=="),
    "noto": ("@iconify-json/noto", "1.2.9", "sha512-DQiuXENbun41ch+XPSV55H9FaWKpHTyz46YIKtSaKYD4fIDDzL1tR6H4np/T38jfrTAeI3rcKF0mqHYeZVAuaw=="),
    "twemoji": ("@iconify-json/twemoji", "1.2.5", "sha512-uKpuIEV0v6K5BW3Mjdyl+XKFVAbbcPxAgifKvEMtZoUZB5+YiY5zaMm2uNNCxyXzAWU9yNLlj41WU6/mvgALsw=="),
    "openmoji": ("@iconify-json/openmoji", "1.2.29", "sha512-vXdhkqcXVSO6suy+m9LbcUM3OdVyuNOtpV8/als/WqfkQIRxevL5Geb/g+6GH/Qwnq1OqksEmaDGTCmZ5nFKJQ=="),
    "emojibase": ("emojibase-data", "17.0.0", "sha512-Yvgb5AWoHViHV/gq1qr5ZAarcBip+B27/ZLRsUJkbgAEaLlZ/fof9g882LTpmEpyhBNEC0m2SEmItljHsTygjA=="),
    "datasource": ("emoji-datasource", "16.0.0", "sha512-/qHKqK5Nr3+8zhgO6kHmF43Fm5C8HNn0AaFRIpgw8HF3+uF0Vfc8jgLI1ZQS5ba1vBzksS8NBCjHejwLb2D/Sg=="),
}
STYLES = ("fluent", "noto", "twemoji", "openmoji")
UNPACK = {"emojibase": ("package/en/data.json", "package/en/messages.json", "package/package.json", "package/LICENSE"),
          "datasource": ("package/emoji.json", "package/package.json", "package/LICENSE")}
SVG_FILES = ("package/icons.json", "package/chars.json", "package/info.json", "package/package.json")
CATEGORIES = ["Smileys & Emotion", "People & Body", "Animals & Nature", "Food & Drink", "Travel & Places",
              "Activities", "Objects", "Symbols", "Flags"]
EMOJIBASE_GROUPS = [0, 1, 3, 4, 5, 6, 7, 8, 9]  # emojibase's group numbers of CATEGORIES (2 = component, dropped)
HELDOUT_PERCENT = 8
SIZE = 64
LICENCES = {
    "fluent": "Fluent Emoji (flat) © Microsoft Corporation, MIT, via @iconify-json/fluent-emoji-flat 1.2.6",
    "noto": "Noto Emoji © Google Inc., Apache-2.0, via @iconify-json/noto 1.2.9",
    "twemoji": "Twemoji © Twitter, Inc. and other contributors, CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/), via @iconify-json/twemoji 1.2.5",
    "openmoji": "OpenMoji © HfG Schwäbisch Gmünd and contributors, CC-BY-SA-4.0 (https://creativecommons.org/licenses/by-sa/4.0/), via @iconify-json/openmoji 1.2.29",
    "emojibase": "emojibase-data 17.0.0 (Miles Johnson, MIT): CLDR names, keyword tags, groups",
    "datasource": "emoji-datasource 16.0.0 (iamcal/emoji-data, MIT): Unicode names and short names",
}
# The fixed everyday prompts of the recognisability measure (each is an emoji's CLDR name or Unicode name).
EVERYDAY = ["red heart", "slice of pizza", "rocket", "dog face", "cat face", "grinning face", "thumbs up", "sun",
            "crescent moon", "fire", "rainbow", "snowman", "red apple", "banana", "birthday cake", "hamburger",
            "automobile", "house", "christmas tree", "soccer ball", "guitar", "umbrella", "light bulb", "ghost"]


def words(text: str) -> str:
    """Lower-case, accents stripped, '_', '-' and ':' to spaces — the same normalisation the exported
    tokenizer applies (NFD → StripAccents → Lowercase; Whitespace pre-tokenizer)."""
    t = unicodedata.normalize("NFD", text)
    t = "".join(ch for ch in t if unicodedata.category(ch) != "Mn").lower()
    return re.sub(r"\s+", " ", re.sub(r"[_:\-]+", " ", t)).strip()


def _hex(code: str) -> str:
    return "-".join(p for p in code.lower().split("-") if p != "fe0f")


def _check_integrity(tgz: str, integrity: str) -> None:
    algo, want = integrity.split("-", 1)
    with open(tgz, "rb") as f:
        got = base64.b64encode(hashlib.new(algo, f.read()).digest()).decode()
    if got != want:
        raise SystemExit(f"[data] {os.path.basename(tgz)}: integrity {algo}-{got} is not the pinned {integrity}")


def npm_fetch(dest: str, log=print) -> Dict[str, str]:
    """`npm pack` each pinned package into `dest`, check its integrity, unpack what the recipe reads."""
    os.makedirs(dest, exist_ok=True)
    dirs = {}
    for key, (name, version, integrity) in PACKAGES.items():
        out = os.path.join(dest, key)
        dirs[key] = os.path.join(out, "package")
        if os.path.exists(os.path.join(out, ".unpacked")):
            continue
        spec = f"{name}@{version}"
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
        _check_integrity(tgz, integrity)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        want = UNPACK.get(key, SVG_FILES)
        with tarfile.open(tgz) as tf:
            tf.extractall(out, members=[m for m in tf.getmembers() if m.name in want])
        os.remove(tgz)
        open(os.path.join(out, ".unpacked"), "w").close()
    return dirs


def _read(path: str):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _svg_sources(pkg: str) -> Dict[str, str]:
    """code point (lower-case hex, no FE0F) → a standalone SVG document of that emoji in this style."""
    icons, chars = _read(os.path.join(pkg, "icons.json")), _read(os.path.join(pkg, "chars.json"))
    aliases = icons.get("aliases", {})
    out = {}
    for code, name in chars.items():
        while name not in icons["icons"] and name in aliases:
            name = aliases[name]["parent"]
        icon = icons["icons"].get(name)
        if icon is None:
            continue
        w, h = icon.get("width", icons.get("width", 16)), icon.get("height", icons.get("height", 16))
        left, top = icon.get("left", icons.get("left", 0)), icon.get("top", icons.get("top", 0))
        out.setdefault(_hex(code), f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                                   f'viewBox="{left} {top} {w} {h}" width="{SIZE}" height="{SIZE}">{icon["body"]}</svg>')
    return out


def render_svg(svg: str) -> np.ndarray:
    """librsvg at SIZE×SIZE on white → uint8 [SIZE, SIZE, 3]."""
    from PIL import Image
    r = subprocess.run(["rsvg-convert", "-w", str(SIZE), "-h", str(SIZE), "-b", "white", "-f", "png"],
                       input=svg.encode(), capture_output=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.decode()[-300:])
    return np.asarray(Image.open(io.BytesIO(r.stdout)).convert("RGB"), dtype=np.uint8)


def _emoji_table(dirs: Dict[str, str]) -> List[dict]:
    """Base emoji of the nine groups with every caption part, in emojibase order."""
    messages = _read(os.path.join(dirs["emojibase"], "en", "messages.json"))
    subgroups = {g["order"]: words(g["message"]) for g in messages["subgroups"]}
    unicode_names = {_hex(e["unified"]): e for e in _read(os.path.join(dirs["datasource"], "emoji.json"))}
    table = []
    for e in _read(os.path.join(dirs["emojibase"], "en", "data.json")):
        if e.get("group") not in EMOJIBASE_GROUPS:
            continue
        code = _hex(e["hexcode"])
        ds = unicode_names.get(code, {})
        label = words(e["label"])
        uname = words(ds.get("name") or "")
        table.append({"code": code, "name": label, "unicode_name": uname if uname != label else "",
                      "shorts": sorted({words(s) for s in ds.get("short_names", [])} - {label}),
                      "tags": [words(t) for t in e.get("tags", [])], "category": CATEGORIES[EMOJIBASE_GROUPS.index(e["group"])],
                      "subcategory": subgroups.get(e.get("subgroup"), "")})
    return table


def _held_out(e: dict) -> bool:
    if e["name"] in EVERYDAY or e["unicode_name"] in EVERYDAY:
        return False
    return int(hashlib.sha1(e["code"].encode()).hexdigest(), 16) % 100 < HELDOUT_PERCENT


def build(cache_dir: str, out_npz: str, log=print, limit: int = 0, workers: int = 2) -> dict:
    """Builds the cached dataset (idempotent: returns the manifest if `out_npz` exists).
    `limit` keeps the first N emoji of each style plus the everyday ones (smoke runs)."""
    manifest_path = os.path.join(os.path.dirname(out_npz), "manifest.json")
    if os.path.exists(out_npz) and os.path.exists(manifest_path):
        return {**_read(manifest_path), "cached": True}
    dirs = npm_fetch(cache_dir, log)
    table = _emoji_table(dirs)
    if limit:
        table = table[:limit] + [e for e in table[limit:] if e["name"] in EVERYDAY or e["unicode_name"] in EVERYDAY]
    jobs = []
    for si, style in enumerate(STYLES):
        sources = _svg_sources(dirs[style])
        jobs += [(ei, si, sources[e["code"]]) for ei, e in enumerate(table) if e["code"] in sources]
    log(f"[data] rendering {len(jobs)} drawings of {len(table)} emoji at {SIZE}×{SIZE} with rsvg-convert")
    with ThreadPoolExecutor(workers) as pool:
        images = list(pool.map(lambda j: render_svg(j[2]), jobs))
    emoji_idx = np.array([j[0] for j in jobs], np.int64)
    fields = {k: np.array([table[i][k] for i in emoji_idx]) for k in ("code", "name", "unicode_name", "subcategory")}
    os.makedirs(os.path.dirname(out_npz), exist_ok=True)
    tmp = out_npz + ".tmp.npz"
    np.savez_compressed(
        tmp, images=np.stack(images), styles=np.array([j[1] for j in jobs], np.int64), emoji=emoji_idx,
        labels=np.array([CATEGORIES.index(table[i]["category"]) for i in emoji_idx], np.int64),
        names=fields["name"], unicode_names=fields["unicode_name"], codes=fields["code"], subcats=fields["subcategory"],
        cats=np.array([words(table[i]["category"]) for i in emoji_idx]),
        shorts=np.array(["|".join(table[i]["shorts"]) for i in emoji_idx]),
        tags=np.array(["|".join(table[i]["tags"]) for i in emoji_idx]),
        heldout=np.array([_held_out(table[i]) for i in emoji_idx]))
    os.replace(tmp, out_npz)
    with open(out_npz, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    styles = np.array([j[1] for j in jobs])
    held = np.array([_held_out(table[i]) for i in emoji_idx])
    manifest = {
        "packages": {k: {"name": n, "version": v, "integrity": i} for k, (n, v, i) in PACKAGES.items()},
        "size": SIZE, "emoji": len(table), "images": len(jobs), "bundle": os.path.basename(out_npz),
        "bundle_bytes": os.path.getsize(out_npz), "bundle_sha256": digest,
        "per_style": {s: int(np.sum(styles == i)) for i, s in enumerate(STYLES)},
        "heldout_images": int(held.sum()), "heldout_emoji": sorted({table[i]["code"] for i in emoji_idx[held]}),
        "per_category": np.bincount([CATEGORIES.index(table[i]["category"]) for i in emoji_idx], minlength=len(CATEGORIES)).tolist(),
    }
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    log(f"[data] {len(jobs)} images, {manifest['bundle_bytes'] / 2 ** 20:.1f} MiB bundle, per style {manifest['per_style']}, "
        f"held out {manifest['heldout_images']}")
    return {**manifest, "cached": False}


class Dataset:
    """The cached arrays plus caption sampling. `images` uint8 NHWC; `batch(idx)` float32 NCHW in [-1, 1]."""

    def __init__(self, npz: str):
        z = np.load(npz, allow_pickle=False)
        self.images = z["images"]
        self.styles, self.emoji, self.labels = z["styles"], z["emoji"], z["labels"]
        self.names, self.unicode_names, self.shorts, self.cats = z["names"], z["unicode_names"], z["shorts"], z["cats"]
        self.subcats, self.tags, self.heldout, self.codes = z["subcats"], z["tags"], z["heldout"], z["codes"]
        self.train_idx = np.nonzero(~self.heldout)[0]
        self.held_idx = np.nonzero(self.heldout)[0]

    def batch(self, idx) -> np.ndarray:
        return (self.images[idx].astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2).copy()

    def find(self, prompt: str) -> int:
        """The emoji index whose name or Unicode name is `prompt` (the everyday prompts)."""
        hits = np.nonzero((self.names == prompt) | (self.unicode_names == prompt))[0]
        if len(hits) == 0:
            raise KeyError(prompt)
        return int(self.emoji[hits[0]])

    def caption(self, i: int) -> str:
        """The canonical prompt of image i: its name and style (what evaluation prompts with)."""
        return f"{self.names[i]}, {STYLES[self.styles[i]]} style"

    def random_caption(self, i: int, rng: np.random.Generator) -> str:
        """Training captions vary which parts appear and in what order, so short user prompts work;
        the style word is present 70 % of the time, so a prompt without it picks a style freely."""
        names = [str(self.names[i])] + ([str(self.unicode_names[i])] if self.unicode_names[i] else [])
        shorts = [s for s in str(self.shorts[i]).split("|") if s]
        tags = [t for t in str(self.tags[i]).split("|") if t]
        r = rng.random()
        head = str(rng.choice(names)) if r < 0.8 or not shorts else str(rng.choice(shorts))
        parts = []
        if tags and rng.random() < 0.4:
            parts += [str(t) for t in rng.choice(tags, size=int(rng.integers(1, min(3, len(tags)) + 1)), replace=False)]
        if rng.random() < 0.2:
            parts.append(str(self.subcats[i]))
        if rng.random() < 0.2:
            parts.append(str(self.cats[i]))
        rng.shuffle(parts)
        if rng.random() < 0.7:
            parts.append(f"{STYLES[self.styles[i]]} style")
        return ", ".join([head] + parts)
