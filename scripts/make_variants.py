#!/usr/bin/env python3
"""Derives precision variants of a transformers.js text model folder, beside its onnx/model.onnx:

  model_int8.onnx  weight-only int8: per-output-channel int8 weights + DequantizeLinear before each MatMul
  model_fp16.onnx  fp16 weights and fp16 I/O: past/present key-values and logits are float16 tensors
                   (as in transformers.js fp16 exports); the arithmetic inside stays float32, since
                   onnxruntime's CPU provider has few float16 kernels.

The fp32 graph itself is copied as onnx/model.onnx, or written in another layout the engine reads
(at most one of these flags; each computes the same function as the source graph):

  --external-data    onnx/model.onnx with every tensor in one external file, onnx/model.onnx_data
                     (as exports over 2 GB must be); the .onnx keeps only the graph.
  --merged           onnx/decoder_model_merged.onnx and no model.onnx: Optimum's merged decoder. A
                     bool input use_cache_branch [1] feeds an If node. Its then-branch is the decoder
                     over past_key_values; its else-branch never reads past_key_values: it runs on
                     empty [batch, kv_heads, 0, head_dim] tensors made inside the branch, over the
                     last sequence_length columns of attention_mask (Optimum's prefill branch has no
                     past). With use_cache_branch false and a non-empty past, the past is ignored.
  --no-position-ids  onnx/model.onnx without the position_ids input: positions are computed inside
                     the graph as Range(past, past + sequence) with past = Shape(past_key_values.0.key)[2].

Usage: /usr/bin/python3 scripts/make_variants.py --src MODEL_DIR --out OUT_DIR [--fp16] [--int8]
           [--external-data | --merged | --no-position-ids]
OUT_DIR receives a copy of the folder's JSON files plus the variants, so the source stays untouched.
"""
import argparse
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_synthetic_llama import quantize_int8  # noqa: E402

# Initializers smaller than this stay float32: shape constants, epsilons and the like.
MIN_WEIGHT_ELEMENTS = 64


def to_fp16(src, dst):
    model = onnx.load(src)
    graph = model.graph
    head = []
    for init in list(graph.initializer):
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < MIN_WEIGHT_ELEMENTS:
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + "_fp16")
        graph.initializer.remove(init)
        graph.initializer.append(half)
        head.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + "_to_fp32"))

    for graph_input in graph.input:
        if not graph_input.name.startswith("past_key_values."):
            continue
        inside = graph_input.name + "_fp32"
        for node in graph.node:
            for i, name in enumerate(node.input):
                if name == graph_input.name:
                    node.input[i] = inside
        graph_input.type.tensor_type.elem_type = TensorProto.FLOAT16
        head.append(helper.make_node("Cast", [graph_input.name], [inside], to=TensorProto.FLOAT, name=inside + "_cast"))

    tail = []
    for graph_output in graph.output:
        if graph_output.name != "logits" and not graph_output.name.startswith("present."):
            continue
        inside = graph_output.name + "_fp32"
        for node in graph.node:
            for i, name in enumerate(node.output):
                if name == graph_output.name:
                    node.output[i] = inside
            for i, name in enumerate(node.input):
                if name == graph_output.name:
                    node.input[i] = inside
        graph_output.type.tensor_type.elem_type = TensorProto.FLOAT16
        tail.append(helper.make_node("Cast", [inside], [graph_output.name], to=TensorProto.FLOAT16, name=inside + "_cast"))

    nodes = head + list(graph.node) + tail
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, dst)


def const(name, values, dtype=np.int64):
    """A Constant node holding `values` (a scalar when `values` is a plain number)."""
    return helper.make_node("Constant", [], [name], name=name, value=numpy_helper.from_array(np.array(values, dtype=dtype), name))


def save_external_data(src, dst):
    """Writes the graph to `dst` and every tensor, however small, to `<dst name>_data` beside it."""
    model = onnx.load(src)
    onnx.save(model, dst, save_as_external_data=True, all_tensors_to_one_file=True,
              location=os.path.basename(dst) + "_data", size_threshold=0)
    onnx.checker.check_model(dst)


def computed_positions(past_key):
    """Nodes computing position_ids [1, sequence] = Range(past, past + sequence) inside the graph."""
    nodes = [
        const("positions/two", 2),
        const("positions/one", 1),
        helper.make_node("Shape", [past_key], ["positions/past_shape"], name="positions/past_shape"),
        helper.make_node("Gather", ["positions/past_shape", "positions/two"], ["positions/past"], name="positions/past", axis=0),
        helper.make_node("Shape", ["input_ids"], ["positions/ids_shape"], name="positions/ids_shape"),
        helper.make_node("Gather", ["positions/ids_shape", "positions/one"], ["positions/sequence"], name="positions/sequence", axis=0),
        helper.make_node("Add", ["positions/past", "positions/sequence"], ["positions/end"], name="positions/end"),
        helper.make_node("Range", ["positions/past", "positions/end", "positions/one"], ["positions/range"], name="positions/range"),
        const("positions/axes", [0]),
        helper.make_node("Unsqueeze", ["positions/range", "positions/axes"], ["positions/ids"], name="positions/ids"),
    ]
    return nodes, "positions/ids"


def without_position_ids(src, dst):
    """Drops the position_ids input and feeds every node that read it from computed positions."""
    model = onnx.load(src)
    graph = model.graph
    head, positions = computed_positions("past_key_values.0.key")
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == "position_ids":
                node.input[i] = positions
    graph.input.remove(next(i for i in graph.input if i.name == "position_ids"))
    nodes = head + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, dst)


def branch(graph, prefix, head=(), renamed=None):
    """The graph's nodes as an If branch: values made inside get `prefix`, outer-scope values (inputs,
    initializers) keep their names unless `renamed` points them at a value the `head` nodes make."""
    renamed = renamed or {}
    inside = {name for node in graph.node for name in node.output if name}

    def local(name):
        if name in renamed:
            return renamed[name]
        return prefix + name if name in inside else name

    nodes = list(head)
    for node in graph.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copy.name = prefix + node.name
        copy.input[:] = [local(name) if name else name for name in node.input]
        copy.output[:] = [prefix + name if name else name for name in node.output]
        nodes.append(copy)
    outputs = []
    for graph_output in graph.output:
        value = onnx.ValueInfoProto()
        value.CopyFrom(graph_output)
        value.name = prefix + graph_output.name
        outputs.append(value)
    return helper.make_graph(nodes, prefix.rstrip("/"), [], outputs)


def empty_past_nodes(prefix, past_input):
    """Nodes making an empty [batch, kv_heads, 0, head_dim] float tensor and the attention mask's last
    sequence_length columns: what the prefill branch of a merged decoder reads instead of the past."""
    dims = [d.dim_value for d in past_input.type.tensor_type.shape.dim]
    if not dims[1] or not dims[3]:
        raise ValueError(f"{past_input.name} needs fixed kv_heads and head_dim dimensions")
    nodes = [
        helper.make_node("Shape", ["input_ids"], [prefix + "batch"], name=prefix + "batch", start=0, end=1),
        const(prefix + "empty_dims", [dims[1], 0, dims[3]]),
        helper.make_node("Concat", [prefix + "batch", prefix + "empty_dims"], [prefix + "empty_shape"], name=prefix + "empty_shape", axis=0),
        helper.make_node("ConstantOfShape", [prefix + "empty_shape"], [prefix + "empty_past"], name=prefix + "empty_past",
                         value=numpy_helper.from_array(np.zeros(1, np.float32), prefix + "zero")),
        helper.make_node("Shape", ["input_ids"], [prefix + "sequence"], name=prefix + "sequence", start=1, end=2),
        helper.make_node("Neg", [prefix + "sequence"], [prefix + "mask_start"], name=prefix + "mask_start"),
        const(prefix + "mask_end", [np.iinfo(np.int64).max]),
        const(prefix + "mask_axes", [1]),
        helper.make_node("Slice", ["attention_mask", prefix + "mask_start", prefix + "mask_end", prefix + "mask_axes"],
                         [prefix + "attention_mask"], name=prefix + "attention_mask"),
    ]
    return nodes, prefix + "empty_past", prefix + "attention_mask"


def merged_decoder(src, dst):
    """Optimum's decoder_model_merged layout: use_cache_branch picks the cached or the prefill branch."""
    model = onnx.load(src)
    graph = model.graph
    pasts = [graph_input for graph_input in graph.input if graph_input.name.startswith("past_key_values.")]
    cached = branch(graph, "cached/")
    head, empty, mask = empty_past_nodes("prefill/", pasts[0])
    prefill = branch(graph, "prefill/", head, {**{past.name: empty for past in pasts}, "attention_mask": mask})
    flag = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
    outputs = [graph_output.name for graph_output in graph.output]
    choose = helper.make_node("If", ["use_cache_branch"], outputs, name="use_cache_branch_if", then_branch=cached, else_branch=prefill)
    merged = helper.make_graph([choose], graph.name + "_merged", list(graph.input) + [flag], list(graph.output), list(graph.initializer))
    out = helper.make_model(merged, opset_imports=model.opset_import, producer_name="make_variants.py")
    out.ir_version = model.ir_version
    onnx.checker.check_model(out)
    onnx.save(out, dst)


def write_layout(source, onnx_dir, args):
    """The fp32 graph in the layout the flags ask for (a plain copy of model.onnx by default)."""
    if args.external_data:
        save_external_data(source, os.path.join(onnx_dir, "model.onnx"))
        print("external data: onnx/model.onnx + onnx/model.onnx_data")
    elif args.merged:
        merged_decoder(source, os.path.join(onnx_dir, "decoder_model_merged.onnx"))
        print("merged: onnx/decoder_model_merged.onnx with use_cache_branch")
    elif args.no_position_ids:
        without_position_ids(source, os.path.join(onnx_dir, "model.onnx"))
        print("no position_ids: onnx/model.onnx computes positions from the past length")
    else:
        shutil.copyfile(source, os.path.join(onnx_dir, "model.onnx"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--fp16", action="store_true")
    parser.add_argument("--int8", action="store_true")
    layout = parser.add_mutually_exclusive_group()
    layout.add_argument("--external-data", action="store_true")
    layout.add_argument("--merged", action="store_true")
    layout.add_argument("--no-position-ids", action="store_true")
    args = parser.parse_args()
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    for name in os.listdir(args.src):
        if name.endswith(".json"):
            shutil.copyfile(os.path.join(args.src, name), os.path.join(args.out, name))
    source = os.path.join(args.src, "onnx", "model.onnx")
    write_layout(source, os.path.join(args.out, "onnx"), args)
    if args.int8:
        count = quantize_int8(source, os.path.join(args.out, "onnx", "model_int8.onnx"))
        print(f"int8: {count} MatMul weights quantised")
    if args.fp16:
        to_fp16(source, os.path.join(args.out, "onnx", "model_fp16.onnx"))
        print("fp16: weights and key/value/logits I/O in float16")


if __name__ == "__main__":
    main()
