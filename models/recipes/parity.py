"""Checks an exported graph against the PyTorch model: same logits for a prefill and KV-cache steps."""
from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import torch

from model import LlamaLM

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def onnx_logits(file: str, ids, steps: int = 3) -> np.ndarray:
    out = subprocess.run(["node", os.path.join(ROOT, "models", "recipes", "onnx_tools.mjs"), "logits", file, json.dumps(ids),
                          "--steps", str(steps)], capture_output=True, text=True, check=True, cwd=ROOT)
    d = json.loads(out.stdout)
    return np.array(d["rows"], dtype=np.float32).reshape(-1, d["vocab"])


def check(model: LlamaLM, file: str, depth: int, ids, steps: int = 3) -> float:
    """Max |Δlogit| between torch and ONNX Runtime over every position (prefill + cached steps)."""
    with torch.no_grad():
        ref = model(torch.tensor([ids]), depth=depth, want_exits=False)["logits"][0].numpy()
    got = onnx_logits(file, ids, steps)
    return float(np.abs(ref - got).max())
