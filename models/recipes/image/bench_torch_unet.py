#!/usr/bin/env python3
"""Times one UNet step in PyTorch eager with the SAME weights as the exported ONNX graphs (the state
dicts the recipe saved), batch 2 (one classifier-free-guided step), and prints JSON:

    /usr/bin/python3 models/recipes/image/bench_torch_unet.py [--weights models/recipes/runs/image/full/student_unet.pt] \
        [--batch 2] [--runs 20] [--threads N]
    → {"weights": ..., "batch": 2, "threads": N, "msPerStep": [..., per run], "medianMs": ...}

The peer for `pareto bench image` → ratios.vsPytorchEager (ours = onnxruntime-node on unet/model.onnx).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from torch_unet import load_unet  # noqa: E402

DEFAULT = os.path.join(HERE, "..", "runs", "image", "full", "student_unet.pt")


@torch.no_grad()
def time_step(weights: str, batch: int = 2, runs: int = 20, warmup: int = 3) -> list:
    unet = load_unet(weights)
    ctx_len, ctx_dim = 16, unet.c.context_dim
    torch.manual_seed(0)
    side = 32 if unet.c.in_channels == 3 else 16  # pixel-space v1 packages: 32×32 RGB; latent v2: 16×16 latents
    x = torch.randn(batch, unet.c.in_channels, side, side)
    t = torch.full((batch,), 500, dtype=torch.int64)
    ctx = torch.randn(batch, ctx_len, ctx_dim)
    ms = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        unet(x, t, ctx)
        if i >= warmup:
            ms.append((time.perf_counter() - t0) * 1000)
    return ms


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default=DEFAULT, help="a UNet state dict saved by the recipe (teacher_unet.pt / student_unet.pt)")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    if not os.path.exists(a.weights):
        print(f"bench_torch_unet: {a.weights} does not exist; run `npm run models:image` first or pass --weights.", file=sys.stderr)
        return 2
    torch.set_num_threads(a.threads)
    ms = time_step(a.weights, a.batch, a.runs)
    print(json.dumps({"weights": os.path.relpath(a.weights), "batch": a.batch, "threads": a.threads,
                      "msPerStep": [round(m, 3) for m in ms], "medianMs": round(sorted(ms)[len(ms) // 2], 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
