#!/usr/bin/env python3
"""Pareto Stories text recipe: tokenizer → teacher → scaffold → student → QAT → export → evaluate → report.

    /usr/bin/python3 models/recipes/text_pipeline.py --config cpu   --out models        # 2 cores, resumable
    /usr/bin/python3 models/recipes/text_pipeline.py --config cuda  --out models        # one GPU, ~10 min
    /usr/bin/python3 models/recipes/text_pipeline.py --config smoke --out /tmp/pareto-smoke
    /usr/bin/python3 models/recipes/text_pipeline.py --config cpu --out models --peek 200   # teacher checkpoint's held-out bits/byte

Every training stage runs a fixed number of seeded steps (not minutes). Every stage writes `<work>/<stage>.done.json`
(never committed); a rerun skips finished stages and resumes training from the last checkpoint, the full one on the
machine that trained or the committed compact one (`*.resume.pt`) on a fresh clone. `--session-minutes` ends a process
cleanly (exit 75) so a long schedule is reached in several runs. After each stage the process re-executes itself, so
code edited while a long run trains is picked up by the stages that have not started yet.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import time
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# spinning OpenMP threads stall on a shared machine (see image/image_pipeline.py): wait passively
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import data  # noqa: E402
from model import LlamaLM, ModelConfig  # noqa: E402
from tokenizer import BpeTokenizer  # noqa: E402
from train import Batcher, SessionEnded, TextTrainConfig, dev_loss, load_ema, run_stage, teacher_loss  # noqa: E402

def _config(device: str, threads: int, session_minutes: float, vocab: int, teacher: dict, steps: dict, batch: int, seq: int,
            eval_every: int, **over) -> dict:
    """One recipe at a given size. Every training stage runs a fixed number of steps (`steps`), seeded, so the
    weights do not depend on the machine or its load; `session_minutes` ends one process early (checkpointed,
    exit 75) so a long schedule is reached over several runs."""
    def stage(n: int, lr: float, warmup: int, **kw) -> dict:
        return dict(steps=n, batch=batch, seq=seq, lr=lr, warmup=warmup, min_lr_frac=kw.pop("min_lr_frac", 0.1),
                    weight_decay=kw.pop("weight_decay", 0.1), decay_vectors=False, ema=kw.pop("ema", 0.999),
                    compact_optimizer=True, checkpoint_seconds=kw.pop("checkpoint_seconds", 240.0),
                    log_every=kw.pop("log_every", 50), eval_every=eval_every, patience=kw.pop("patience", 4), **kw)
    cfg = {
        "device": device, "threads": threads, "session_minutes": session_minutes,
        "train_files": data.TRAIN_FILES, "vocab_size": vocab, "tokenizer_stories": None, "dev_share": 0.03,
        "teacher": teacher,
        "teacher_train": stage(steps["teacher"], 2e-3, max(2, steps["teacher"] // 50), weight_decay=0.1),
        "scaffold": dict(heads_per_group=2, intermediate_size=teacher["intermediate_size"] * 2 // 3, dropout=0.05),
        "scaffold_train": stage(steps["scaffold"], 1e-3, max(1, steps["scaffold"] // 40)),
        # student S: 3 of the scaffold's layers, narrower (the cpu teacher: 779 K parameters, 4.5× fewer; cuda: 1.9 M, 6.8×)
        "student": dict(hidden_size=teacher["hidden_size"] * 2 // 3, layers=3, intermediate_size=teacher["intermediate_size"] * 5 // 8,
                        exits=(2,), dropout=0.05),
        "student_train": stage(steps["student"], 2e-3, max(1, steps["student"] // 40)),
        "qat_train": stage(steps["qat"], 3e-4, max(1, steps["qat"] // 20), min_lr_frac=0.3),
        "importance_batches": 4, "dev_batches": 12,
        "eval_stories": 300, "headline_stories": 1000, "rep_stories": 20, "rep_tokens": 200,
        "coherence_stories": 20, "coherence_tokens": 400, "sample_tokens": 400,
        "bench_runs": 5, "bench_tokens": 128,
        "names": {"teacher": "pareto-stories-teacher", "scaffold": "pareto-stories-student-m", "student": "pareto-stories-student-s"},
    }
    cfg.update(over)
    return cfg


# 3.5 M parameters: 1.34× the v1 teacher, deep and narrow; at ~1,450 tokens/s on 2 free cores its 3,000 steps
# (12.3 M tokens, 7.4 passes over the 1.65 M-token train split) take about 2.4 hours
TEACHER_CPU = dict(hidden_size=192, intermediate_size=512, num_hidden_layers=8, num_attention_heads=6, num_key_value_heads=2,
                   head_dim=32, max_position_embeddings=512, exits=(4, 6), window=128, sinks=4, dropout=0.1)
SMOKE_TEACHER = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                     head_dim=16, max_position_embeddings=128, exits=(1,), window=16, sinks=2, dropout=0.1)
SMOKE = dict(vocab_size=400, tokenizer_stories=300, dev_share=0.1, importance_batches=1, dev_batches=2, eval_stories=5,
             headline_stories=5, rep_stories=1, rep_tokens=20, coherence_stories=2, coherence_tokens=40, sample_tokens=40,
             bench_runs=1, bench_tokens=16, bench_all_points=False,
             scaffold=dict(heads_per_group=1, intermediate_size=48, dropout=0.0),
             student=dict(hidden_size=16, layers=1, intermediate_size=32, exits=(), dropout=0.0))
CONFIGS = {
    # a shared 2-core CPU: about 2.5 hours of teacher training per run (session_minutes), resumed from the committed
    # compact checkpoint until the schedule is done
    "cpu": _config("cpu", 2, 150, 2048, TEACHER_CPU, dict(teacher=3000, scaffold=800, student=1600, qat=300),
                   batch=16, seq=256, eval_every=250),
    # one data-centre GPU (PyTorch 2.x, bf16 autocast): a 13.8 M-parameter teacher (hidden 384, 12 heads, SwiGLU 1024) and 4×
    # the batch; 3,000 teacher steps = 49 M tokens (about 30 passes over the 1.65 M-token split, so more dropout, and
    # early stopping on the dev split ends it where it overfits), about 10 minutes end to end; the tokenised data is 6.8 MB
    "cuda": _config("cuda", 8, 10 ** 6, 2048, dict(TEACHER_CPU, hidden_size=384, intermediate_size=1024, num_attention_heads=12,
                                                   dropout=0.2),
                    dict(teacher=3000, scaffold=1000, student=2000, qat=400), batch=64, seq=256, eval_every=250),
    # CI: tiny networks, a handful of steps
    "smoke": _config("cpu", 2, 10 ** 6, 400, SMOKE_TEACHER, dict(teacher=12, scaffold=4, student=4, qat=3), batch=4, seq=64,
                     eval_every=6, **SMOKE),
}
for _k in ("teacher_train", "scaffold_train", "student_train", "qat_train"):
    CONFIGS["smoke"][_k].update(log_every=2, checkpoint_seconds=30.0)
# "pilot": the cpu config's networks and data for a few hundred steps (measures steps/s and the early learning curve);
# "cuda-smoke": the cuda config's code path (device placement, its settings) at the smoke size, runnable on a CPU
CONFIGS["pilot"] = {**CONFIGS["cpu"], "teacher_train": {**CONFIGS["cpu"]["teacher_train"], "steps": 80, "warmup": 20,
                                                          "eval_every": 40, "log_every": 10}}
CONFIGS["cuda-smoke"] = {**CONFIGS["cuda"], **{k: CONFIGS["smoke"][k] for k in (
    "teacher", "teacher_train", "scaffold_train", "student_train", "qat_train", *SMOKE)}}
STAGES = ["tokenizer", "teacher", "scaffold", "student", "qat", "export", "evaluate", "report"]


class Run:
    def __init__(self, config: str, out: str, work: str, device: str = "", session_minutes: Optional[float] = None):
        self.name, self.cfg, self.out, self.work = config, CONFIGS[config], os.path.abspath(out), os.path.abspath(work)
        self.device = torch.device(device or self.cfg["device"])
        self.session_minutes = self.cfg["session_minutes"] if session_minutes is None else session_minutes
        os.makedirs(self.work, exist_ok=True)
        self.log_path = os.path.join(self.work, "pipeline.log")

    def log(self, msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def path(self, name: str) -> str:
        return os.path.join(self.work, name)

    def done(self, stage: str):
        p = self.path(f"{stage}.done.json")
        if os.path.exists(p):
            with open(p) as f:
                return json.load(f)
        return None

    def mark(self, stage: str, info: dict) -> None:
        with open(self.path(f"{stage}.done.json.tmp"), "w") as f:
            json.dump(info, f, indent=2)
        os.replace(self.path(f"{stage}.done.json.tmp"), self.path(f"{stage}.done.json"))

    # ---- shared data ---------------------------------------------------------------------
    def tokenizer(self) -> BpeTokenizer:
        return BpeTokenizer.load(self.path("tokenizer.json"))

    def streams(self):
        if not os.path.exists(self.path("tokens.npz")):  # not committed: re-tokenised from the committed tokenizer
            _tokenise(self, self.tokenizer())
        z = np.load(self.path("tokens.npz"))
        return z["train"], z["dev"]

    def train_config(self, key: str) -> TextTrainConfig:
        return TextTrainConfig.from_entry(self.cfg[key])

    def batcher(self, stream, tc: TextTrainConfig, mc: ModelConfig, seed: int) -> Batcher:
        tok = self.tokenizer()
        return Batcher(stream, tok.bos_id, tc.seq, tc.batch, mc.max_position_embeddings, mc.sinks, tc.jump_prob, seed)

    def dev_batches(self, mc: ModelConfig, n: int):
        """`n` fixed batches of the train-side dev split (never the held-out head), seed 1234."""
        _, dev = self.streams()
        tc = dataclasses.replace(self.train_config("teacher_train"), jump_prob=0.0)
        b = self.batcher(dev, tc, mc, seed=1234)
        return [b.next() for _ in range(n)]

    def dev_scorer(self, mc: ModelConfig):
        """The early-stopping score: mean CE on the dev batches (model on the run's device)."""
        batches = [(i.to(self.device), p.to(self.device)) for i, p in self.dev_batches(mc, self.cfg["dev_batches"])]
        return lambda model: dev_loss(model, batches)

    def train(self, module, loss, stream, key: str, mc: ModelConfig, seed: int, ckpt: str, tag: str, scorer_model=None) -> dict:
        tc = self.train_config(key)
        batcher = self.batcher(stream, tc, mc, seed)
        device = self.device
        module.to(device)

        def on_device(m, ids, pos):
            amp = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
            with amp:
                return loss(m, ids.to(device), pos.to(device))
        scorer = self.dev_scorer(mc)
        evaluate = (lambda m: scorer(scorer_model(m))) if scorer_model else scorer
        try:
            out = run_stage(module, on_device, batcher, tc, self.session_minutes, self.path(ckpt), self.log, tag, evaluate)
        except SessionEnded as e:
            self.log(str(e))
            sys.exit(75)
        module.cpu()
        return out

    def save_model(self, model: LlamaLM, name: str, extra=None) -> None:
        torch.save({"config": model.c.to_dict(), "state": model.state_dict(), **(extra or {})}, self.path(name + ".tmp"))
        os.replace(self.path(name + ".tmp"), self.path(name))

    def load_model(self, name: str) -> LlamaLM:
        blob = torch.load(self.path(name), map_location="cpu")
        m = LlamaLM(ModelConfig.from_dict(blob["config"]))
        m.load_state_dict(blob["state"])
        return m


def _split(r: Run):
    """Stories of the train files and a seeded train / dev split of them (dev: early stopping and pruning scores)."""
    stories = data.train_stories(r.cfg["train_files"])
    n = r.cfg["tokenizer_stories"]
    if n:
        stories = stories[:n]
    order = np.random.default_rng(0).permutation(len(stories))
    n_dev = max(2, int(len(stories) * r.cfg["dev_share"]))
    return stories, sorted(order[:n_dev].tolist()), order[n_dev:]


def _tokenise(r: Run, tok: BpeTokenizer) -> dict:
    stories, dev_ids, train_ids = _split(r)

    def stream(indices):
        out = []
        for i in indices:
            out.extend(tok.encode(stories[i]) + [tok.eos_id])
        return np.array(out, dtype=np.int32)

    train_stream, dev_stream = stream(train_ids), stream(dev_ids)
    np.savez(r.path("tokens.npz"), train=train_stream, dev=dev_stream)
    train_bytes = sum(len(stories[i].encode("utf-8")) for i in train_ids)
    return {"train_stories": len(train_ids), "dev_stories": len(dev_ids), "train_tokens": int(len(train_stream)),
            "dev_tokens": int(len(dev_stream)), "train_bytes": train_bytes, "bytes_per_token": train_bytes / len(train_stream)}


def stage_tokenizer(r: Run) -> dict:
    t0 = time.time()
    if os.path.exists(r.path("tokenizer.json")) and r.name in ("cpu", "cuda"):
        tok = r.tokenizer()  # committed with a run in progress: its checkpoints use these ids
        r.log(f"[tokenizer] reusing {r.path('tokenizer.json')}")
    else:
        stories, _, train_ids = _split(r)
        tok = BpeTokenizer.train([stories[i] for i in train_ids], r.cfg["vocab_size"])
        tok.save(r.path("tokenizer.json"))
    info = {"vocab": len(tok.vocab), "merges": len(tok.merges), **_tokenise(r, tok), "seconds": time.time() - t0}
    r.log(f"[tokenizer] {info}")
    return info


def teacher_model(r: Run) -> LlamaLM:
    torch.manual_seed(0)
    return LlamaLM(ModelConfig(vocab_size=len(r.tokenizer().vocab), **r.cfg["teacher"]))


def peek(r: Run, stories: int) -> dict:
    """Held-out bits/byte of the teacher's latest checkpoint (EMA weights) on the first `stories` stories, in PyTorch."""
    import evaluate
    model = teacher_model(r)
    step = load_ema(model, r.path("teacher.ckpt"))
    t0 = time.time()
    res = evaluate.torch_bits_per_byte(model, r.tokenizer(), data.heldout_stories()[:stories])
    res.update({"step": step, "of": r.cfg["teacher_train"]["steps"], "seconds": round(time.time() - t0, 1),
                "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
    r.log(f"[peek] teacher at step {step}: held-out bits/byte {res['bitsPerByte']:.4f} on the first {stories} stories")
    with open(r.path("peek_teacher.json"), "a", encoding="utf-8") as f:
        f.write(json.dumps(res) + "\n")
    return res


def stage_teacher(r: Run) -> dict:
    model = teacher_model(r)
    mc = model.c
    if os.path.exists(r.path("teacher.pt")) and not os.path.exists(r.path("teacher.ckpt")) and r.name in ("cpu", "cuda"):
        # committed when its schedule finished: a fresh clone goes on to the students (delete it to retrain)
        model = r.load_model("teacher.pt")
        r.log(f"[teacher] reusing {r.path('teacher.pt')}")
        return {"parameters": model.num_parameters(), "reused": True,
                "dev_ce": dev_loss(model, r.dev_batches(mc, r.cfg["dev_batches"]))}
    r.log(f"[teacher] {model.num_parameters()} parameters, config {mc.to_dict()}")
    train_stream, _ = r.streams()
    metrics = r.train(model, teacher_loss(0.3), train_stream, "teacher_train", mc, 0, "teacher.ckpt", "teacher")
    dev = r.dev_batches(mc, r.cfg["dev_batches"])
    metrics["dev_ce"] = dev_loss(model, dev)
    r.save_model(model, "teacher.pt")
    return {"parameters": model.num_parameters(), **metrics}


def _with_dropout(model: LlamaLM, p: float) -> LlamaLM:
    model.c = dataclasses.replace(model.c, dropout=p)
    for layer in model.layers:
        layer.self_attn.c = model.c
    return model


def stage_scaffold(r: Run) -> dict:
    from distil import Distillation, kd_loss
    from prune import prune_heads_and_ffn, taylor_importance
    teacher = r.load_model("teacher.pt")
    dev = r.dev_batches(teacher.c, r.cfg["importance_batches"])
    sc = r.cfg["scaffold"]
    imp = taylor_importance(teacher, dev)
    scaffold = _with_dropout(prune_heads_and_ffn(teacher, imp, sc["heads_per_group"], sc["intermediate_size"]), sc["dropout"])
    pruned_dev = dev_loss(scaffold, dev)
    r.log(f"[scaffold] pruned to {scaffold.num_parameters()} parameters; dev CE right after pruning {pruned_dev:.3f} "
          f"(teacher {dev_loss(teacher, dev):.3f})")
    L = teacher.c.num_hidden_layers
    wrap = Distillation(scaffold, teacher.c.hidden_size, {j: j for j in range(1, L + 1)})
    train_stream, _ = r.streams()
    teacher.to(r.device)
    metrics = r.train(wrap, kd_loss(teacher), train_stream, "scaffold_train", scaffold.c, 1, "scaffold.ckpt", "scaffold",
                      scorer_model=lambda w: w.student)
    metrics["dev_ce"] = dev_loss(scaffold, dev)
    metrics["dev_ce_after_pruning"] = pruned_dev
    r.save_model(scaffold, "scaffold.pt")
    return {"parameters": scaffold.num_parameters(), **metrics}


def _student_init(r: Run):
    from prune import prune_width_and_depth, rank_layers, taylor_importance
    scaffold = r.load_model("scaffold.pt")
    dev = r.dev_batches(scaffold.c, r.cfg["importance_batches"])
    sc = r.cfg["student"]
    imp = taylor_importance(scaffold, dev)
    layers = rank_layers(scaffold, dev, sc["layers"], r.log)
    student, hid = prune_width_and_depth(scaffold, imp, sc["hidden_size"], layers, sc["intermediate_size"], tuple(sc["exits"]))
    student = _with_dropout(student, sc["dropout"])
    layer_map = {j + 1: layers[j] + 1 for j in range(len(layers))}
    return scaffold, student, hid, layer_map, dev


def stage_student(r: Run) -> dict:
    from distil import Distillation, kd_loss
    scaffold, student, hid, layer_map, dev = _student_init(r)
    pruned_dev = dev_loss(student, dev)
    r.log(f"[student] pruned to {student.num_parameters()} parameters (layers {layer_map}); dev CE right after pruning {pruned_dev:.3f}")
    wrap = Distillation(student, scaffold.c.hidden_size, layer_map, hid)
    train_stream, _ = r.streams()
    scaffold.to(r.device)
    metrics = r.train(wrap, kd_loss(scaffold), train_stream, "student_train", student.c, 2, "student.ckpt", "student",
                      scorer_model=lambda w: w.student)
    metrics["dev_ce"] = dev_loss(student, dev)
    metrics["dev_ce_after_pruning"] = pruned_dev
    r.save_model(student, "student_kd.pt", {"layer_map": layer_map, "hidden_channels": hid.tolist(), "proj": wrap.proj.state_dict()})
    return {"parameters": student.num_parameters(), "layer_map": layer_map, **metrics}


def stage_qat(r: Run) -> dict:
    from distil import Distillation, kd_loss
    scaffold = r.load_model("scaffold.pt")
    blob = torch.load(r.path("student_kd.pt"))
    student = r.load_model("student_kd.pt")
    dev = r.dev_batches(student.c, r.cfg["importance_batches"])
    before = dev_loss(student, dev)
    student.set_quant(True)
    before_q = dev_loss(student, dev)
    wrap = Distillation(student, scaffold.c.hidden_size, blob["layer_map"], torch.tensor(blob["hidden_channels"]))
    if "proj" in blob:  # the hidden-state projections the student stage trained (not fresh ones)
        wrap.proj.load_state_dict(blob["proj"])
    train_stream, _ = r.streams()
    scaffold.to(r.device)
    metrics = r.train(wrap, kd_loss(scaffold), train_stream, "qat_train", student.c, 3, "qat.ckpt", "qat",
                      scorer_model=lambda w: w.student)
    after_q = dev_loss(student, dev)
    student.set_quant(False)
    after = dev_loss(student, dev)
    r.log(f"[qat] dev CE fp32 {before:.3f} → {after:.3f}; fake-int8 {before_q:.3f} → {after_q:.3f}")
    r.save_model(student, "student.pt", {"layer_map": blob["layer_map"]})
    return {"dev_ce_fp32_before": before, "dev_ce_int8_before": before_q, "dev_ce_int8_after": after_q,
            "dev_ce_fp32_after": after, **metrics}


def packages(r: Run):
    n = r.cfg["names"]
    return [(n["teacher"], "teacher.pt", "teacher", None), (n["scaffold"], "scaffold.pt", "student", n["teacher"]),
            (n["student"], "student.pt", "student", n["scaffold"])]


def stage_export(r: Run) -> dict:
    from package import write_package
    import shutil
    tok = r.tokenizer()
    out = {}
    for name, ckpt, role, _ in packages(r):
        model = r.load_model(ckpt)
        depths = sorted(set(model.c.exits) | {model.c.num_hidden_layers})
        pkg = os.path.join(r.out, name)
        if os.path.exists(os.path.join(pkg, "onnx")):
            shutil.rmtree(os.path.join(pkg, "onnx"))
        files = write_package(pkg, model, tok, depths, ["fp32", "fp16", "int8"])
        out[name] = {"files": {k: list(v) for k, v in files.items()}, "parameters": model.num_parameters()}
        r.log(f"[export] {name}: {len(files)} graphs")
    return out


def stage_evaluate(r: Run) -> dict:
    import evaluate
    heldout = os.path.join(data.DATA_DIR, data.HELDOUT_FILE)
    exported = r.done("export")
    cfg = r.cfg
    results = {}
    for name, _, _, _ in packages(r):
        pkg = os.path.join(r.out, name)
        files = exported[name]["files"]
        measured = evaluate.quality(pkg, list(files), heldout, cfg["eval_stories"], cfg["rep_stories"], cfg["rep_tokens"])
        results[name] = {}
        for file, (precision, depth) in files.items():
            q = measured[file]
            results[name][file] = {"precision": precision, "depth": depth, **q}
            r.log(f"[evaluate] {name} {file}: bpb {q['bitsPerByte']:.4f} rep {q['repetition']:.3f}")
    # coherence of 400-token continuations, per operating point (coherence.py)
    import coherence
    prompts = coherence.openings(data.heldout_stories(), cfg["coherence_stories"])
    stories, _, train_ids = _split(r)
    vocab = coherence.vocabulary(stories[i] for i in train_ids)
    scratch = r.path("coherence")
    for name, _, _, _ in packages(r):
        samples = evaluate.generate(os.path.join(r.out, name), list(exported[name]["files"]), prompts, cfg["coherence_tokens"], 1, scratch)
        for file, got in samples.items():
            c = coherence.score(got, vocab)
            results[name][file]["coherence"] = c
            results[name][file]["coherenceSample"] = got[0]["prompt"] + " " + got[0]["text"]
            r.log(f"[evaluate] {name} {file}: consistency {c['consistency']:.3f} (names kept {c['namesKept']}, "
                  f"real words {c['realWords']:.3f}, repetition {c['repetition']:.3f} over {c['tokens']:.0f} tokens)")
    headline = {}
    fixture = os.path.join(evaluate.ROOT, "..", "shared", "fixtures", "tinystories-656k-onnx")
    if os.path.exists(fixture):
        headline["fixture"] = evaluate.quality(fixture, ["onnx/model.onnx"], heldout, cfg["headline_stories"], cfg["rep_stories"], cfg["rep_tokens"])["onnx/model.onnx"]
        r.log(f"[evaluate] fixture: bpb {headline['fixture']['bitsPerByte']:.4f}")
        got = evaluate.generate(fixture, ["onnx/model.onnx"], prompts, cfg["coherence_tokens"], 1, scratch)["onnx/model.onnx"]
        headline["fixture"]["coherence"] = coherence.score(got, vocab)
    n = cfg["names"]
    for key, name, file in (("teacher", n["teacher"], "onnx/model.onnx"), ("student_s_fp32", n["student"], "onnx/model.onnx"),
                            ("student_s_int8", n["student"], "onnx/model_int8.onnx"), ("student_m_fp32", n["scaffold"], "onnx/model.onnx")):
        headline[key] = evaluate.quality(os.path.join(r.out, name), [file], heldout, cfg["headline_stories"], 0, 0)[file]
        r.log(f"[evaluate] headline {key}: bpb {headline[key]['bitsPerByte']:.4f}")
    return {"points": results, "headline": headline}


def stage_report(r: Run) -> dict:
    import report
    return report.build(r, packages(r))


RUNNERS = {"tokenizer": stage_tokenizer, "teacher": stage_teacher, "scaffold": stage_scaffold, "student": stage_student,
           "qat": stage_qat, "export": stage_export, "evaluate": stage_evaluate, "report": stage_report}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", choices=sorted(CONFIGS), required=True)
    ap.add_argument("--out", required=True, help="folder that receives the model packages (models/ for the full run)")
    ap.add_argument("--work", help="checkpoints and logs (default: models/recipes/runs/text/<config> for cpu, cuda and pilot, "
                                   "<out>/_work otherwise)")
    ap.add_argument("--device", help="cpu or cuda (default: the config's; cuda-smoke runs the cuda code path with --device cpu)")
    ap.add_argument("--session-minutes", type=float, default=None,
                    help="end this process after this much training (checkpointed, exit 75); rerun the same command to resume")
    ap.add_argument("--until", choices=STAGES, help="stop after this stage")
    ap.add_argument("--redo", choices=STAGES, help="forget this stage and every later one, then run")
    ap.add_argument("--no-reexec", action="store_true", help="run all stages in this process")
    ap.add_argument("--rerender-report", action="store_true",
                    help="rewrite the report markdown, model cards and pareto.json from the saved measurements, then exit")
    ap.add_argument("--peek", type=int, default=0, metavar="N",
                    help="score the teacher's latest checkpoint on the first N held-out stories (PyTorch), then exit")
    a = ap.parse_args()
    work = a.work or (os.path.join(HERE, "runs", "text", a.config) if a.config in ("cpu", "cuda", "pilot") else os.path.join(a.out, "_work"))
    r = Run(a.config, a.out, work, a.device or "", a.session_minutes)
    if r.device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    torch.set_num_threads(r.cfg["threads"])
    if a.peek:
        peek(r, a.peek)
        return 0
    if a.rerender_report:
        import report
        report.rerender(r, packages(r))
        return 0
    if a.redo:
        for s in STAGES[STAGES.index(a.redo):]:
            p = r.path(f"{s}.done.json")
            if os.path.exists(p):
                os.remove(p)
    for stage in STAGES:
        if r.done(stage) is None:
            t0 = time.time()
            r.log(f"== stage {stage} ({a.config}) ==")
            info = RUNNERS[stage](r)
            info["stage_seconds"] = time.time() - t0
            r.mark(stage, info)
            r.log(f"== stage {stage} done in {info['stage_seconds'] / 60:.1f} min ==")
            if a.until == stage:
                return 0
            if not a.no_reexec and stage != STAGES[-1]:
                args = [sys.executable, os.path.abspath(__file__), "--config", a.config, "--out", a.out, "--work", work,
                        "--device", str(r.device), "--session-minutes", str(r.session_minutes)]
                if a.until:
                    args += ["--until", a.until]
                os.execv(sys.executable, args)
        if a.until == stage:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
