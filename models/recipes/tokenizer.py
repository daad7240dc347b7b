"""Byte-fallback BPE tokenizer, trained from the story text and written as a standard `tokenizer.json`.

The layout follows the Llama / SentencePiece convention the studio's tokenizer library (tokenizers.js)
reads: a `Prepend("▁") + Replace(" ", "▁")` normalizer, no pre-tokenizer, a BPE model with
`byte_fallback` (characters outside the learned alphabet become `<0xNN>` byte tokens), a
TemplateProcessing post-processor that prepends BOS, and the matching decoder.

Merges are learned inside "▁word" chunks only, so no merge ever joins a token to a following
`▁…` token; encoding a whole text is therefore the same as encoding each chunk on its own, which
lets `encode` cache per chunk (fast enough to tokenise the corpus in pure Python).
"""
from __future__ import annotations

import collections
import json
import re
from typing import Dict, Iterable, List, Tuple

SPACE = "\u2581"
UNK, BOS, EOS = "<unk>", "<s>", "</s>"
SPECIALS = [UNK, BOS, EOS]
# The studio's story chat template (native/engine/text/chat-template.ts, STORY_CHAT_TEMPLATE): the system
# text as a preamble, each turn a plain paragraph, the answer continuing the last turn.
CHAT_TEMPLATE = ("{{ bos_token }}{% for message in messages if message.content | trim %}"
                 "{% if not loop.first %}{{ '\\n\\n' }}{% endif %}{{ message.content | trim }}{% endfor %}")
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]
CHUNK = re.compile(f"{SPACE}[^{SPACE}]*|[^{SPACE}]+")


def normalise(text: str) -> str:
    return SPACE + text.replace(" ", SPACE)


def chunks(text: str) -> List[str]:
    return CHUNK.findall(normalise(text))


class BpeTokenizer:
    def __init__(self, vocab: Dict[str, int], merges: List[Tuple[str, str]]):
        self.vocab = vocab
        self.id_to_token = {i: t for t, i in vocab.items()}
        self.merges = merges
        self.ranks = {pair: r for r, pair in enumerate(merges)}
        self.bos_id, self.eos_id, self.unk_id = vocab[BOS], vocab[EOS], vocab[UNK]
        self._cache: Dict[str, List[int]] = {}

    # ---- training -------------------------------------------------------------------------
    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, min_char_count: int = 8) -> "BpeTokenizer":
        words = collections.Counter()
        for text in texts:
            words.update(chunks(text))
        chars = collections.Counter()
        for w, c in words.items():
            for ch in w:
                chars[ch] += c
        alphabet = sorted(ch for ch, c in chars.items() if c >= min_char_count)
        vocab: Dict[str, int] = {}
        for tok in SPECIALS + BYTE_TOKENS + alphabet:
            vocab.setdefault(tok, len(vocab))
        if len(vocab) >= vocab_size:
            raise ValueError(f"vocab_size {vocab_size} is smaller than the base alphabet ({len(vocab)}).")

        # Words as symbol lists; characters outside the alphabet break a word (they become bytes).
        seqs: List[List[str]] = []
        counts: List[int] = []
        for w, c in words.items():
            part: List[str] = []
            for ch in w:
                if ch in vocab:
                    part.append(ch)
                else:
                    if len(part) > 1:
                        seqs.append(part); counts.append(c)
                    part = []
            if len(part) > 1:
                seqs.append(part); counts.append(c)

        pair_counts: Dict[Tuple[str, str], int] = collections.defaultdict(int)
        where: Dict[Tuple[str, str], set] = collections.defaultdict(set)
        for i, s in enumerate(seqs):
            for a, b in zip(s, s[1:]):
                pair_counts[(a, b)] += counts[i]
                where[(a, b)].add(i)

        merges: List[Tuple[str, str]] = []
        while len(vocab) < vocab_size and pair_counts:
            best = max(pair_counts.items(), key=lambda kv: (kv[1], kv[0]))
            (a, b), n = best
            if n < 2:
                break
            merged = a + b
            merges.append((a, b))
            vocab.setdefault(merged, len(vocab))
            for i in list(where[(a, b)]):
                s, c = seqs[i], counts[i]
                for x, y in zip(s, s[1:]):  # remove this word's old pairs
                    pair_counts[(x, y)] -= c
                    if pair_counts[(x, y)] <= 0:
                        del pair_counts[(x, y)]
                    where[(x, y)].discard(i)
                out, j = [], 0
                while j < len(s):
                    if j + 1 < len(s) and s[j] == a and s[j + 1] == b:
                        out.append(merged); j += 2
                    else:
                        out.append(s[j]); j += 1
                seqs[i] = out
                for x, y in zip(out, out[1:]):
                    pair_counts[(x, y)] += c
                    where[(x, y)].add(i)
            pair_counts.pop((a, b), None)
            where.pop((a, b), None)
        return cls(vocab, merges)

    # ---- encoding (same algorithm as tokenizers' BPE: lowest-rank adjacent pair first) --------
    def _encode_chunk(self, chunk: str) -> List[int]:
        hit = self._cache.get(chunk)
        if hit is not None:
            return hit
        ids: List[int] = []
        syms: List[str] = []

        def flush():
            if not syms:
                return
            while len(syms) > 1:
                best, at = None, -1
                for k in range(len(syms) - 1):
                    r = self.ranks.get((syms[k], syms[k + 1]))
                    if r is not None and (best is None or r < best):
                        best, at = r, k
                if best is None:
                    break
                syms[at:at + 2] = [syms[at] + syms[at + 1]]
            ids.extend(self.vocab[s] for s in syms)
            syms.clear()

        for ch in chunk:
            if ch in self.vocab:
                syms.append(ch)
            else:
                flush()
                ids.extend(self.vocab[BYTE_TOKENS[b]] for b in ch.encode("utf-8"))
        flush()
        self._cache[chunk] = ids
        return ids

    def encode(self, text: str, bos: bool = True) -> List[int]:
        ids = [self.bos_id] if bos else []
        for c in chunks(text):
            ids.extend(self._encode_chunk(c))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        out = bytearray()
        for i in ids:
            tok = self.id_to_token.get(int(i), UNK)
            if tok in SPECIALS:
                continue
            if tok.startswith("<0x") and len(tok) == 6:
                out.append(int(tok[3:5], 16))
            else:
                out.extend(tok.replace(SPACE, " ").encode("utf-8"))
        text = out.decode("utf-8", errors="replace")
        return text[1:] if text.startswith(" ") else text

    # ---- files ----------------------------------------------------------------------------
    def to_json(self) -> dict:
        added = [{"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for t in SPECIALS]
        return {
            "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": SPACE},
                {"type": "Replace", "pattern": {"String": " "}, "content": SPACE}]},
            "pre_tokenizer": None,
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": BOS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": BOS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": BOS, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {BOS: {"id": BOS, "ids": [self.bos_id], "tokens": [BOS]}}},
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
            "model": {"type": "BPE", "dropout": None, "unk_token": UNK, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                      "vocab": self.vocab, "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    def tokenizer_config(self) -> dict:
        return {
            "add_bos_token": True, "add_eos_token": False, "bos_token": BOS, "eos_token": EOS, "unk_token": UNK,
            "pad_token": UNK, "clean_up_tokenization_spaces": False, "legacy": False,
            "model_max_length": 512, "tokenizer_class": "LlamaTokenizer", "chat_template": CHAT_TEMPLATE,
            "added_tokens_decoder": {str(self.vocab[t]): {"content": t, "lstrip": False, "normalized": False,
                                                          "rstrip": False, "single_word": False, "special": True}
                                     for t in SPECIALS},
        }

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, ensure_ascii=False)

    @classmethod
    def load(cls, path: str) -> "BpeTokenizer":
        with open(path, encoding="utf-8") as f:
            model = json.load(f)["model"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        return cls(dict(model["vocab"]), merges)
