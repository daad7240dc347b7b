"""Quantisation: the int8 rule shared by QAT (fake quantisation in `model.py`) and the exporter.

Symmetric, per output channel, zero point 0, levels −127…127: scale = max|w| / 127 per channel.
During the last student stage every linear weight and the tied embedding are fake-quantised with
this rule (straight-through gradient), so the int8 graph that ONNX Runtime runs (DequantizeLinear
→ MatMul, fused into 8-bit MatMulNBits) sees the weights the student was trained with.
"""
from __future__ import annotations

import numpy as np

from model import LlamaLM


def int8_rows(w: np.ndarray):
    """Per-row int8 of a [rows, cols] matrix (rows = output channels): (int8 values, float32 scales)."""
    scale = np.maximum(np.abs(w).max(axis=1) / 127.0, 1e-8).astype(np.float32)
    q = np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def enable_qat(model: LlamaLM) -> LlamaLM:
    model.set_quant(True)
    return model
