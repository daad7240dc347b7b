#!/usr/bin/env python3
"""Pareto Stories text recipe: tokenizer → teacher → scaffold → student → QAT → export → evaluate → report.

    /usr/bin/python3 models/recipes/text_pipeline.py --config full  --out models
    /usr/bin/python3 models/recipes/text_pipeline.py --config smoke --out /tmp/pareto-smoke

Every stage writes `<work>/<stage>.done.json`; a rerun skips finished stages and resumes training
from the last checkpoint. After each stage the process re-executes itself, so code edited while a
long run trains is picked up by the stages that have not started yet.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import data  # noqa: E402
from model import LlamaLM, ModelConfig  # noqa: E402
from tokenizer import BpeTokenizer  # noqa: E402
from train import Batcher, TrainConfig, dev_loss, teacher_loss, train  # noqa: E402

CONFIGS = {
    "full": {
        "threads": 1,
        "vocab_size": 2048,
        "tokenizer_stories": None,
        "teacher": dict(hidden_size=192, intermediate_size=320, num_hidden_layers=8, num_attention_heads=6,
                        num_key_value_heads=2, head_dim=32, max_position_embeddings=512, exits=(4, 6),
                        window=128, sinks=4),
        "teacher_train": dict(minutes=38, steps=100000, batch=8, seq=256, lr=2e-3, warmup=30),
        "scaffold": dict(heads_per_group=2, intermediate_size=224),
        "scaffold_train": dict(minutes=11, steps=100000, batch=8, seq=256, lr=1e-3, warmup=15),
        "student": dict(hidden_size=128, layers=3, intermediate_size=208, exits=(2,)),
        "student_train": dict(minutes=13, steps=100000, batch=8, seq=256, lr=2e-3, warmup=20),
        "qat_train": dict(minutes=5, steps=100000, batch=8, seq=256, lr=3e-4, warmup=5, min_lr_frac=0.3),
        "importance_batches": 4,
        "eval_stories": 300, "headline_stories": 1000, "rep_stories": 20, "rep_tokens": 200,
        "bench_runs": 5, "bench_tokens": 128,
        "names": {"teacher": "pareto-stories-teacher", "scaffold": "pareto-stories-student-m", "student": "pareto-stories-student-s"},
    },
    "smoke": {
        "threads": 2,
        "vocab_size": 400,
        "tokenizer_stories": 300,
        "teacher": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                        num_key_value_heads=1, head_dim=16, max_position_embeddings=128, exits=(1,),
                        window=16, sinks=2),
        "teacher_train": dict(minutes=1, steps=12, batch=4, seq=64, lr=3e-3, warmup=2, log_every=4),
        "scaffold": dict(heads_per_group=1, intermediate_size=48),
        "scaffold_train": dict(minutes=1, steps=4, batch=4, seq=64, lr=1e-3, warmup=1, log_every=2),
        "student": dict(hidden_size=16, layers=1, intermediate_size=32, exits=()),
        "student_train": dict(minutes=1, steps=4, batch=4, seq=64, lr=2e-3, warmup=1, log_every=2),
        "qat_train": dict(minutes=1, steps=3, batch=4, seq=64, lr=3e-4, warmup=1, log_every=1),
        "importance_batches": 1,
        "eval_stories": 5, "headline_stories": 5, "rep_stories": 1, "rep_tokens": 20,
        "bench_runs": 1, "bench_tokens": 16, "bench_all_points": False,
        "names": {"teacher": "pareto-stories-teacher", "scaffold": "pareto-stories-student-m", "student": "pareto-stories-student-s"},
    },
}
STAGES = ["tokenizer", "teacher", "scaffold", "student", "qat", "export", "evaluate", "report"]


class Run:
    def __init__(self, config: str, out: str, work: str):
        self.name, self.cfg, self.out, self.work = config, CONFIGS[config], os.path.abspath(out), os.path.abspath(work)
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
        z = np.load(self.path("tokens.npz"))
        return z["train"], z["dev"]

    def batcher(self, stream, tc: TrainConfig, mc: ModelConfig, seed: int) -> Batcher:
        tok = self.tokenizer()
        return Batcher(stream, tok.bos_id, tc.seq, tc.batch, mc.max_position_embeddings, mc.sinks, tc.jump_prob, seed)

    def dev_batches(self, mc: ModelConfig, n: int):
        _, dev = self.streams()
        tc = TrainConfig(**self.cfg["teacher_train"])
        b = self.batcher(dev, dataclasses.replace(tc, jump_prob=0.0), mc, seed=1234)
        return [b.next() for _ in range(n)]

    def save_model(self, model: LlamaLM, name: str, extra=None) -> None:
        torch.save({"config": model.c.to_dict(), "state": model.state_dict(), **(extra or {})}, self.path(name + ".tmp"))
        os.replace(self.path(name + ".tmp"), self.path(name))

    def load_model(self, name: str) -> LlamaLM:
        blob = torch.load(self.path(name))
        m = LlamaLM(ModelConfig.from_dict(blob["config"]))
        m.load_state_dict(blob["state"])
        return m


def stage_tokenizer(r: Run) -> dict:
    t0 = time.time()
    stories = data.train_stories()
    n = r.cfg["tokenizer_stories"]
    if n:
        stories = stories[:n]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(stories))
    n_dev = max(2, len(stories) // 50)
    dev_ids, train_ids = set(order[:n_dev].tolist()), order[n_dev:]
    tok = BpeTokenizer.train([stories[i] for i in train_ids], r.cfg["vocab_size"])
    tok.save(r.path("tokenizer.json"))

    def stream(indices):
        out = []
        for i in indices:
            out.extend(tok.encode(stories[i]) + [tok.eos_id])
        return np.array(out, dtype=np.int32)

    train_stream, dev_stream = stream(train_ids), stream(sorted(dev_ids))
    np.savez(r.path("tokens.npz"), train=train_stream, dev=dev_stream)
    train_bytes = sum(len(stories[i].encode("utf-8")) for i in train_ids)
    info = {"vocab": len(tok.vocab), "merges": len(tok.merges), "train_stories": len(train_ids), "dev_stories": len(dev_ids),
            "train_tokens": int(len(train_stream)), "train_bytes": train_bytes, "bytes_per_token": train_bytes / len(train_stream),
            "seconds": time.time() - t0}
    r.log(f"[tokenizer] {info}")
    return info


def stage_teacher(r: Run) -> dict:
    tok = r.tokenizer()
    mc = ModelConfig(vocab_size=len(tok.vocab), **r.cfg["teacher"])
    torch.manual_seed(0)
    model = LlamaLM(mc)
    r.log(f"[teacher] {model.num_parameters()} parameters, config {mc.to_dict()}")
    tc = TrainConfig(**r.cfg["teacher_train"])
    train_stream, _ = r.streams()
    metrics = train(model, teacher_loss(0.3), r.batcher(train_stream, tc, mc, seed=0), tc, r.path("teacher.ckpt"), r.log, "teacher")
    dev = r.dev_batches(mc, r.cfg["importance_batches"])
    metrics["dev_ce"] = dev_loss(model, dev)
    r.save_model(model, "teacher.pt")
    return {"parameters": model.num_parameters(), **metrics}


def stage_scaffold(r: Run) -> dict:
    from distil import Distillation, kd_loss
    from prune import prune_heads_and_ffn, taylor_importance
    teacher = r.load_model("teacher.pt")
    dev = r.dev_batches(teacher.c, r.cfg["importance_batches"])
    sc = r.cfg["scaffold"]
    ckpt = r.path("scaffold.ckpt")
    imp = taylor_importance(teacher, dev)
    scaffold = prune_heads_and_ffn(teacher, imp, sc["heads_per_group"], sc["intermediate_size"])
    pruned_dev = dev_loss(scaffold, dev)
    r.log(f"[scaffold] pruned to {scaffold.num_parameters()} parameters; dev CE right after pruning {pruned_dev:.3f} "
          f"(teacher {dev_loss(teacher, dev):.3f})")
    L = teacher.c.num_hidden_layers
    wrap = Distillation(scaffold, teacher.c.hidden_size, {j: j for j in range(1, L + 1)})
    tc = TrainConfig(**r.cfg["scaffold_train"])
    train_stream, _ = r.streams()
    metrics = train(wrap, kd_loss(teacher), r.batcher(train_stream, tc, scaffold.c, seed=1), tc, ckpt, r.log, "scaffold")
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
    layer_map = {j + 1: layers[j] + 1 for j in range(len(layers))}
    return scaffold, student, hid, layer_map, dev


def stage_student(r: Run) -> dict:
    from distil import Distillation, kd_loss
    scaffold, student, hid, layer_map, dev = _student_init(r)
    pruned_dev = dev_loss(student, dev)
    r.log(f"[student] pruned to {student.num_parameters()} parameters (layers {layer_map}); dev CE right after pruning {pruned_dev:.3f}")
    wrap = Distillation(student, scaffold.c.hidden_size, layer_map, hid)
    tc = TrainConfig(**r.cfg["student_train"])
    train_stream, _ = r.streams()
    metrics = train(wrap, kd_loss(scaffold), r.batcher(train_stream, tc, student.c, seed=2), tc, r.path("student.ckpt"), r.log, "student")
    metrics["dev_ce"] = dev_loss(student, dev)
    metrics["dev_ce_after_pruning"] = pruned_dev
    r.save_model(student, "student_kd.pt", {"layer_map": layer_map, "hidden_channels": hid.tolist()})
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
    tc = TrainConfig(**r.cfg["qat_train"])
    train_stream, _ = r.streams()
    metrics = train(wrap, kd_loss(scaffold), r.batcher(train_stream, tc, student.c, seed=3), tc, r.path("qat.ckpt"), r.log, "qat")
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
    headline = {}
    fixture = os.path.join(evaluate.ROOT, "..", "shared", "fixtures", "tinystories-656k-onnx")
    if os.path.exists(fixture):
        headline["fixture"] = evaluate.quality(fixture, ["onnx/model.onnx"], heldout, cfg["headline_stories"], cfg["rep_stories"], cfg["rep_tokens"])["onnx/model.onnx"]
        r.log(f"[evaluate] fixture: bpb {headline['fixture']['bitsPerByte']:.4f}")
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
    ap.add_argument("--work", help="checkpoints and logs (default: models/recipes/runs/<config> for full, <out>/_work otherwise)")
    ap.add_argument("--until", choices=STAGES, help="stop after this stage")
    ap.add_argument("--redo", choices=STAGES, help="forget this stage and every later one, then run")
    ap.add_argument("--no-reexec", action="store_true", help="run all stages in this process")
    ap.add_argument("--rerender-report", action="store_true",
                    help="rewrite the report markdown, model cards and pareto.json from the saved measurements, then exit")
    a = ap.parse_args()
    work = a.work or (os.path.join(HERE, "runs", a.config) if a.config == "full" else os.path.join(a.out, "_work"))
    r = Run(a.config, a.out, work)
    torch.set_num_threads(r.cfg["threads"])
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
                args = [sys.executable, os.path.abspath(__file__), "--config", a.config, "--out", a.out, "--work", work]
                if a.until:
                    args += ["--until", a.until]
                os.execv(sys.executable, args)
        if a.until == stage:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
