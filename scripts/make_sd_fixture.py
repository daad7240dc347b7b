#!/usr/bin/env python3
"""A tiny random-weight Stable Diffusion model in the diffusers ONNX layout (SPEC §2), for tests.

OUT/model_index.json                   StableDiffusionPipeline, as diffusers writes it
OUT/text_encoder/model.onnx            input_ids [B, 77] int64 -> last_hidden_state [B, 77, 32]
                                       (token + position embedding, 2 pre-norm transformer layers with
                                       a causal mask, final LayerNorm: CLIP's text-model shape)
OUT/unet/model.onnx                    sample [B, 4, H, W], timestep [B] (float32, or int64 with
                                       --timestep-int64), encoder_hidden_states [B, 77, 32] -> out_sample
                                       (sinusoidal time embedding, a residual conv block, one
                                       cross-attention block, conv out); B, H and W are dynamic
OUT/unet/model_fp16.onnx               with --variants: fp16 weights and float16 I/O, as diffusers' fp16 exports
                                       have (the arithmetic inside stays float32: Casts at the edges)
OUT/unet/model_int8.onnx               with --variants: int8 weights + DequantizeLinear before each MatMul
OUT/vae_decoder/model.onnx             latent_sample [B, 4, H, W] -> sample [B, 3, 8H, 8W] (three
                                       nearest-upsample + conv stages), tanh output in [-1, 1]
OUT/tokenizer/tokenizer.json           a CLIP-like BPE (lowercase, whitespace split, "</w>" word ends,
OUT/tokenizer/tokenizer_config.json    <|startoftext|> ... <|endoftext|>), model_max_length 77
OUT/scheduler/scheduler_config.json    the PNDM config Stable Diffusion 1.x ships (scaled_linear, 1000)
OUT/{text_encoder,unet,vae_decoder}/config.json

Seeded: the same arguments give byte-identical files. Opset 17. Builds in a few seconds, ~1 MB.

Usage: /usr/bin/python3 scripts/make_sd_fixture.py --out DIR [--seed N] [--variants] [--timestep-int64]
           [--fixed-batch] [--no-vae]
  --fixed-batch  export every batch dimension as 1 (the engine then runs CFG as two passes)
  --no-vae       a pixel-space model: the UNet works on [B, 3, 32, 32] images and there is no vae_decoder/
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MAX_LENGTH = 77
HIDDEN = 32
WORDS = ["a", "an", "the", "red", "green", "blue", "yellow", "black", "white", "circle", "square",
         "triangle", "cat", "dog", "on", "of", "in", "and", "with", "photo", "painting", "small", "big",
         "emoji", "happy", "face", "star", "heart", "sun", "tree", "house", "car", "blurry", "ugly"]
SPECIALS = ["<|startoftext|>", "<|endoftext|>"]


def build_tokenizer():
    """A CLIP-like BPE: every letter alone and as a word end, then merges spelling out WORDS."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = {}
    for token in letters + [c + "</w>" for c in letters]:
        vocab[token] = len(vocab)
    merges = []
    for word in WORDS:
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        while len(pieces) > 1:
            merged = pieces[0] + pieces[1]
            merge = pieces[0] + " " + pieces[1]
            if merge not in merges:
                merges.append(merge)
            if merged not in vocab:
                vocab[merged] = len(vocab)
            pieces = [merged] + pieces[2:]
    added = []
    for special in SPECIALS:
        vocab[special] = len(vocab)
        added.append({"id": vocab[special], "content": special, "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True})
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": SPECIALS[0], "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": SPECIALS[1], "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": SPECIALS[0], "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": SPECIALS[1], "type_id": 0}}],
            "special_tokens": {s: {"id": s, "ids": [vocab[s]], "tokens": [s]} for s in SPECIALS},
        },
        "decoder": {"type": "BPEDecoder", "suffix": "</w>"},
        "model": {"type": "BPE", "dropout": None, "unk_token": SPECIALS[1], "continuing_subword_prefix": None,
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
                  "merges": merges},
    }
    config = {"tokenizer_class": "CLIPTokenizer", "model_max_length": MAX_LENGTH, "bos_token": SPECIALS[0],
              "eos_token": SPECIALS[1], "unk_token": SPECIALS[1], "pad_token": SPECIALS[1], "do_lower_case": True}
    return tokenizer, config, len(vocab)


class TextEncoder(nn.Module):
    def __init__(self, vocab_size, layers=2, heads=2):
        super().__init__()
        self.token = nn.Embedding(vocab_size, HIDDEN)
        self.position = nn.Embedding(MAX_LENGTH, HIDDEN)
        self.heads = heads
        self.layers = nn.ModuleList()
        for _ in range(layers):
            self.layers.append(nn.ModuleDict({
                "norm1": nn.LayerNorm(HIDDEN), "qkv": nn.Linear(HIDDEN, 3 * HIDDEN), "out": nn.Linear(HIDDEN, HIDDEN),
                "norm2": nn.LayerNorm(HIDDEN), "fc1": nn.Linear(HIDDEN, 2 * HIDDEN), "fc2": nn.Linear(2 * HIDDEN, HIDDEN),
            }))
        self.final = nn.LayerNorm(HIDDEN)
        mask = torch.full((MAX_LENGTH, MAX_LENGTH), -1e4).triu(1)
        self.register_buffer("mask", mask)

    def forward(self, input_ids):
        b, n = input_ids.shape
        x = self.token(input_ids) + self.position.weight[:n]
        d = HIDDEN // self.heads
        for layer in self.layers:
            q, k, v = layer["qkv"](layer["norm1"](x)).chunk(3, dim=-1)
            q, k, v = (t.reshape(b, n, self.heads, d).transpose(1, 2) for t in (q, k, v))
            scores = q @ k.transpose(-1, -2) / math.sqrt(d) + self.mask[:n, :n]
            attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, HIDDEN)
            x = x + layer["out"](attended)
            x = x + layer["fc2"](torch.nn.functional.gelu(layer["fc1"](layer["norm2"](x))))
        return self.final(x)


class UNet(nn.Module):
    def __init__(self, channels=4, width=16):
        super().__init__()
        self.width = width
        self.conv_in = nn.Conv2d(channels, width, 3, padding=1)
        self.time1 = nn.Linear(width, width)
        self.time2 = nn.Linear(width, width)
        self.norm1 = nn.GroupNorm(4, width)
        self.conv1 = nn.Conv2d(width, width, 3, padding=1)
        self.norm2 = nn.GroupNorm(4, width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)
        self.attn_norm = nn.LayerNorm(width)
        self.to_q = nn.Linear(width, width, bias=False)
        self.to_k = nn.Linear(HIDDEN, width, bias=False)
        self.to_v = nn.Linear(HIDDEN, width, bias=False)
        self.to_out = nn.Linear(width, width)
        self.norm_out = nn.GroupNorm(4, width)
        self.conv_out = nn.Conv2d(width, channels, 3, padding=1)
        half = width // 2
        self.register_buffer("freqs", torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half))

    def forward(self, sample, timestep, encoder_hidden_states):
        b = sample.shape[0]
        t = timestep.to(torch.float32).reshape(-1).expand(b)
        angles = t[:, None] * self.freqs[None, :]
        emb = torch.cat([angles.sin(), angles.cos()], dim=-1)
        emb = self.time2(torch.nn.functional.silu(self.time1(emb)))
        h = self.conv_in(sample)
        r = self.conv1(torch.nn.functional.silu(self.norm1(h))) + emb[:, :, None, None]
        h = h + self.conv2(torch.nn.functional.silu(self.norm2(r)))
        # Cross-attention: the image positions attend to the text encoder's states.
        _, c, height, width = h.shape
        tokens = h.flatten(2).transpose(1, 2)
        q = self.to_q(self.attn_norm(tokens))
        k = self.to_k(encoder_hidden_states)
        v = self.to_v(encoder_hidden_states)
        weights = (q @ k.transpose(-1, -2) / math.sqrt(c)).softmax(-1)
        tokens = tokens + self.to_out(weights @ v)
        h = tokens.transpose(1, 2).reshape(b, c, height, width)
        return self.conv_out(torch.nn.functional.silu(self.norm_out(h)))


class VaeDecoder(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.conv_in = nn.Conv2d(4, width, 3, padding=1)
        self.ups = nn.ModuleList([nn.Conv2d(width, width, 3, padding=1) for _ in range(3)])
        self.conv_out = nn.Conv2d(width, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.conv_in(latent_sample)
        for conv in self.ups:
            h = torch.nn.functional.silu(conv(torch.nn.functional.interpolate(h, scale_factor=2.0, mode="nearest")))
        return torch.tanh(self.conv_out(h))


def export(module, args, path, input_names, output_names, dynamic_axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=17, do_constant_folding=True)


def fp16_io(path):
    """Makes the float inputs and outputs of a graph float16, with Casts to and from float32 inside."""
    import onnx
    from onnx import TensorProto, helper
    model = onnx.load(path)
    graph = model.graph
    head, tail = [], []
    for graph_input in graph.input:
        if graph_input.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        inside = graph_input.name + "_fp32"
        for node in graph.node:
            node.input[:] = [inside if name == graph_input.name else name for name in node.input]
        graph_input.type.tensor_type.elem_type = TensorProto.FLOAT16
        head.append(helper.make_node("Cast", [graph_input.name], [inside], to=TensorProto.FLOAT, name=inside + "_cast"))
    for graph_output in graph.output:
        inside = graph_output.name + "_fp32"
        for node in graph.node:
            node.output[:] = [inside if name == graph_output.name else name for name in node.output]
            node.input[:] = [inside if name == graph_output.name else name for name in node.input]
        graph_output.type.tensor_type.elem_type = TensorProto.FLOAT16
        tail.append(helper.make_node("Cast", [inside], [graph_output.name], to=TensorProto.FLOAT16, name=inside + "_cast"))
    nodes = head + list(graph.node) + tail
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, path)


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", action="store_true")
    parser.add_argument("--timestep-int64", action="store_true")
    parser.add_argument("--fixed-batch", action="store_true")
    parser.add_argument("--no-vae", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    out = args.out
    batch = None if args.fixed_batch else "batch"

    tokenizer, tokenizer_config, vocab_size = build_tokenizer()
    write_json(os.path.join(out, "tokenizer", "tokenizer.json"), tokenizer)
    write_json(os.path.join(out, "tokenizer", "tokenizer_config.json"), tokenizer_config)

    text_encoder = TextEncoder(vocab_size)
    ids = torch.zeros(1, MAX_LENGTH, dtype=torch.int64)
    export(text_encoder, (ids,), os.path.join(out, "text_encoder", "model.onnx"), ["input_ids"], ["last_hidden_state"],
           {"input_ids": {0: batch}, "last_hidden_state": {0: batch}} if batch else None)
    write_json(os.path.join(out, "text_encoder", "config.json"),
               {"_class_name": "CLIPTextModel", "architectures": ["CLIPTextModel"], "hidden_size": HIDDEN,
                "max_position_embeddings": MAX_LENGTH, "vocab_size": vocab_size, "num_hidden_layers": 2})

    channels, size = (3, 32) if args.no_vae else (4, 8)
    unet = UNet(channels)
    with torch.no_grad():
        unet.conv_out.weight.mul_(0.5)
    timestep = torch.tensor([500], dtype=torch.int64 if args.timestep_int64 else torch.float32)
    sample = torch.zeros(1, channels, size, size)
    states = torch.zeros(1, MAX_LENGTH, HIDDEN)
    unet_path = os.path.join(out, "unet", "model.onnx")
    unet_axes = {"sample": {0: batch, 2: "height", 3: "width"}, "timestep": {0: batch},
                 "encoder_hidden_states": {0: batch}, "out_sample": {0: batch, 2: "height", 3: "width"}}
    if not batch:
        unet_axes = {"sample": {2: "height", 3: "width"}, "out_sample": {2: "height", 3: "width"}}
    export(unet, (sample, timestep, states), unet_path, ["sample", "timestep", "encoder_hidden_states"], ["out_sample"], unet_axes)
    write_json(os.path.join(out, "unet", "config.json"),
               {"_class_name": "UNet2DConditionModel", "in_channels": channels, "out_channels": channels,
                "sample_size": size, "cross_attention_dim": HIDDEN})
    if args.variants:
        from make_synthetic_llama import quantize_int8
        from make_variants import to_fp16
        to_fp16(unet_path, os.path.join(out, "unet", "model_fp16.onnx"))
        fp16_io(os.path.join(out, "unet", "model_fp16.onnx"))
        quantize_int8(unet_path, os.path.join(out, "unet", "model_int8.onnx"))

    components = {
        "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "OnnxRuntimeModel"],
        "scheduler": ["diffusers", "PNDMScheduler"],
    }
    if not args.no_vae:
        vae = VaeDecoder()
        latent = torch.zeros(1, 4, size, size)
        export(vae, (latent,), os.path.join(out, "vae_decoder", "model.onnx"), ["latent_sample"], ["sample"],
               {"latent_sample": {0: batch, 2: "height", 3: "width"}, "sample": {0: batch, 2: "height", 3: "width"}}
               if batch else {"latent_sample": {2: "height", 3: "width"}, "sample": {2: "height", 3: "width"}})
        write_json(os.path.join(out, "vae_decoder", "config.json"),
                   {"_class_name": "AutoencoderKL", "latent_channels": 4, "block_out_channels": [16, 16, 16, 16],
                    "scaling_factor": 0.18215, "sample_size": size * 8})
        components["vae_decoder"] = ["diffusers", "OnnxRuntimeModel"]

    write_json(os.path.join(out, "scheduler", "scheduler_config.json"), {
        "_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0", "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "num_train_timesteps": 1000,
        "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None,
        "clip_sample": False,
    })
    write_json(os.path.join(out, "model_index.json"),
               {"_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.6.0", **components,
                "safety_checker": [None, None], "feature_extractor": [None, None], "requires_safety_checker": False})


if __name__ == "__main__":
    main()
