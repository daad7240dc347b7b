#!/usr/bin/python3
"""Write a random-weight (seeded, deterministic) Llama-architecture decoder in the
transformers.js / Optimum folder layout:

    OUT/config.json, generation_config.json, tokenizer.json, tokenizer_config.json,
    special_tokens_map.json, onnx/model.onnx [, onnx/model_int8.onnx]

The ONNX graph has the Optimum decoder-with-past signature:
    inputs  input_ids [b, s] i64, attention_mask [b, past+s] i64, position_ids [b, s] i64,
            past_key_values.N.key|value [b, kv_heads, past, head_dim] f32
    outputs logits [b, s, vocab] f32, present.N.key|value [b, kv_heads, past+s, head_dim] f32

The tokenizer is a SentencePiece-style byte-fallback BPE (<unk>, <s>, </s>, <0x00>..<0xFF>,
printable ASCII, then merges learned on the TinyStories sample in shared/data, or on a
built-in word list when that file is missing).

`--int8` also writes onnx/model_int8.onnx: every MatMul weight initializer becomes int8
(symmetric, per output channel) + DequantizeLinear(axis=1), which onnxruntime fuses into
MatMulNBits on CPU.

`--verify` runs the checks in Node with onnxruntime-node (from the repository's
node_modules): torch vs ONNX logits, KV-cache greedy decode vs full recompute, int8 vs fp32
top-1 agreement; `--bench N` also times N greedy tokens (ms/token) for fp32 and int8.

Only needs Debian's python3-torch (1.13), python3-onnx (1.12) and python3-numpy.
"""
import argparse
import hashlib
import heapq
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CORPUS = os.path.join(os.path.dirname(REPO_ROOT), "shared", "data", "tinystories",
                              "tinystories_sample_2MiB.txt")
SP = "\u2581"  # ▁

PRESETS = {
    # ~1.9M parameters: fast to build and to run (tests, CI, e2e).
    "tiny": dict(hidden_size=192, intermediate_size=512, num_hidden_layers=4,
                 num_attention_heads=6, num_key_value_heads=2, vocab_size=2048,
                 max_position_embeddings=512, tie_word_embeddings=True, init_gain=(1.0, 1.5, 3.0)),
    # ~31M parameters in few, wide layers: per-token cost is dominated by reading the weights,
    # not by the fixed cost of each of the graph's small operators.
    "bench": dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=2,
                  num_attention_heads=16, num_key_value_heads=4, vocab_size=4096,
                  max_position_embeddings=2048, tie_word_embeddings=False, init_gain=(1.0, 1.0, 2.0)),
    # The shapes of real small models users run (random weights): decode at these sizes is bound by
    # memory bandwidth, which `pareto bench text --model-shape` measures against.
    "smollm2-135m": dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                         num_attention_heads=9, num_key_value_heads=3, vocab_size=49152,
                         max_position_embeddings=8192, tie_word_embeddings=True, init_gain=(1.0, 1.0, 2.0)),
    # Qwen2.5-0.5B's shape on the Llama layer (no q/k/v biases): its fp32 graph is past protobuf's 2 GB,
    # so it is written with its weights in onnx/model.onnx_data, as Optimum does.
    "qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                         num_attention_heads=14, num_key_value_heads=2, vocab_size=151936,
                         max_position_embeddings=32768, tie_word_embeddings=True, init_gain=(1.0, 1.0, 2.0),
                         rope_theta=1e6),
}

# Used only when the TinyStories sample is not there, so the script still runs alone.
FALLBACK_TEXT = (
    "Once upon a time, there was a little girl named Lily. She liked to play in the park "
    "with her friend Tom. One day, they saw a big red ball under a tree. \"Look!\" said Tom. "
    "\"Can we play with it?\" Lily was happy and they played all day. The sun was warm and "
    "the sky was blue. Then her mom called, and they went home to eat. They were very "
    "happy because they had a fun day together. The end."
)


# --------------------------------------------------------------------------- tokenizer

def _corpus_words(text):
    """SentencePiece-style words: '▁' + a run of non-space characters."""
    text = text.replace("<|endoftext|>", "\n")
    counts = Counter()
    for line in text.split("\n"):
        for w in line.split(" "):
            if w:
                counts[SP + w] += 1
    return counts


def learn_bpe(word_counts, alphabet, n_merges):
    """Deterministic byte-pair learning with incremental pair counts.
    Ties are broken by the pair's string order. Words are kept as symbol lists over
    `alphabet`; characters outside it split the word (they go to byte fallback)."""
    words = []  # [symbols list, count]
    for w, c in sorted(word_counts.items()):
        for part in re.split("([^%s]+)" % re.escape("".join(sorted(alphabet))), w):
            if part and all(ch in alphabet for ch in part) and len(part) > 1:
                words.append([list(part), c])
    pair_counts = defaultdict(int)
    where = defaultdict(set)  # pair -> word indices
    for i, (syms, c) in enumerate(words):
        for a, b in zip(syms, syms[1:]):
            pair_counts[(a, b)] += c
            where[(a, b)].add(i)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(merges) < n_merges and heap:
        negc, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negc:
            continue  # stale entry
        if -negc < 2:
            break
        a, b = pair
        merged = a + b
        merges.append(pair)
        touched = set()
        for i in sorted(where.pop(pair, ())):
            syms, c = words[i]
            for x, y in zip(syms, syms[1:]):
                pair_counts[(x, y)] -= c
                touched.add((x, y))
            out, j = [], 0
            while j < len(syms):
                if j + 1 < len(syms) and syms[j] == a and syms[j + 1] == b:
                    out.append(merged)
                    j += 2
                else:
                    out.append(syms[j])
                    j += 1
            words[i][0] = out
            for x, y in zip(out, out[1:]):
                pair_counts[(x, y)] += c
                where[(x, y)].add(i)
                touched.add((x, y))
        pair_counts.pop(pair, None)
        touched.discard(pair)
        for p in touched:  # highest count first, ties by the pair's string order
            cnt = pair_counts.get(p, 0)
            if cnt > 0:
                heapq.heappush(heap, (-cnt, p))
            else:
                pair_counts.pop(p, None)
    return merges


def build_tokenizer(vocab_size, corpus_path):
    specials = ["<unk>", "<s>", "</s>"]
    byte_tokens = ["<0x%02X>" % i for i in range(256)]
    alphabet = [SP] + [chr(c) for c in range(0x21, 0x7F)]  # ▁ + printable ASCII
    vocab = specials + byte_tokens + alphabet
    n_merges = vocab_size - len(vocab)
    if n_merges < 0:
        raise SystemExit("vocab_size %d is smaller than the base vocabulary %d" % (vocab_size, len(vocab)))
    if corpus_path and os.path.exists(corpus_path):
        with open(corpus_path, encoding="utf-8") as f:
            text = f.read()
        source = os.path.basename(corpus_path)
    else:
        text = FALLBACK_TEXT
        source = "built-in word list"
    merges = learn_bpe(_corpus_words(text), set(alphabet), n_merges)
    seen = set(vocab)
    kept = []
    for a, b in merges:
        if a + b not in seen:
            seen.add(a + b)
            vocab.append(a + b)
            kept.append((a, b))
    n_pad = vocab_size - len(vocab)
    vocab += ["<extra_%d>" % i for i in range(n_pad)]
    assert len(vocab) == vocab_size and len(set(vocab)) == vocab_size

    def added(i, content):
        return {"id": i, "content": content, "single_word": False, "lstrip": False,
                "rstrip": False, "normalized": False, "special": True}

    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added(i, s) for i, s in enumerate(specials)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": SP},
            {"type": "Replace", "pattern": {"String": " "}, "content": SP},
        ]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SP}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0},
        ]},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": "<unk>",
            "continuing_subword_prefix": None, "end_of_word_suffix": None,
            "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
            "vocab": {t: i for i, t in enumerate(vocab)},
            "merges": ["%s %s" % (a, b) for a, b in kept],
        },
    }

    def special(content):
        return {"content": content, "lstrip": False, "normalized": False,
                "rstrip": False, "single_word": False}

    tok_config = {
        "add_bos_token": True,
        "add_eos_token": False,
        "added_tokens_decoder": {str(i): {k: v for k, v in added(i, s).items() if k != "id"}
                                 for i, s in enumerate(specials)},
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<unk>",
        "clean_up_tokenization_spaces": False,
        "legacy": False,
        "model_max_length": None,  # filled by the caller
        "sp_model_kwargs": {},
        "tokenizer_class": "LlamaTokenizer",
        "use_default_system_prompt": False,
    }
    special_map = {"bos_token": special("<s>"), "eos_token": special("</s>"),
                   "unk_token": special("<unk>"), "pad_token": special("<unk>")}
    info = dict(source=source, merges=len(kept), padded=n_pad)
    return tok, tok_config, special_map, info


# --------------------------------------------------------------------------- model

class RMSNorm(nn.Module):
    """Llama's RMS norm; Gemma's (`offset` 1) scales by 1 + weight, which the export folds into one constant."""

    def __init__(self, dim, eps, offset=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps
        self.offset = offset

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        scale = self.weight + self.offset if self.offset else self.weight  # Llama's graph stays as it was
        return scale * (x / torch.sqrt(var + self.eps))


def rotate_half_unsigned(x, half):
    # HF's rotate_half is cat(-x2, x1); the sign lives in `sin` (see forward), which saves a
    # Neg per tensor. `half` is a Python int so the slices export with constant bounds.
    return torch.cat((x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_heads = c["num_attention_heads"]
        self.n_kv = c["num_key_value_heads"]
        self.head_dim = c["hidden_size"] // self.n_heads
        h = c["hidden_size"]
        self.q_proj = nn.Linear(h, self.n_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(h, self.n_kv * self.head_dim, bias=False)
        self.v_proj = nn.Linear(h, self.n_kv * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.n_heads * self.head_dim, h, bias=False)

    def forward(self, x, dims, cos, sin, allowed, past_k, past_v):
        # dims = (batch, seq, total) taken once from the graph inputs: every reshape of every
        # layer then shares one shape computation instead of a Shape/Gather/Concat chain each
        b, s, t = dims
        hd, half = self.head_dim, self.head_dim // 2
        q = self.q_proj(x).view(b, s, self.n_heads, hd).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.n_kv, hd).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.n_kv, hd).transpose(1, 2)
        q = q * cos + rotate_half_unsigned(q, half) * sin
        k = k * cos + rotate_half_unsigned(k, half) * sin
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        present_k, present_v = k, v
        rep = self.n_heads // self.n_kv
        if rep > 1:  # grouped-query attention: expand + flatten(1, 2) (no repeat_interleave)
            k = k[:, :, None, :, :].expand(-1, -1, rep, -1, -1).reshape(b, self.n_heads, t, hd)
            v = v[:, :, None, :, :].expand(-1, -1, rep, -1, -1).reshape(b, self.n_heads, t, hd)
        scores = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(hd))
        scores = scores.masked_fill(~allowed, torch.finfo(torch.float32).min)
        probs = torch.softmax(scores, dim=-1)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, self.n_heads * hd)
        return self.o_proj(out), present_k, present_v


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(h, i, bias=False)
        self.up_proj = nn.Linear(h, i, bias=False)
        self.down_proj = nn.Linear(i, h, bias=False)
        self.gemma = c["family"] == "gemma"

    def forward(self, x):
        gate = self.gate_proj(x)
        activated = F.gelu(gate, approximate="tanh") if self.gemma else F.silu(gate)
        return self.down_proj(activated * self.up_proj(x))


def norm_offset(c):
    return 1.0 if c["family"] == "gemma" else 0.0


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"], norm_offset(c))
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"], norm_offset(c))
        self.mlp = MLP(c)

    def forward(self, x, dims, cos, sin, allowed, pk, pv):
        a, k, v = self.self_attn(self.input_layernorm(x), dims, cos, sin, allowed, pk, pv)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, k, v


class LlamaForCausalLM(nn.Module):
    """HF-Llama-equivalent decoder (same parameter names and RoPE convention) whose
    forward takes/returns the flat Optimum KV-cache tensors."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"], norm_offset(c))
        self.lm_head = None if c["tie_word_embeddings"] else nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        hd = c["hidden_size"] // c["num_attention_heads"]
        inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        b, s = input_ids.shape[0], input_ids.shape[1]
        total = attention_mask.shape[1]
        x = self.embed_tokens(input_ids)
        if self.c["family"] == "gemma":  # Gemma scales its embeddings by √hidden
            x = x * torch.tensor(self.c["hidden_size"] ** 0.5, dtype=x.dtype)
        # RoPE from position_ids: [b, 1, s, head_dim]
        freqs = position_ids.to(torch.float32)[:, :, None] * self.inv_freq[None, None, :]
        cos = torch.cat([freqs.cos(), freqs.cos()], dim=-1)[:, None, :, :]
        sin_h = freqs.sin()
        sin = torch.cat([-sin_h, sin_h], dim=-1)[:, None, :, :]  # signed: see rotate_half_unsigned
        # query i sits at slot (total - s + i); it sees key slot j <= that slot whose mask is 1
        q_pos = torch.arange(s, device=input_ids.device) + (total - s)
        k_pos = torch.arange(total, device=input_ids.device)
        causal = k_pos[None, :] <= q_pos[:, None]  # [s, total]
        allowed = causal[None, None, :, :] & attention_mask[:, None, None, :].to(torch.bool)
        presents = []
        for i, layer in enumerate(self.layers):
            x, k, v = layer(x, (b, s, total), cos, sin, allowed, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        x = self.norm(x)
        w = self.embed_tokens.weight if self.lm_head is None else self.lm_head.weight
        logits = F.linear(x, w)
        return (logits, *presents)


def init_weights(model, c, seed):
    """Random weights scaled so that a random decoder is a useful test subject: with the usual
    0.02 init it just echoes its input token; here the output depends on the context, greedy
    text does not collapse into one repeated token, the top-1 margin is large compared to
    float noise (so cache-vs-recompute is a sharp check) and attention stays soft enough that
    int8 weights keep most top-1 choices. Embeddings ~ N(0, 1); nn.Linear weights
    ~ N(0, gain^2 / fan_in) with gain (q/k, v/o, mlp) = c["init_gain"]; untied lm_head
    ~ N(0, 4 / hidden); norm scales ~ 1 + N(0, 0.01) (Gemma's weights are the scales less 1). The output rows of <unk>, <s>, </s>,
    control bytes and bytes >= 0x7F are scaled by 0.05: generated text never stops early
    (benchmarks get the length they ask for), never shows <unk> and is valid UTF-8."""
    g = torch.Generator().manual_seed(seed)
    h = c["hidden_size"]
    g_qk, g_vo, g_mlp = c["init_gain"]
    with torch.no_grad():
        for name, p in model.named_parameters():  # fixed order -> deterministic
            if name.endswith("layernorm.weight") or name == "norm.weight":
                p.copy_(1.0 - norm_offset(c) + 0.1 * torch.randn(p.shape, generator=g))
            elif name == "embed_tokens.weight":
                p.copy_(torch.randn(p.shape, generator=g))
            elif name == "lm_head.weight":
                p.copy_(torch.randn(p.shape, generator=g) * (2.0 / math.sqrt(h)))
            else:  # nn.Linear weight [out, in]
                gain = g_qk if (".q_proj" in name or ".k_proj" in name) else \
                    g_vo if (".v_proj" in name or ".o_proj" in name) else g_mlp
                p.copy_(torch.randn(p.shape, generator=g) * (gain / math.sqrt(p.shape[1])))
        out_w = model.embed_tokens.weight if model.lm_head is None else model.lm_head.weight
        # specials, control bytes (but \t \n) and the bytes >= 0x80: these never win, so
        # generated text is valid UTF-8 with no stray control characters
        quiet = [0, 1, 2] + [3 + b for b in range(256) if b < 0x20 and b not in (0x09, 0x0A) or b >= 0x7F]
        out_w[quiet] *= 0.05


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def empty_past(c, batch, length=0, gen=None):
    hd = c["hidden_size"] // c["num_attention_heads"]
    shape = (batch, c["num_key_value_heads"], length, hd)
    out = []
    for _ in range(2 * c["num_hidden_layers"]):
        out.append(torch.randn(shape, generator=gen) if gen is not None else torch.zeros(shape))
    return out


def export_onnx(model, c, path):
    n = c["num_hidden_layers"]
    g = torch.Generator().manual_seed(1234)
    b, past_len, s = 2, 3, 2  # past > 0 and seq > 1 so no shape is baked in
    ids = torch.randint(3, c["vocab_size"], (b, s), generator=g)
    mask = torch.ones(b, past_len + s, dtype=torch.long)
    pos = torch.arange(past_len, past_len + s)[None, :].expand(b, s).contiguous()
    past = empty_past(c, b, past_len, g)
    in_names = ["input_ids", "attention_mask", "position_ids"]
    out_names = ["logits"]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for i in range(n):
        for kv in ("key", "value"):
            nm = "past_key_values.%d.%s" % (i, kv)
            in_names.append(nm)
            axes[nm] = {0: "batch_size", 2: "past_sequence_length"}
            nm = "present.%d.%s" % (i, kv)
            out_names.append(nm)
            axes[nm] = {0: "batch_size", 2: "total_sequence_length"}
    # torch writes a graph past 2 GB as one file per weight; it is exported aside and saved as one data file
    with tempfile.TemporaryDirectory(prefix="synllama-export-", dir=os.path.dirname(path)) as staging:
        staged = os.path.join(staging, "model.onnx")
        with torch.no_grad():
            torch.onnx.export(model, (ids, mask, pos, *past), staged, input_names=in_names,
                              output_names=out_names, dynamic_axes=axes, opset_version=17,
                              do_constant_folding=True)
        import onnx
        save_model(onnx.load(staged), path)


PROTOBUF_LIMIT = 2 ** 31 - 1


def save_model(m, path):
    """Saves `m` as one file, or, past protobuf's 2 GB, with every weight in PATH_data (Optimum's
    model.onnx_data), which onnxruntime and transformers.js read beside the graph."""
    import onnx
    weights = sum(len(t.raw_data) for t in m.graph.initializer)
    data = path + "_data"
    if os.path.exists(data):
        os.remove(data)
    if weights < PROTOBUF_LIMIT - 64 * 1024 * 1024:
        onnx.save(m, path)
    else:
        onnx.save(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                  location=os.path.basename(data), size_threshold=1024)


# --------------------------------------------------------------------------- int8

def replace_nodes(gr, new_nodes, removed):
    """Puts `new_nodes` in the graph's place and drops the initializers named in `removed`."""
    kept = [t for t in gr.initializer if t.name not in removed]
    del gr.initializer[:]
    gr.initializer.extend(kept)
    del gr.node[:]
    gr.node.extend(new_nodes)


def quantize_int8(src, dst):
    """Rewrite every MatMul whose B input is a 2-D float initializer: store it as int8 with a
    per-output-channel scale (symmetric, zero point 0) and put DequantizeLinear(axis=1) in
    front of the MatMul. Everything else stays fp32."""
    import onnx
    from onnx import helper, numpy_helper, TensorProto

    m = onnx.load(src)
    gr = m.graph
    inits = {t.name: t for t in gr.initializer}
    uses = Counter(i for n in gr.node for i in n.input)
    quantized = {}  # float initializer -> (int8, scale, zero point) initializer names
    new_nodes, removed, n_q = [], set(), 0
    for node in gr.node:
        if node.op_type == "MatMul" and node.input[1] in inits:
            t = inits[node.input[1]]
            if t.data_type == TensorProto.FLOAT and len(t.dims) == 2:
                base = t.name
                if base not in quantized:
                    w = numpy_helper.to_array(t).astype(np.float32)  # [K (in), N (out)]
                    scale = (np.abs(w).max(axis=0) / 127.0).astype(np.float32)
                    scale[scale == 0] = 1.0
                    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
                    names = (base + "_int8", base + "_scale", base + "_zero_point")
                    gr.initializer.extend([
                        numpy_helper.from_array(q, names[0]),
                        numpy_helper.from_array(scale, names[1]),
                        numpy_helper.from_array(np.zeros(w.shape[1], np.int8), names[2]),
                    ])
                    quantized[base] = names
                # one DequantizeLinear per MatMul: ORT only fuses a DQ with a single consumer
                dn = "%s_dequant_%d" % (base, n_q)
                new_nodes.append(helper.make_node("DequantizeLinear", list(quantized[base]), [dn],
                                                  name=dn, axis=1))
                uses[base] -= 1
                if uses[base] == 0:
                    removed.add(base)
                node.input[1] = dn
                n_q += 1
        new_nodes.append(node)
    replace_nodes(gr, new_nodes, removed)
    # drop stale value_info for removed initializers
    vi = [v for v in gr.value_info if v.name not in removed]
    del gr.value_info[:]
    gr.value_info.extend(vi)
    onnx.checker.check_model(m)
    save_model(m, dst)
    return n_q


# --------------------------------------------------------------------------- int4

INT4_BLOCK = 32


def quantize_int4(src, dst, accuracy_level):
    """Rewrite every MatMul whose B input is a 2-D float initializer [K, N] as onnxruntime's
    MatMulNBits: 4-bit weights in blocks of 32 along K, symmetric (the default zero point 8),
    one fp32 scale per block. `accuracy_level` 4 computes with int8 activations; 0 (the
    default) dequantizes to fp32 first."""
    import onnx
    from onnx import helper, numpy_helper, TensorProto

    m = onnx.load(src)
    gr = m.graph
    inits = {t.name: t for t in gr.initializer}
    uses = Counter(i for n in gr.node for i in n.input)
    packed = {}
    removed, new_nodes, n_q = set(), [], 0
    for node in gr.node:
        t = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) > 1 else None
        if t is not None and t.data_type == TensorProto.FLOAT and len(t.dims) == 2 and t.dims[0] % INT4_BLOCK == 0:
            k, n = t.dims
            if t.name not in packed:
                w = numpy_helper.to_array(t).astype(np.float32).T.reshape(n, k // INT4_BLOCK, INT4_BLOCK)
                scale = np.abs(w).max(axis=2) / 7.0
                scale[scale == 0] = 1.0
                q = (np.clip(np.rint(w / scale[:, :, None]), -8, 7) + 8).astype(np.uint8)
                blob = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
                names = (t.name + "_q4", t.name + "_q4_scales")
                gr.initializer.extend([numpy_helper.from_array(blob, names[0]),
                                       numpy_helper.from_array(scale.astype(np.float32).reshape(-1), names[1])])
                packed[t.name] = names
            uses[t.name] -= 1
            if uses[t.name] == 0:
                removed.add(t.name)
            new_nodes.append(helper.make_node("MatMulNBits", [node.input[0], *packed[t.name]], list(node.output),
                                              name=(node.name or "matmul_%d" % n_q) + "_q4", domain="com.microsoft",
                                              K=k, N=n, bits=4, block_size=INT4_BLOCK, accuracy_level=accuracy_level))
            n_q += 1
        else:
            new_nodes.append(node)
    replace_nodes(gr, new_nodes, removed)
    if not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    save_model(m, dst)
    return n_q


# --------------------------------------------------------------------------- verify (Node)

VERIFY_JS = r"""
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import fs from 'node:fs';
import path from 'node:path';

const [dir, refDir, benchTokens] = [process.env.SYN_DIR, process.env.SYN_REF, Number(process.env.SYN_BENCH || 0)];
const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
const L = cfg.num_hidden_layers, KV = cfg.num_key_value_heads, HD = cfg.hidden_size / cfg.num_attention_heads, V = cfg.vocab_size;
const report = {};
const opts = { graphOptimizationLevel: 'all', executionProviders: ['cpu'] };
const i64 = (a, dims) => new ort.Tensor('int64', BigInt64Array.from(a.map(BigInt)), dims);

// tokenizer round trip
const tok = new Tokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')),
                          JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')));
const samples = ['Once upon a time', 'Once upon a time, there was a little girl named Lily.\nShe said: "Hi!" 123 café ü 🙂'];
report.tokenizer = samples.map((s) => {
  const enc = tok.encode(s);
  const dec = tok.decode(enc.ids, { skip_special_tokens: true });
  return { text: s, ids: enc.ids, tokens: enc.tokens, decoded: dec, roundTrip: dec === s };
});

function emptyPast(batch) {
  const f = {};
  for (let i = 0; i < L; i++) for (const kv of ['key', 'value'])
    f[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [batch, KV, 0, HD]);
  return f;
}
const argmaxRow = (data, row) => { let b = 0, bv = -Infinity; for (let j = 0; j < V; j++) { const v = data[row * V + j]; if (v > bv) { bv = v; b = j; } } return b; };

async function greedyCached(sess, prompt, n) {
  const ids = [...prompt];
  let feeds = { input_ids: i64(prompt, [1, prompt.length]), attention_mask: i64(prompt.map(() => 1), [1, prompt.length]),
                position_ids: i64(prompt.map((_, i) => i), [1, prompt.length]), ...emptyPast(1) };
  const t0 = performance.now(); let tFirst = 0;
  for (let step = 0; step < n; step++) {
    const out = await sess.run(feeds);
    const s = out.logits.dims[1];
    const next = argmaxRow(out.logits.data, s - 1);
    if (step === 0) tFirst = performance.now();
    ids.push(next);
    const total = ids.length;
    feeds = { input_ids: i64([next], [1, 1]), attention_mask: i64(ids.map(() => 1), [1, total]), position_ids: i64([total - 1], [1, 1]) };
    for (let i = 0; i < L; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`];
  }
  const t1 = performance.now();
  return { ids, msFirst: tFirst - t0, msPerToken: (t1 - tFirst) / Math.max(1, n - 1) };
}
async function greedyRecompute(sess, prompt, n) {
  const ids = [...prompt];
  for (let step = 0; step < n; step++) {
    const out = await sess.run({ input_ids: i64(ids, [1, ids.length]), attention_mask: i64(ids.map(() => 1), [1, ids.length]),
                                 position_ids: i64(ids.map((_, i) => i), [1, ids.length]), ...emptyPast(1) });
    ids.push(argmaxRow(out.logits.data, ids.length - 1));
  }
  return ids;
}

const fp32 = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model.onnx'), opts);
const prompt = report.tokenizer[0].ids;

// 1. torch vs onnx (batch 2, past 2, seq 4, left padding in row 1)
const ref = JSON.parse(fs.readFileSync(path.join(refDir, 'ref.json'), 'utf8'));
const feeds = {};
for (const [name, spec] of Object.entries(ref.inputs)) {
  const raw = fs.readFileSync(path.join(refDir, spec.file));
  feeds[name] = spec.dtype === 'int64'
    ? new ort.Tensor('int64', new BigInt64Array(raw.buffer, raw.byteOffset, raw.length / 8), spec.dims)
    : new ort.Tensor('float32', new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)), spec.dims);
}
const outs = await fp32.run(feeds);
const diff = {};
for (const [name, spec] of Object.entries(ref.outputs)) {
  const raw = fs.readFileSync(path.join(refDir, spec.file));
  const want = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const got = outs[name].data; let m = 0;
  if (got.length !== want.length) throw new Error(`${name}: length ${got.length} vs ${want.length}`);
  for (let j = 0; j < got.length; j++) m = Math.max(m, Math.abs(got[j] - want[j]));
  diff[name] = m;
}
report.torchVsOnnx = { maxAbsDiffLogits: diff.logits, maxAbsDiffAllOutputs: Math.max(...Object.values(diff)),
                       logitsStd: ref.logits_std, logitsShape: outs.logits.dims };

// 2. cache vs recompute, 20 tokens
const cached = await greedyCached(fp32, prompt, 20);
const recomputed = await greedyRecompute(fp32, prompt, 20);
report.cacheVsRecompute = { equal: JSON.stringify(cached.ids) === JSON.stringify(recomputed), cached: cached.ids,
                            recomputed, text: tok.decode(cached.ids, { skip_special_tokens: true }) };

// 3. int8 vs fp32 top-1 on 100 teacher-forced positions (the fp32 greedy continuation)
const int8Path = path.join(dir, 'onnx', 'model_int8.onnx');
let int8 = null;
if (fs.existsSync(int8Path)) {
  const optPath = path.join(refDir, 'model_int8.optimized.onnx');
  int8 = await ort.InferenceSession.create(int8Path, { ...opts, optimizedModelFilePath: optPath });
  report.int8OptimizedGraphFile = optPath;
  const seq = (await greedyCached(fp32, prompt, 100)).ids.slice(0, 100);
  const run = async (s) => s.run({ input_ids: i64(seq, [1, seq.length]), attention_mask: i64(seq.map(() => 1), [1, seq.length]),
                                   position_ids: i64(seq.map((_, i) => i), [1, seq.length]), ...emptyPast(1) });
  const a = (await run(fp32)).logits.data, b = (await run(int8)).logits.data;
  let agree = 0, maxd = 0;
  for (let r = 0; r < seq.length; r++) if (argmaxRow(a, r) === argmaxRow(b, r)) agree++;
  for (let j = 0; j < a.length; j++) maxd = Math.max(maxd, Math.abs(a[j] - b[j]));
  const c8 = await greedyCached(int8, prompt, 20), r8 = await greedyRecompute(int8, prompt, 20);
  report.int8 = { top1Agreement: agree / seq.length, positions: seq.length, maxAbsLogitDiff: maxd,
                  cacheVsRecomputeEqual: JSON.stringify(c8.ids) === JSON.stringify(r8) };
}

// 4. ms/token: greedy, KV cache, runs interleaved (fp32, int8, fp32, ...) so a busy machine
// hurts both alike; wall ms and process CPU ms per token (min and median of 5 runs), with the
// default thread pool and with intraOpNumThreads 1.
if (benchTokens > 0) {
  const bench = { tokens: benchTokens };
  for (const [label, extra] of [['defaultThreads', {}], ['oneThread', { intraOpNumThreads: 1 }]]) {
    const sessions = [['fp32', await ort.InferenceSession.create(path.join(dir, 'onnx', 'model.onnx'), { ...opts, ...extra })]];
    if (int8) sessions.push(['int8', await ort.InferenceSession.create(int8Path, { ...opts, ...extra })]);
    const runs = Object.fromEntries(sessions.map(([n]) => [n, { wall: [], cpu: [] }]));
    for (const [, sess] of sessions) await greedyCached(sess, prompt, 8);  // warm up
    for (let r = 0; r < 5; r++) for (const [name, sess] of sessions) {
      const c0 = process.cpuUsage();
      const g = await greedyCached(sess, prompt, benchTokens);
      const c = process.cpuUsage(c0);
      runs[name].wall.push(+g.msPerToken.toFixed(2));
      runs[name].cpu.push(+((c.user + c.system) / 1000 / benchTokens).toFixed(2));
    }
    const stat = (v) => { const x = [...v].sort((p, q) => p - q); return { min: x[0], median: x[2], runs: v }; };
    const res = Object.fromEntries(Object.entries(runs).map(([n, v]) => [n, { msPerToken: stat(v.wall), cpuMsPerToken: stat(v.cpu) }]));
    if (res.int8) res.speedup = { min: +(res.fp32.msPerToken.min / res.int8.msPerToken.min).toFixed(2),
                                  median: +(res.fp32.msPerToken.median / res.int8.msPerToken.median).toFixed(2) };
    bench[label] = res;
  }
  report.bench = bench;
}
console.log(JSON.stringify(report));
"""


def write_reference(model, c, ref_dir, seed):
    """Inputs (batch 2, past 2, seq 4; row 1 left-padded) and torch outputs for the check."""
    g = torch.Generator().manual_seed(seed + 7)
    b, past_len, s = 2, 2, 4
    total = past_len + s
    ids = torch.randint(3, c["vocab_size"], (b, s), generator=g)
    mask = torch.ones(b, total, dtype=torch.long)
    mask[1, :3] = 0  # row 1 left-padded over its past and its first new position
    pos = (mask.cumsum(-1) - 1).clamp(min=0)[:, past_len:]
    past = empty_past(c, b, past_len, g)
    with torch.no_grad():
        outs = model(ids, mask, pos, *past)
    names = ["logits"] + ["present.%d.%s" % (i, kv) for i in range(c["num_hidden_layers"]) for kv in ("key", "value")]
    ref = {"inputs": {}, "outputs": {}, "logits_std": float(outs[0].std())}
    in_vals = [("input_ids", ids), ("attention_mask", mask), ("position_ids", pos)]
    in_vals += [("past_key_values.%d.%s" % (i, kv), past[2 * i + j])
                for i in range(c["num_hidden_layers"]) for j, kv in enumerate(("key", "value"))]
    for k, (name, t) in enumerate(in_vals):
        arr = t.numpy().astype(np.int64 if t.dtype == torch.long else np.float32)
        fn = "in%d.bin" % k
        arr.tofile(os.path.join(ref_dir, fn))
        ref["inputs"][name] = {"file": fn, "dtype": "int64" if arr.dtype == np.int64 else "float32",
                               "dims": list(arr.shape)}
    for k, (name, t) in enumerate(zip(names, outs)):
        fn = "out%d.bin" % k
        t.numpy().astype(np.float32).tofile(os.path.join(ref_dir, fn))
        ref["outputs"][name] = {"file": fn, "dims": list(t.shape)}
    with open(os.path.join(ref_dir, "ref.json"), "w") as f:
        json.dump(ref, f)


def run_verify(model, c, out_dir, seed, bench_tokens, node_root, keep_ref):
    ref_dir = tempfile.mkdtemp(prefix="synllama-verify-")
    try:
        write_reference(model, c, ref_dir, seed)
        env = dict(os.environ, SYN_DIR=os.path.abspath(out_dir), SYN_REF=ref_dir, SYN_BENCH=str(bench_tokens))
        p = subprocess.run(["node", "--input-type=module"], input=VERIFY_JS, text=True, cwd=node_root,
                           env=env, capture_output=True)
        if p.returncode != 0:
            sys.stderr.write(p.stderr)
            raise SystemExit("verification script failed (node exit %d)" % p.returncode)
        rep = json.loads(p.stdout.strip().splitlines()[-1])
        if "int8OptimizedGraphFile" in rep:
            import onnx
            og = onnx.load(rep["int8OptimizedGraphFile"], load_external_data=False)
            rep["int8OptimizedOps"] = dict(Counter(n.op_type for n in og.graph.node
                                                   if n.op_type in ("MatMulNBits", "MatMul", "DequantizeLinear",
                                                                    "MatMulIntegerToFloat", "MatMulInteger",
                                                                    "FusedMatMul")))
            del rep["int8OptimizedGraphFile"]
        return rep
    finally:
        if keep_ref:
            print("verification files kept in", ref_dir)
        else:
            shutil.rmtree(ref_dir, ignore_errors=True)


# --------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output model folder")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--family", choices=["llama", "gemma"], default="llama",
                    help="gemma: Gemma's layer (GELU-tanh gate, norm scales of 1 + weight, embeddings × √hidden)")
    ap.add_argument("--int8", action="store_true", help="also write onnx/model_int8.onnx")
    ap.add_argument("--int4", action="store_true",
                    help="also write onnx/model_q4.onnx (MatMulNBits, block 32, accuracy level 4) and "
                         "onnx/model_q4_accuracy0.onnx (the default accuracy level)")
    ap.add_argument("--corpus", default=DEFAULT_CORPUS, help="text the BPE merges are learned on")
    ap.add_argument("--verify", action="store_true", help="check the export with onnxruntime-node")
    ap.add_argument("--bench", type=int, default=0, metavar="N",
                    help="with --verify: time N greedy tokens (KV cache) for fp32 and int8")
    ap.add_argument("--node-root", default=REPO_ROOT, help="folder whose node_modules has onnxruntime-node")
    ap.add_argument("--keep-verify-files", action="store_true")
    args = ap.parse_args()

    t0 = time.time()
    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    c = {"rope_theta": 10000.0, "rms_norm_eps": 1e-6, "bos_token_id": 1, "eos_token_id": 2, "family": args.family,
         **PRESETS[args.preset]}
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)

    tok, tok_config, special_map, tinfo = build_tokenizer(c["vocab_size"], args.corpus)
    tok_config["model_max_length"] = c["max_position_embeddings"]
    t_tok = time.time() - t0

    config = {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "pad_token_id": 0,
        "head_dim": c["hidden_size"] // c["num_attention_heads"],
        "hidden_act": "silu",
        "hidden_size": c["hidden_size"],
        "initializer_range": 0.02,
        "intermediate_size": c["intermediate_size"],
        "max_position_embeddings": c["max_position_embeddings"],
        "mlp_bias": False,
        "model_type": "llama",
        "num_attention_heads": c["num_attention_heads"],
        "num_hidden_layers": c["num_hidden_layers"],
        "num_key_value_heads": c["num_key_value_heads"],
        "pretraining_tp": 1,
        "rms_norm_eps": c["rms_norm_eps"],
        "rope_scaling": None,
        "rope_theta": c["rope_theta"],
        "tie_word_embeddings": c["tie_word_embeddings"],
        "torch_dtype": "float32",
        "transformers_version": "4.41.2",
        "use_cache": True,
        "vocab_size": c["vocab_size"],
    }
    if args.family == "gemma":  # as Google's first Gemma configs say it, with the activation transformers uses
        config.update({"architectures": ["GemmaForCausalLM"], "model_type": "gemma", "hidden_act": "gelu",
                       "hidden_activation": "gelu_pytorch_tanh"})
    gen_config = {"_from_model_config": True, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0,
                  "transformers_version": "4.41.2"}

    model = LlamaForCausalLM(c).eval()
    init_weights(model, c, args.seed)
    n_params = count_params(model)

    def dump(name, obj):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write("\n")

    dump("config.json", config)
    dump("generation_config.json", gen_config)
    dump("tokenizer.json", tok)
    dump("tokenizer_config.json", tok_config)
    dump("special_tokens_map.json", special_map)

    t1 = time.time()
    fp32_path = os.path.join(args.out, "onnx", "model.onnx")
    export_onnx(model, c, fp32_path)
    t_export = time.time() - t1
    n_q = None
    int8_path = os.path.join(args.out, "onnx", "model_int8.onnx")
    if args.int8:
        n_q = quantize_int8(fp32_path, int8_path)
    elif os.path.exists(int8_path):
        os.remove(int8_path)
    int4_files = []
    if args.int4:
        for level, name in ((4, "model_q4.onnx"), (0, "model_q4_accuracy0.onnx")):
            quantize_int4(fp32_path, os.path.join(args.out, "onnx", name), level)
            int4_files.append("onnx/" + name)
    t_build = time.time() - t0

    files = {}
    for rel in ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "onnx/model.onnx"] + (["onnx/model_int8.onnx"] if args.int8 else []) + int4_files:
        for name in (rel, rel + "_data"):
            p = os.path.join(args.out, name)
            if os.path.exists(p):
                digest = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 24), b""):
                        digest.update(chunk)
                files[name] = {"bytes": os.path.getsize(p), "sha256": digest.hexdigest()}

    summary = {"out": args.out, "preset": args.preset, "seed": args.seed, "parameters": n_params,
               "config": {k: config[k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                                  "num_attention_heads", "num_key_value_heads", "vocab_size",
                                                  "max_position_embeddings", "tie_word_embeddings")},
               "tokenizer": tinfo, "int8_matmuls": n_q,
               "seconds": {"tokenizer": round(t_tok, 2), "export": round(t_export, 2), "total": round(t_build, 2)},
               "files": files}
    print("parameters: %d (%.2fM)" % (n_params, n_params / 1e6))
    if args.verify:
        t2 = time.time()
        summary["verify"] = run_verify(model, c, args.out, args.seed, args.bench, args.node_root,
                                       args.keep_verify_files)
        summary["seconds"]["verify"] = round(time.time() - t2, 2)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    v = summary.get("verify")
    if v:
        ok = v["cacheVsRecompute"]["equal"] and all(t["roundTrip"] for t in v["tokenizer"]) \
            and v["torchVsOnnx"]["maxAbsDiffLogits"] < 1e-3 * max(1.0, v["torchVsOnnx"]["logitsStd"])
        if not ok:
            raise SystemExit("verification FAILED")
        print("verification passed")


if __name__ == "__main__":
    main()
