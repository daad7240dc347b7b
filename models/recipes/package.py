"""Writes a model package in the studio's layout (SPEC §2): config, tokenizer, ONNX variants and
exits (weights shared through one external-data file per precision), model card and pareto.json."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Dict, List, Tuple

import onnx
from onnx import TensorProto

from export import _build_graph, variant_name
from model import LlamaLM
from tokenizer import BOS, EOS, UNK, BpeTokenizer

FAMILY = "pareto-stories"
DATA_SUFFIX = {"fp32": "model.onnx_data", "fp16": "model_fp16.onnx_data", "int8": "model_int8.onnx_data"}
ALIGN = 4096


def _write_json(path: str, obj) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hf_config(model: LlamaLM, tok: BpeTokenizer) -> dict:
    c = model.c
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
        "hidden_size": c.hidden_size, "intermediate_size": c.intermediate_size,
        "num_hidden_layers": c.num_hidden_layers, "num_attention_heads": c.num_attention_heads,
        "num_key_value_heads": c.num_key_value_heads, "head_dim": c.head_dim,
        "max_position_embeddings": c.max_position_embeddings, "rope_theta": c.rope_theta,
        "rms_norm_eps": c.rms_norm_eps, "vocab_size": c.vocab_size, "bos_token_id": tok.bos_id,
        "eos_token_id": tok.eos_id, "pad_token_id": tok.unk_id, "tie_word_embeddings": True,
        "attention_bias": False, "mlp_bias": False, "torch_dtype": "float32", "use_cache": True,
        "pareto_exits": sorted(set(c.exits) | {c.num_hidden_layers}),
        "pareto_attention": {"window": c.window, "sinks": c.sinks},
    }


def _share_external(models: Dict[str, onnx.ModelProto], onnx_dir: str, data_name: str, min_bytes: int = 1024) -> None:
    """Moves every large initializer into one data file that all graphs of this precision point
    into, so an exit graph adds only its own small tensors (norm) to the package."""
    offsets: Dict[Tuple[str, bytes], Tuple[int, int]] = {}
    data_path = os.path.join(onnx_dir, data_name)
    with open(data_path + ".tmp", "wb") as f:
        for m in models.values():
            for init in m.graph.initializer:
                raw = init.raw_data
                if len(raw) < min_bytes:
                    continue
                key = (init.name, hashlib.sha1(raw).digest())
                if key not in offsets:
                    pos = f.tell()
                    if pos % ALIGN:
                        f.write(b"\0" * (ALIGN - pos % ALIGN))
                        pos = f.tell()
                    f.write(raw)
                    offsets[key] = (pos, len(raw))
                off, length = offsets[key]
                init.ClearField("raw_data")
                init.data_location = TensorProto.EXTERNAL
                del init.external_data[:]
                for k, v in (("location", data_name), ("offset", str(off)), ("length", str(length))):
                    e = init.external_data.add()
                    e.key, e.value = k, v
    os.replace(data_path + ".tmp", data_path)
    for path, m in models.items():
        onnx.save(m, path)


def write_package(pkg_dir: str, model: LlamaLM, tok: BpeTokenizer, depths: List[int],
                  precisions: List[str]) -> Dict[str, Tuple[str, int]]:
    """Writes everything but the measured parts (MODEL_CARD.md, pareto.json). Returns the ONNX
    graphs as {relative file: (precision, depth)}."""
    os.makedirs(os.path.join(pkg_dir, "onnx"), exist_ok=True)
    model.eval()
    _write_json(os.path.join(pkg_dir, "config.json"), hf_config(model, tok))
    _write_json(os.path.join(pkg_dir, "generation_config.json"), {
        "bos_token_id": tok.bos_id, "eos_token_id": tok.eos_id, "pad_token_id": tok.unk_id,
        "do_sample": True, "temperature": 0.8, "top_k": 40, "top_p": 0.95, "max_new_tokens": 256})
    tok.save(os.path.join(pkg_dir, "tokenizer.json"))
    _write_json(os.path.join(pkg_dir, "tokenizer_config.json"), tok.tokenizer_config())
    _write_json(os.path.join(pkg_dir, "special_tokens_map.json"), {"bos_token": BOS, "eos_token": EOS, "unk_token": UNK, "pad_token": UNK})
    full = model.c.num_hidden_layers
    files: Dict[str, Tuple[str, int]] = {}
    onnx_dir = os.path.join(pkg_dir, "onnx")
    for precision in precisions:
        graphs = {}
        for depth in depths:
            path = os.path.join(onnx_dir, variant_name(depth, full, precision))
            graphs[path] = _build_graph(model, depth, precision, os.path.basename(path))
            files[f"onnx/{os.path.basename(path)}"] = (precision, depth)
        _share_external(graphs, onnx_dir, DATA_SUFFIX[precision])
    return files


def write_manifest(pkg_dir: str, manifest: dict) -> None:
    """pareto.json last: sha256 of every other file in the package."""
    files = {}
    for root, _, names in os.walk(pkg_dir):
        for n in sorted(names):
            rel = os.path.relpath(os.path.join(root, n), pkg_dir).replace(os.sep, "/")
            if rel == "pareto.json" or n.endswith(".tmp"):
                continue
            files[rel] = sha256(os.path.join(root, n))
    manifest = {**manifest, "files": dict(sorted(files.items()))}
    _write_json(os.path.join(pkg_dir, "pareto.json"), manifest)
