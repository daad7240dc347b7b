"""ONNX export in the diffusers ONNX layout (SPEC §2), opset 17, and the precision variants.

* text_encoder/model.onnx: input_ids int64 [B, L] (any L; padded with [PAD] = 0 / truncated to 16 inside
  the graph) → last_hidden_state float32 [B, 16, D].
* unet/model.onnx: sample float32 [B, 4, 16, 16] (latents), timestep int64 [B], encoder_hidden_states float32
  [B, 16, D] → out_sample float32 [B, 4, 16, 16] (a v-prediction).
* vae_decoder/model.onnx: latent_sample float32 [B, 4, 16, 16] (unscaled: latents / scaling_factor) →
  sample float32 [B, 3, 64, 64] in [-1, 1].
* unet/model_fp16.onnx: every float weight stored as float16 and Cast to float32 in the graph; I/O and
  compute stay float32 (half the file; same speed on CPU).
* unet/model_int8.onnx: Conv / MatMul / Gemm weights stored as int8, symmetric per output channel,
  with a DequantizeLinear in front of their consumer; activations stay float32 (¼ of the weight bytes).
  The studio dequantises them once when the session starts (onnxruntime's `session.disable_quant_qdq`),
  so it runs at fp32 speed; with a DequantizeLinear per weight at every call it was 1.3× slower.

The text encoder and UNet graphs have their Reshape targets folded to constants (`fold_reshape_shapes`):
torch traces `x.reshape(B, H * W, heads, d)` as Shape → Gather → Unsqueeze → Concat chains at run time,
45 Shape ops and 310 of the UNet's 693 nodes; folded, the 1.4M-parameter student UNet's outputs are
bit-identical and a call takes 5-8 % less CPU time in onnxruntime (1 thread).
"""
from __future__ import annotations

import copy
import os
from collections import Counter

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper, shape_inference

OPSET = 17


def export_text_encoder(te, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ids = torch.zeros((1, te.c.max_length), dtype=torch.int64)
    torch.onnx.export(te, (ids,), path, input_names=["input_ids"], output_names=["last_hidden_state"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch"}},
                      opset_version=OPSET, do_constant_folding=True)
    _strip_doc(path)
    fold_reshape_shapes(path)


def export_vae_decoder(decoder, path: str, latent_shape: tuple) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(decoder, (torch.randn(1, *latent_shape),), path, input_names=["latent_sample"], output_names=["sample"],
                      dynamic_axes={"latent_sample": {0: "batch"}, "sample": {0: "batch"}}, opset_version=OPSET, do_constant_folding=True)
    _strip_doc(path)


def export_unet(unet, path: str, latent_shape: tuple, context_len: int, context_dim: int) -> int:
    """Returns the number of Reshape targets folded to constants."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    args = (torch.randn(2, *latent_shape), torch.tensor([999, 10], dtype=torch.int64), torch.randn(2, context_len, context_dim))
    torch.onnx.export(unet, args, path, input_names=["sample", "timestep", "encoder_hidden_states"], output_names=["out_sample"],
                      dynamic_axes={"sample": {0: "batch"}, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch"},
                                    "out_sample": {0: "batch"}},
                      opset_version=OPSET, do_constant_folding=True)
    _strip_doc(path)
    return fold_reshape_shapes(path)


def _strip_doc(path: str) -> None:
    m = onnx.load(path)
    for n in m.graph.node:
        n.doc_string = ""
    m.producer_name = "pareto-emoji-recipe"
    onnx.checker.check_model(m)
    onnx.save(m, path)


def _static_shapes(m: onnx.ModelProto, size: int) -> dict:
    """Every tensor's shape with each symbolic input dimension set to `size` (shape inference with data propagation)."""
    m = copy.deepcopy(m)
    del m.graph.value_info[:]
    for v in m.graph.input:
        for d in v.type.tensor_type.shape.dim:
            if not d.HasField("dim_value"):
                d.dim_value = size
    for v in m.graph.output:
        for d in v.type.tensor_type.shape.dim:
            if not d.HasField("dim_value"):
                d.ClearField("dim_param")
    m = shape_inference.infer_shapes(m, strict_mode=True, data_prop=True)
    out = {}
    for v in list(m.graph.value_info) + list(m.graph.output):
        dims = v.type.tensor_type.shape.dim
        if v.type.tensor_type.HasField("shape") and len(dims) > 0 and all(d.HasField("dim_value") for d in dims):
            out[v.name] = [d.dim_value for d in dims]
    return out


FOLD_SIZES = (1, 2, 3)


def fold_reshape_shapes(path: str) -> int:
    """Reshape targets computed at run time from Shape ops → constant initializers, with -1 in the one dimension
    that grows with the symbolic input dimensions (the batch); then drops the nodes that fed nothing else.

    The shapes come from shape inference at each of FOLD_SIZES for the symbolic dimensions: a Reshape is folded
    only where every dimension of its output but at most one is the same at all sizes and that one is
    proportional to the size, so the constant target gives the same shape at any batch (and -1 is worked out
    by onnxruntime from the element count). Returns the number of Reshapes folded."""
    m = onnx.load(path)
    g = m.graph
    try:
        shapes = [_static_shapes(m, size) for size in FOLD_SIZES]
    except shape_inference.InferenceError:
        return 0  # a graph onnx cannot infer (another exporter's ops): left as it is, and the export log says 0 folded
    folded = 0
    for node in g.node:
        if node.op_type != "Reshape" or node.input[1] in {t.name for t in g.initializer}:
            continue
        seen = [s.get(node.output[0]) for s in shapes]
        if any(dims is None or len(dims) != len(seen[0]) or 0 in dims for dims in seen):
            continue
        varying = [i for i in range(len(seen[0])) if len({dims[i] for dims in seen}) > 1]
        if len(varying) > 1 or (varying and any(dims[varying[0]] * FOLD_SIZES[0] != seen[0][varying[0]] * size
                                                   for dims, size in zip(seen, FOLD_SIZES))):
            continue
        target = list(seen[0])
        if varying:
            target[varying[0]] = -1
        name = node.output[0] + "_target"
        g.initializer.append(numpy_helper.from_array(np.array(target, np.int64), name))
        node.input[1] = name
        folded += 1
    while True:
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        live = [n for n in g.node if any(o in used for o in n.output)]
        if len(live) == len(g.node):
            break
        del g.node[:]
        g.node.extend(live)
    used = {i for n in g.node for i in n.input}
    live_inits = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(live_inits)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return folded


def to_fp16_weights(src: str, dst: str, min_elems: int = 16) -> None:
    """float32 initializers (≥ `min_elems` elements) → float16 + Cast(to=float) feeding the old name."""
    m = onnx.load(src)
    g = m.graph
    casts, keep = [], []
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT and int(np.prod(init.dims)) >= min_elems:
            arr = numpy_helper.to_array(init).astype(np.float16)
            keep.append(numpy_helper.from_array(arr, init.name + "_fp16"))
            casts.append(helper.make_node("Cast", [init.name + "_fp16"], [init.name], to=TensorProto.FLOAT, name=init.name + "_cast"))
        else:
            keep.append(init)
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def to_int8_weights(src: str, dst: str) -> int:
    """Conv (axis 0), MatMul with a 2-D weight (axis 1) and Gemm (axis 0 when transB) weights → int8 per
    output channel (symmetric, zero point 0) + DequantizeLinear; one DequantizeLinear per consumer.
    Returns the number of quantised weights."""
    m = onnx.load(src)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    uses = Counter(i for n in g.node for i in n.input)
    done, removed, new_nodes, n_q = {}, set(), [], 0
    for node in g.node:
        axis = None
        if node.op_type == "Conv" and node.input[1] in inits:
            axis = 0
        elif node.op_type == "MatMul" and node.input[1] in inits and len(inits[node.input[1]].dims) == 2:
            axis = 1
        elif node.op_type == "Gemm" and node.input[1] in inits:
            trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
            axis = 0 if trans_b else 1
        if axis is not None and inits[node.input[1]].data_type == TensorProto.FLOAT:
            base = node.input[1]
            if base not in done:
                w = numpy_helper.to_array(inits[base]).astype(np.float32)
                red = tuple(i for i in range(w.ndim) if i != axis)
                scale = (np.abs(w).max(axis=red) / 127.0).astype(np.float32)
                scale[scale == 0] = 1.0
                shape = [1] * w.ndim
                shape[axis] = -1
                q = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
                names = (base + "_int8", base + "_scale", base + "_zero_point")
                g.initializer.extend([numpy_helper.from_array(q, names[0]), numpy_helper.from_array(scale, names[1]),
                                      numpy_helper.from_array(np.zeros(scale.shape, np.int8), names[2])])
                done[base] = names
            dq = f"{base}_dequant_{n_q}"
            new_nodes.append(helper.make_node("DequantizeLinear", list(done[base]), [dq], name=dq, axis=axis))
            uses[base] -= 1
            if uses[base] == 0:
                removed.add(base)
            node.input[1] = dq
            n_q += 1
        new_nodes.append(node)
    kept = [t for t in g.initializer if t.name not in removed]
    del g.initializer[:]
    g.initializer.extend(kept)
    del g.node[:]
    g.node.extend(new_nodes)
    onnx.checker.check_model(m)
    onnx.save(m, dst)
    return len(done)
