"""Coherence of long continuations, beside bits/byte (SPEC §4): what a reader of a 400-token story notices.

For each prompt (the opening sentences of a held-out story that name a character) an operating point writes a
seeded, sampled continuation (`onnx_tools.mjs generate`: temperature 0.8, top-k 40, EOS suppressed so that every
continuation is 400 tokens long), and:

* repetition: the share of token 4-grams of the continuation that already occurred earlier in it (0 = none, 1 = loops);
* names kept: the share of the characters named in the prompt that the continuation mentions again;
* real words: the share of the continuation's words that occur in the training text (made-up words lower it);
* consistency = names kept × real words × (1 − repetition), per story, then averaged: one number in [0, 1]
  that falls when the story forgets its characters, invents words or loops.
"""
from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Set

WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
SENTENCE_END = re.compile(r"[.!?]\s+|\n+")
# capitalised words that are not characters' names when they are not at a sentence start
NOT_NAMES = {"I", "Once", "The", "One", "Then", "But", "And", "So", "When", "They", "She", "He", "It", "Mr", "Mrs", "Ms"}


def words(text: str) -> List[str]:
    return WORD.findall(text)


def names(text: str) -> Set[str]:
    """Characters' names: capitalised words that do not start a sentence, and the word after "named" / "called"."""
    found: Set[str] = set()
    for sentence in SENTENCE_END.split(text):
        ws = words(sentence)
        for i, w in enumerate(ws):
            if i > 0 and w[0].isupper() and w not in NOT_NAMES and not w.isupper():
                found.add(w)
            if i > 0 and ws[i - 1].lower() in ("named", "called") and w[0].isupper():
                found.add(w)
    return found


def openings(stories: Iterable[str], count: int, sentences: int = 2) -> List[str]:
    """The first `sentences` sentences of the first `count` stories whose opening names a character."""
    out: List[str] = []
    for story in stories:
        parts = re.split(r"(?<=[.!?])\s+", story.strip())
        opening = " ".join(parts[:sentences])
        if names(opening) and len(words(opening)) <= 60:
            out.append(opening)
        if len(out) >= count:
            break
    return out


def repetition(ids: List[int], n: int = 4) -> float:
    if len(ids) < n:
        return 0.0
    seen, repeated = set(), 0
    for i in range(len(ids) - n + 1):
        key = tuple(ids[i:i + n])
        repeated += key in seen
        seen.add(key)
    return repeated / (len(ids) - n + 1)


def story_scores(prompt: str, text: str, ids: List[int], vocabulary: Set[str]) -> Dict[str, Optional[float]]:
    cast = names(prompt)
    ws = words(text)
    mentioned = set(ws)
    kept = len(cast & mentioned) / len(cast) if cast else None
    real = sum(1 for w in ws if w.lower() in vocabulary) / len(ws) if ws else 0.0
    rep = repetition(ids)
    return {"repetition": rep, "namesKept": kept, "realWords": real, "tokens": len(ids),
            "consistency": (kept if kept is not None else 1.0) * real * (1.0 - rep)}


def score(samples: List[dict], vocabulary: Set[str]) -> dict:
    """Means over `samples` ({prompt, text, ids}) of every per-story score."""
    per = [story_scores(s["prompt"], s["text"], s["ids"], vocabulary) for s in samples]
    out: Dict[str, object] = {"stories": len(per)}
    for k in ("repetition", "namesKept", "realWords", "consistency", "tokens"):
        vals = [p[k] for p in per if p[k] is not None]
        out[k] = sum(vals) / len(vals) if vals else None
    return out


def vocabulary(texts: Iterable[str]) -> Set[str]:
    vocab: Set[str] = set()
    for t in texts:
        vocab.update(w.lower() for w in words(t))
    return vocab
