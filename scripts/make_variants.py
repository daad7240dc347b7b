#!/usr/bin/env python3
"""Derives precision variants of a transformers.js text model folder, beside its onnx/model.onnx:

  model_int8.onnx  weight-only int8: per-output-channel int8 weights + DequantizeLinear before each MatMul
  model_fp16.onnx  fp16 weights and fp16 I/O: past/present key-values and logits are float16 tensors
                   (as in transformers.js fp16 exports); the arithmetic inside stays float32, since
                   onnxruntime's CPU provider has few float16 kernels.

Usage: /usr/bin/python3 scripts/make_variants.py --src MODEL_DIR --out OUT_DIR [--fp16] [--int8]
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--fp16", action="store_true")
    parser.add_argument("--int8", action="store_true")
    args = parser.parse_args()
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    for name in os.listdir(args.src):
        if name.endswith(".json"):
            shutil.copyfile(os.path.join(args.src, name), os.path.join(args.out, name))
    source = os.path.join(args.src, "onnx", "model.onnx")
    shutil.copyfile(source, os.path.join(args.out, "onnx", "model.onnx"))
    if args.int8:
        count = quantize_int8(source, os.path.join(args.out, "onnx", "model_int8.onnx"))
        print(f"int8: {count} MatMul weights quantised")
    if args.fp16:
        to_fp16(source, os.path.join(args.out, "onnx", "model_fp16.onnx"))
        print("fp16: weights and key/value/logits I/O in float16")


if __name__ == "__main__":
    main()
