#!/usr/bin/env python3
"""Times one UNet step in PyTorch eager with the SAME weights as the exported ONNX graphs (the state
dicts the recipe saved), at the engine's batch (1 for a guidance-distilled student, 2 for one
classifier-free-guided step), under torch.inference_mode, and prints JSON:

    /usr/bin/python3 models/recipes/image/bench_torch_unet.py [--weights models/recipes/runs/image/cpu/student_unet.pt] \
        [--batch 2] [--runs 20] [--threads N]
    → {"weights": ..., "batch": 2, "threads": N, "msPerStep": [..., per run], "medianMs": ...}

    ... --serve: loads the weights once, then answers each stdin line {"runs": R, "threads": T} with one
    line {"threads": T, "msPerStep": [...]}, so a benchmark can interleave these runs with its own.

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


class Step:
    """A UNet with fixed inputs at a timestep in the middle of the schedule."""

    def __init__(self, weights: str, batch: int):
        self.unet = load_unet(weights)
        ctx_len, ctx_dim = 16, self.unet.c.context_dim
        torch.manual_seed(0)
        side = 32 if self.unet.c.in_channels == 3 else 16  # pixel-space v1 packages: 32×32 RGB; latent v2: 16×16 latents
        self.x = torch.randn(batch, self.unet.c.in_channels, side, side)
        self.t = torch.full((batch,), 500, dtype=torch.int64)
        self.ctx = torch.randn(batch, ctx_len, ctx_dim)

    @torch.inference_mode()
    def time(self, runs: int, warmup: int = 3) -> list:
        ms = []
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            self.unet(self.x, self.t, self.ctx)
            if i >= warmup:
                ms.append((time.perf_counter() - t0) * 1000)
        return ms


def time_step(weights: str, batch: int = 2, runs: int = 20, warmup: int = 3) -> list:
    return Step(weights, batch).time(runs, warmup)


def serve(step: Step) -> None:
    """One request a line on stdin, one answer a line on stdout; ends with stdin."""
    step.time(1)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        threads = int(request["threads"])
        torch.set_num_threads(threads)
        ms = step.time(int(request["runs"]), warmup=2)
        print(json.dumps({"threads": threads, "msPerStep": [round(m, 3) for m in ms]}), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default=DEFAULT, help="a UNet state dict saved by the recipe (teacher_unet.pt / student_unet.pt)")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--serve", action="store_true", help="time on request from stdin (see above)")
    a = ap.parse_args()
    if not os.path.exists(a.weights):
        print(f"bench_torch_unet: {a.weights} does not exist; run `npm run models:image` first or pass --weights.", file=sys.stderr)
        return 2
    torch.set_num_threads(a.threads)
    step = Step(a.weights, a.batch)
    if a.serve:
        serve(step)
        return 0
    ms = step.time(a.runs)
    print(json.dumps({"weights": os.path.relpath(a.weights), "batch": a.batch, "threads": a.threads,
                      "msPerStep": [round(m, 3) for m in ms], "medianMs": round(sorted(ms)[len(ms) // 2], 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
