"""Measurements of exported packages, on the artefacts themselves through ONNX Runtime (node):

* bits per byte: Σ −log2 p(token | prefix) over every token of each held-out story (BOS given,
  EOS not scored) ÷ the story's UTF-8 bytes — tokenizer-independent, so comparable with any model
  scored the same way (`onnx_tools.mjs quality`).
* repetition: fraction of 4-grams (of token ids) that already occurred earlier in the same
  200-token greedy continuation of a held-out story opening (first 8 words), averaged; 0 = never
  repeats, 1 = loops.
* ms/token: through the studio's engine, `node bin/pareto.js generate text … --greedy --json`
  → `metrics.msPerToken` (128 new tokens), runs interleaved across models, median taken.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Dict, List

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS = os.path.join(ROOT, "models", "recipes", "onnx_tools.mjs")


def _node(args: List[str], timeout: float = 3600) -> dict:
    out = subprocess.run(["node", *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"node {' '.join(args[:3])} failed: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def quality(pkg_dir: str, files: List[str], heldout: str, stories: int, rep_stories: int, rep_tokens: int = 200) -> Dict[str, dict]:
    """{file: {bitsPerByte, repetition, …}} for graphs of one package (files relative to it)."""
    return _node([TOOLS, "quality", pkg_dir, *files, "--heldout", heldout,
                  "--stories", str(stories), "--rep-stories", str(rep_stories), "--rep-tokens", str(rep_tokens)])


def generate(pkg_dir: str, files: List[str], prompts: List[str], tokens: int, seed: int, scratch: str) -> Dict[str, list]:
    """{file: [{prompt, ids, text}]}: seeded sampled continuations (`onnx_tools.mjs generate`, temperature 0.8, top-k 40)."""
    os.makedirs(scratch, exist_ok=True)
    path = os.path.join(scratch, "prompts.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(prompts, f)
    return _node([TOOLS, "generate", pkg_dir, *files, "--prompts", path, "--tokens", str(tokens), "--seed", str(seed)])


def compare_lambdas(models_dir: str, prompt: str, seed: int, tokens: int, lambdas=(0, 0.5, 1), home: str = "") -> List[dict]:
    """The studio's own λ choice: `pareto compare text --lambda 0,0.5,1` over the family in `models_dir`, same prompt
    and seed; [{lambda, point, text, msPerToken}]."""
    env = {**os.environ, "PARETO_MODELS_DIR": models_dir, **({"PARETO_HOME": home} if home else {})}
    args = ["node", os.path.join(ROOT, "bin", "pareto.js"), "compare", "text", "--prompt", prompt, "--seed", str(seed),
            "--lambda", ",".join(str(x) for x in lambdas), "--max-new-tokens", str(tokens), "--json"]
    out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"pareto compare failed: {out.stderr.strip()[-2000:]}")
    panes = json.loads(out.stdout.strip().splitlines()[-1])["panes"]
    return [{"lambda": p["mode"].get("lambda"), "point": p.get("point"), "text": (p.get("text") or {}).get("text"),
             "msPerToken": ((p.get("text") or {}).get("metrics") or {}).get("msPerToken")} for p in panes]


def engine_view(pkg_dir: str, file: str, scratch: str) -> str:
    """A folder the engine loads as a plain model whose onnx/model.onnx is `file` (hard links, so
    no copy and no symlink leaving the folder): lets the CLI run any variant or exit graph."""
    view = os.path.join(scratch, os.path.basename(pkg_dir.rstrip("/")) + "__" + file.replace("/", "_").replace(".onnx", ""))
    if os.path.exists(view):
        shutil.rmtree(view)
    os.makedirs(os.path.join(view, "onnx"))
    for n in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(pkg_dir, n), os.path.join(view, n))
    os.link(os.path.join(pkg_dir, file), os.path.join(view, "onnx", "model.onnx"))
    for n in os.listdir(os.path.join(pkg_dir, "onnx")):
        if n.endswith(".onnx_data"):
            os.link(os.path.join(pkg_dir, "onnx", n), os.path.join(view, "onnx", n))
    return view


def cli_generate(model_dir: str, tokens: int = 128, prompt: str = "Once upon a time", extra=()) -> dict:
    return _node([os.path.join(ROOT, "bin", "pareto.js"), "generate", "text", "--model", model_dir, "--prompt", prompt,
                  "--max-new-tokens", str(tokens), "--greedy", "--json", *extra], timeout=600)


def engine_target(pkg_dir: str, file: str, precision: str, depth: int, scratch: str):
    """How the CLI runs one operating point: `--precision P --depth D` when the engine accepts them
    for this package (it reads exits from pareto.json), else a hard-linked view folder."""
    extra = ["--precision", precision, "--depth", str(depth)]
    try:
        got = cli_generate(pkg_dir, 2, extra=extra)["config"]
        if got.get("precision") == precision and got.get("depth") == depth:
            return pkg_dir, extra
    except RuntimeError:
        pass
    return engine_view(pkg_dir, file, scratch), []


def engine_bench(targets: Dict[str, tuple], runs: int, tokens: int = 128) -> Dict[str, dict]:
    """Interleaved CLI runs; median ms/token, median TTFT and max peak RSS per operating point."""
    results: Dict[str, List[dict]] = {k: [] for k in targets}
    for _ in range(runs):
        for key, (model_dir, extra) in targets.items():
            results[key].append(cli_generate(model_dir, tokens, extra=extra)["metrics"])
    out = {}
    for key, ms in results.items():
        per = sorted(m["msPerToken"] for m in ms if m.get("msPerToken"))
        ttft = sorted(m["ttftMs"] for m in ms if m.get("ttftMs"))
        out[key] = {"msPerToken": per[len(per) // 2] if per else None, "runs": [m.get("msPerToken") for m in ms],
                    "ttftMs": ttft[len(ttft) // 2] if ttft else None,
                    "peakRssMb": max((m.get("peakRssMb") or 0) for m in ms),
                    "generatedTokens": ms[-1].get("generatedTokens"),
                    "how": " ".join(targets[key][1]) or "hard-linked view folder"}
    return out


def torch_bits_per_byte(model, tok, stories: List[str], max_len: int = 512) -> dict:
    """Bits per byte of `stories` under a PyTorch `LlamaLM`, scored as `onnx_tools.mjs quality` scores an exported
    graph (BOS given, EOS not scored, stories longer than `max_len` continue in segments that carry the previous
    128 tokens as context): a look at a training run's checkpoint without exporting it."""
    import math

    import torch
    import torch.nn.functional as F
    model.eval()
    bits, tokens, nbytes = 0.0, 0, 0
    with torch.no_grad():
        for story in stories:
            ids = tok.encode(story)
            nbytes += len(story.encode("utf-8"))
            start = 1
            while start < len(ids):
                ctx = 0 if start == 1 else max(0, start - 128)
                end = min(len(ids), ctx + max_len)
                x = torch.tensor(ids[ctx:end]).unsqueeze(0)
                logp = F.log_softmax(model(x, want_exits=False)["logits"][0].float(), dim=-1)
                tgt = torch.tensor(ids[start:end])
                bits -= logp[torch.arange(start - 1 - ctx, end - 1 - ctx), tgt].sum().item() / math.log(2)
                tokens += end - start
                start = end
    return {"bitsPerByte": bits / nbytes, "stories": len(stories), "tokens": tokens, "bytes": nbytes}
