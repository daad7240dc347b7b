"""ONNX export in the transformers.js decoder layout, plus the precision variants and depth exits.

* fp32 `model.onnx`: traced from `OnnxDecoder` (opset 17, past > 0 and seq > 1 while tracing).
* fp16 `model_fp16.onnx`: weights stored as float16 with a Cast to float32 right after each one;
  inputs, outputs, the KV cache and all arithmetic stay float32 (CPU ONNX Runtime has few fp16
  kernels, so this variant halves the file and the resident weights but not the compute).
* int8 `model_int8.onnx`: every MatMul weight becomes int8 per output channel (symmetric, zero
  point 0) + `DequantizeLinear(axis=1)` feeding the MatMul; the embedding is gathered as int8 rows
  and scaled; the tied output head is `Transpose(int8 table) → DequantizeLinear(axis=1) → MatMul`.
  The scales are the ones QAT fake-quantised with (`model.quant_scale`).
* exits: `model_exit{K}.onnx` (+ `_fp16`, `_int8`) hold only the first K layers and the exit head,
  so a shallow operating point really skips the later layers.
"""
from __future__ import annotations

import os
from typing import Dict, List

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from model import LlamaLM, OnnxDecoder
from quantise import int8_rows as _int8_rows

OPSET = 17


def variant_name(depth: int, full_depth: int, precision: str) -> str:
    stem = "model" if depth == full_depth else f"model_exit{depth}"
    return f"{stem}.onnx" if precision == "fp32" else f"{stem}_{precision}.onnx"


def _build_graph(model: LlamaLM, depth: int, precision: str, name: str) -> onnx.ModelProto:
    """Writes the decoder graph by hand (standard ONNX ops only, few nodes per layer: per-node
    overhead dominates small-model decoding on CPU). Numerically it is `model.OnnxDecoder`."""
    c = model.c
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    H, K, hd, d = c.num_attention_heads, c.num_key_value_heads, c.head_dim, c.hidden_size
    rep = H // K
    nodes, inits = [], []
    counter = [0]

    def uid(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(arr, nm=None):
        t = numpy_helper.from_array(np.asarray(arr), nm or uid("c"))
        inits.append(t)
        return t.name

    def node(op, ins, n_out=1, **attrs):
        outs = [uid(op.lower()) for _ in range(n_out)]
        nodes.append(helper.make_node(op, ins, outs, name=outs[0], **attrs))
        return outs[0] if n_out == 1 else outs

    def weight(w_in_out: np.ndarray, nm: str) -> str:
        """A MatMul B operand [in, out] in the requested precision."""
        w = np.ascontiguousarray(w_in_out.astype(np.float32))
        if precision == "fp32":
            return const(w, nm)
        if precision == "fp16":
            return node("Cast", [const(w.astype(np.float16), nm + "_fp16")], to=TensorProto.FLOAT)
        q, s = _int8_rows(w.T.copy())
        return node("DequantizeLinear", [const(np.ascontiguousarray(q.T), nm + "_int8"), const(s, nm + "_scale"),
                                         const(np.zeros_like(s, dtype=np.int8), nm + "_zp")], axis=1)

    def small(vec, nm):  # norm weights stay float32
        return const(vec.astype(np.float32), nm)

    def rmsnorm(x, w):
        sq = node("Pow", [x, const(np.array(2.0, np.float32))])
        mean = node("ReduceMean", [sq], axes=[-1], keepdims=1)
        std = node("Sqrt", [node("Add", [mean, const(np.array(c.rms_norm_eps, np.float32))])])
        return node("Mul", [node("Div", [x, std]), w])

    # ---- embedding (tied with the output head) -------------------------------------------
    emb = sd["embed_tokens.weight"]
    if precision == "int8":
        # The tied table in int8 twice: [V, d] rows for the lookup and [d, V] for the output head,
        # so the head is a DequantizeLinear(axis=1) → MatMul that ONNX Runtime fuses into an 8-bit
        # MatMulNBits (a DQ whose weight is shared with a Gather is not fused and would run every
        # step). Same values and scales in both.
        q, s = _int8_rows(emb)
        eq, es = const(q, "embed_tokens_int8"), const(s, "embed_tokens_scale")
        rows = node("Cast", [node("Gather", [eq, "input_ids"], axis=0)], to=TensorProto.FLOAT)
        scale = node("Unsqueeze", [node("Gather", [es, "input_ids"], axis=0), const(np.array([-1], np.int64))])
        x = node("Mul", [rows, scale])
        head_w = node("DequantizeLinear", [const(np.ascontiguousarray(q.T), "lm_head_int8"), const(s.copy(), "lm_head_scale"),
                                           const(np.zeros_like(s, dtype=np.int8), "lm_head_zp")], axis=1)
    else:
        table = const(emb, "embed_tokens") if precision == "fp32" else node("Cast", [const(emb.astype(np.float16), "embed_tokens_fp16")], to=TensorProto.FLOAT)
        x = node("Gather", [table, "input_ids"], axis=0)
        head_w = node("Transpose", [table], perm=[1, 0])

    # ---- rotary tables [B, T, 1, hd] ---------------------------------------------------------
    inv_freq = (1.0 / (c.rope_theta ** (np.arange(0, hd, 2, dtype=np.float32) / hd))).astype(np.float32)
    freqs = node("Mul", [node("Unsqueeze", [node("Cast", ["position_ids"], to=TensorProto.FLOAT), const(np.array([-1], np.int64))]),
                         const(inv_freq, "rope_inv_freq")])
    ang = node("Unsqueeze", [node("Concat", [freqs, freqs], axis=-1), const(np.array([2], np.int64))])
    cos, sin = node("Cos", [ang]), node("Sin", [ang])
    rot = np.zeros((hd, hd), np.float32)  # x @ rot = rotate_half(x) = cat(-x2, x1)
    h2 = hd // 2
    for j in range(h2):
        rot[j + h2, j] = -1.0
        rot[j, j + h2] = 1.0
    rot_c = const(rot, "rope_rotate_half")

    # ---- local + global mask as an additive bias [B, 1, rep*T, S] ----------------------------
    zero_i, one_i = const(np.array(0, np.int64)), const(np.array(1, np.int64))
    S = node("Squeeze", [node("Shape", ["attention_mask"], start=1, end=2), const(np.array([0], np.int64))])
    T = node("Squeeze", [node("Shape", ["input_ids"], start=1, end=2), const(np.array([0], np.int64))])
    kidx = node("Range", [zero_i, S, one_i])
    qidx = node("Range", [node("Sub", [S, T]), S, one_i])
    dist = node("Sub", [node("Unsqueeze", [qidx, const(np.array([1], np.int64))]), node("Unsqueeze", [kidx, const(np.array([0], np.int64))])])
    causal = node("GreaterOrEqual", [dist, zero_i])
    local = node("Less", [dist, const(np.array(c.window, np.int64))])
    sink = node("Less", [kidx, const(np.array(c.sinks, np.int64))])
    allowed = node("And", [causal, node("Or", [local, sink])])  # [T, S]
    am = node("Unsqueeze", [node("Cast", ["attention_mask"], to=TensorProto.BOOL), const(np.array([1, 2], np.int64))])
    allowed = node("And", [allowed, am])  # [B, 1, T, S]
    bias = node("Where", [allowed, const(np.array(0.0, np.float32)), const(np.array(-1e9, np.float32))])
    if rep > 1:
        bias = node("Tile", [bias, const(np.array([1, 1, rep, 1], np.int64))])

    shape_qk = const(np.array([0, 0, H + K, hd], np.int64), "shape_qk")
    shape_v = const(np.array([0, 0, K, hd], np.int64), "shape_v")
    shape_group = const(np.array([0, K, -1, hd], np.int64), "shape_group")
    shape_heads = const(np.array([0, H, -1, hd], np.int64), "shape_heads")
    shape_merge = const(np.array([0, 0, H * hd], np.int64), "shape_merge")
    split_qkv = const(np.array([(H + K) * hd, K * hd], np.int64), "split_qkv")
    split_qk = const(np.array([H, K], np.int64), "split_qk")
    F_ = c.intermediate_size
    split_gu = const(np.array([F_, F_], np.int64), "split_gate_up")
    q_scale = 1.0 / np.sqrt(hd)

    outputs = []
    for i in range(depth):
        p = f"layers.{i}."
        wq = sd[p + "self_attn.q_proj.weight"].T * q_scale  # softmax scale folded into q
        wqkv = np.concatenate([wq, sd[p + "self_attn.k_proj.weight"].T, sd[p + "self_attn.v_proj.weight"].T], axis=1)
        h = rmsnorm(x, small(sd[p + "input_layernorm.weight"], f"l{i}_ln1"))
        qkv = node("MatMul", [h, weight(wqkv, f"l{i}_qkv")])
        qk, v = node("Split", [qkv, split_qkv], n_out=2, axis=-1)
        qk = node("Reshape", [qk, shape_qk])
        qk = node("Add", [node("Mul", [qk, cos]), node("Mul", [node("MatMul", [qk, rot_c]), sin])])
        q, k = node("Split", [qk, split_qk], n_out=2, axis=2)
        k = node("Transpose", [k], perm=[0, 2, 1, 3])
        v = node("Transpose", [node("Reshape", [v, shape_v])], perm=[0, 2, 1, 3])
        pk, pv = f"present.{i}.key", f"present.{i}.value"
        nodes.append(helper.make_node("Concat", [f"past_key_values.{i}.key", k], [pk], axis=2, name=pk))
        nodes.append(helper.make_node("Concat", [f"past_key_values.{i}.value", v], [pv], axis=2, name=pv))
        outputs += [pk, pv]
        q = node("Reshape", [node("Transpose", [q], perm=[0, 2, 1, 3]), shape_group])  # [B, K, rep*T, hd]
        scores = node("Add", [node("MatMul", [q, node("Transpose", [pk], perm=[0, 1, 3, 2])]), bias])
        ctx = node("MatMul", [node("Softmax", [scores], axis=-1), pv])
        ctx = node("Reshape", [node("Transpose", [node("Reshape", [ctx, shape_heads])], perm=[0, 2, 1, 3]), shape_merge])
        x = node("Add", [x, node("MatMul", [ctx, weight(sd[p + "self_attn.o_proj.weight"].T, f"l{i}_o")])])
        h = rmsnorm(x, small(sd[p + "post_attention_layernorm.weight"], f"l{i}_ln2"))
        wgu = np.concatenate([sd[p + "mlp.gate_proj.weight"].T, sd[p + "mlp.up_proj.weight"].T], axis=1)
        g, u = node("Split", [node("MatMul", [h, weight(wgu, f"l{i}_gate_up")]), split_gu], n_out=2, axis=-1)
        act = node("Mul", [node("Mul", [g, node("Sigmoid", [g])]), u])
        x = node("Add", [x, node("MatMul", [act, weight(sd[p + "mlp.down_proj.weight"].T, f"l{i}_down")])])

    norm_key = "norm.weight" if depth == c.num_hidden_layers else f"exit_norms.{depth}.weight"
    h = rmsnorm(x, small(sd[norm_key], "final_norm"))
    nodes.append(helper.make_node("MatMul", [h, head_w], ["logits"], name="lm_head"))

    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    ins = [helper.make_tensor_value_info("input_ids", i64, ["batch_size", "sequence_length"]),
           helper.make_tensor_value_info("attention_mask", i64, ["batch_size", "total_sequence_length"]),
           helper.make_tensor_value_info("position_ids", i64, ["batch_size", "sequence_length"])]
    outs = [helper.make_tensor_value_info("logits", f32, ["batch_size", "sequence_length", c.vocab_size])]
    for i in range(depth):
        for kv in ("key", "value"):
            ins.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kv}", f32, ["batch_size", K, "past_sequence_length", hd]))
            outs.append(helper.make_tensor_value_info(f"present.{i}.{kv}", f32, ["batch_size", K, "total_sequence_length", hd]))
    graph = helper.make_graph(nodes, name, ins, outs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="pareto-recipes")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def export_graph(model: LlamaLM, depth: int, precision: str, path: str) -> None:
    model.eval()
    onnx.save(_build_graph(model, depth, precision, os.path.basename(path)), path)


def export_fp32(model: LlamaLM, depth: int, path: str) -> None:
    export_graph(model, depth, "fp32", path)


def export_traced(model: LlamaLM, depth: int, path: str) -> None:
    """The torch-traced export of `OnnxDecoder` (reference for parity checks; more nodes)."""
    c = model.c
    model.eval()
    model.set_quant(False)
    wrapper = OnnxDecoder(model, depth)
    B, T, P = 1, 3, 2
    ids = torch.randint(0, c.vocab_size, (B, T))
    mask = torch.ones(B, P + T, dtype=torch.int64)
    pos = torch.arange(P, P + T).unsqueeze(0)
    past = []
    in_names = ["input_ids", "attention_mask", "position_ids"]
    out_names = ["logits"]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for i in range(depth):
        for kv in ("key", "value"):
            past.append(torch.randn(B, c.num_key_value_heads, P, c.head_dim))
            n_in, n_out = f"past_key_values.{i}.{kv}", f"present.{i}.{kv}"
            in_names.append(n_in)
            out_names.append(n_out)
            axes[n_in] = {0: "batch_size", 2: "past_sequence_length"}
            axes[n_out] = {0: "batch_size", 2: "total_sequence_length"}
    with torch.no_grad():
        torch.onnx.export(wrapper, (ids, mask, pos, *past), path, input_names=in_names, output_names=out_names,
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)


def export_all(model: LlamaLM, onnx_dir: str, depths: List[int], precisions: List[str]) -> Dict[str, tuple]:
    """Writes every (depth, precision) graph; returns {relative file: (precision, depth)}."""
    os.makedirs(onnx_dir, exist_ok=True)
    full = model.c.num_hidden_layers
    files = {}
    for depth in depths:
        for precision in precisions:
            p = os.path.join(onnx_dir, variant_name(depth, full, precision))
            export_graph(model, depth, precision, p)
            files[f"onnx/{os.path.basename(p)}"] = (precision, depth)
    return files
