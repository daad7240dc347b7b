#!/usr/bin/env python3
"""PyTorch eager peer for `pareto bench text`: a Llama decoder with a KV cache, loaded from the
model's safetensors, decoding greedily the same number of tokens from the same prompt ids.

stdin: {"modelDir", "promptIds", "newTokens", "repeats", "eosTokenIds"}
stdout: {"msPerToken": [...], "generatedIds": [...], "threads": N}
"""
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None}


def load_safetensors(path):
    with open(path, "rb") as handle:
        header_size = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(header_size))
        data = handle.read()
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        dtype = DTYPES[meta["dtype"]]
        array = np.frombuffer(data[start:end], dtype=dtype).reshape(meta["shape"])
        tensors[name] = torch.from_numpy(array.astype(np.float32))
    return tensors


class Llama:
    def __init__(self, config, weights):
        self.c = config
        self.w = weights
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.kv_heads = config.get("num_key_value_heads", self.heads)
        self.head_dim = config.get("head_dim", config["hidden_size"] // self.heads)
        self.eps = config.get("rms_norm_eps", 1e-6)
        theta = config.get("rope_theta", 10000.0)
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim))
        # Tied embeddings are stored once, under either name.
        self.embed = weights.get("model.embed_tokens.weight", weights.get("lm_head.weight"))
        self.lm_head = weights.get("lm_head.weight", self.embed)

    def rms(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight

    def rope(self, x, positions):
        freqs = torch.outer(positions.float(), self.inv_freq)
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rotated * sin

    def forward(self, ids, cache):
        w = self.w
        past = cache[0][0].shape[2] if cache else 0
        seq = ids.shape[1]
        positions = torch.arange(past, past + seq)
        x = self.embed[ids]
        new_cache = []
        for i in range(self.layers):
            p = f"model.layers.{i}."
            h = self.rms(x, w[p + "input_layernorm.weight"])
            q = (h @ w[p + "self_attn.q_proj.weight"].T).view(1, seq, self.heads, self.head_dim).transpose(1, 2)
            k = (h @ w[p + "self_attn.k_proj.weight"].T).view(1, seq, self.kv_heads, self.head_dim).transpose(1, 2)
            v = (h @ w[p + "self_attn.v_proj.weight"].T).view(1, seq, self.kv_heads, self.head_dim).transpose(1, 2)
            q, k = self.rope(q, positions), self.rope(k, positions)
            if cache:
                k = torch.cat([cache[i][0], k], dim=2)
                v = torch.cat([cache[i][1], v], dim=2)
            new_cache.append((k, v))
            group = self.heads // self.kv_heads
            kk = k[:, :, None].expand(1, self.kv_heads, group, k.shape[2], self.head_dim).flatten(1, 2)
            vv = v[:, :, None].expand(1, self.kv_heads, group, v.shape[2], self.head_dim).flatten(1, 2)
            scores = (q @ kk.transpose(-1, -2)) / math.sqrt(self.head_dim)
            if seq > 1:
                mask = torch.full((seq, past + seq), float("-inf")).triu(past + 1)
                scores = scores + mask
            attn = torch.softmax(scores, dim=-1) @ vv
            x = x + attn.transpose(1, 2).reshape(1, seq, -1) @ w[p + "self_attn.o_proj.weight"].T
            h = self.rms(x, w[p + "post_attention_layernorm.weight"])
            gate = torch.nn.functional.silu(h @ w[p + "mlp.gate_proj.weight"].T)
            x = x + (gate * (h @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
        x = self.rms(x, w["model.norm.weight"])
        return x[:, -1] @ self.lm_head.T, new_cache


def decode(model, prompt_ids, new_tokens, eos_ids):
    ids = torch.tensor([prompt_ids])
    cache, out, stamps = None, [], []
    with torch.no_grad():
        for _ in range(new_tokens):
            logits, cache = model.forward(ids, cache)
            logits[0, eos_ids] = float("-inf")  # the bench compares fixed-length runs
            token = int(torch.argmax(logits[0]))
            out.append(token)
            stamps.append(time.perf_counter())
            ids = torch.tensor([[token]])
    return out, (stamps[-1] - stamps[0]) * 1000 / (len(stamps) - 1)


def main():
    request = json.load(sys.stdin)
    torch.set_num_threads(os.cpu_count() or 1)
    with open(os.path.join(request["modelDir"], "config.json")) as handle:
        config = json.load(handle)
    model = Llama(config, load_safetensors(os.path.join(request["modelDir"], "model.safetensors")))
    decode(model, request["promptIds"], min(16, request["newTokens"]), request["eosTokenIds"])
    runs, generated = [], []
    for _ in range(request["repeats"]):
        generated, ms = decode(model, request["promptIds"], request["newTokens"], request["eosTokenIds"])
        runs.append(ms)
    json.dump({"msPerToken": runs, "generatedIds": generated, "threads": torch.get_num_threads()}, sys.stdout)


if __name__ == "__main__":
    main()
