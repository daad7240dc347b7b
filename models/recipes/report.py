"""Table 1 of the paper, measured in one run on this machine, plus each package's pareto.json and
MODEL_CARD.md (which carry the measured quality of every operating point)."""
from __future__ import annotations

import json
import os
import platform
import shutil
import time
from typing import Dict, List

import onnx

import data
import evaluate
from package import FAMILY, write_manifest

RECIPE = "models/recipes/text_pipeline.py"


def graph_bytes(path: str) -> int:
    """Bytes of one operating point: the graph file plus the external data it references."""
    m = onnx.load(path, load_external_data=False)
    ext = 0
    for init in m.graph.initializer:
        for e in init.external_data:
            if e.key == "length":
                ext += int(e.value)
    return os.path.getsize(path) + ext


def active_parameters(cfg: dict, depth: int) -> int:
    d, f, hd = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
    h, k, v = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["vocab_size"]
    per_layer = d * h * hd * 2 + d * k * hd * 2 + 3 * d * f + 2 * d
    return v * d + depth * per_layer + d


def _pareto(points: List[dict]) -> None:
    for p in points:
        p["paretoOptimal"] = not any(
            q is not p and q["msPerToken"] is not None and p["msPerToken"] is not None and
            q["msPerToken"] <= p["msPerToken"] and q["bitsPerByte"] <= p["bitsPerByte"] and
            (q["msPerToken"] < p["msPerToken"] or q["bitsPerByte"] < p["bitsPerByte"]) for q in points)


def t_pt_params(pts: List[dict]) -> int:
    return max(p["parameters"] for p in pts)


def _fmt(x, nd=3):
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def build(r, packages) -> dict:
    cfg = r.cfg
    ev = r.done("evaluate")
    exported = r.done("export")
    stages = {s: r.done(s) for s in ("tokenizer", "teacher", "scaffold", "student", "qat", "export", "evaluate")}
    scratch = os.path.join(r.work, "engine-views")
    os.makedirs(scratch, exist_ok=True)
    fixture_dir = os.path.abspath(os.path.join(evaluate.ROOT, "..", "shared", "fixtures", "tinystories-656k-onnx"))

    # ---- operating points --------------------------------------------------------------------
    points: List[dict] = []
    for name, _, role, teacher in packages:
        pkg = os.path.join(r.out, name)
        with open(os.path.join(pkg, "config.json")) as f:
            hf = json.load(f)
        for file, (precision, depth) in exported[name]["files"].items():
            q = ev["points"][name][file]
            points.append({"key": f"{name}:{file}", "package": name, "role": role, "file": file, "precision": precision,
                           "depth": depth, "fullDepth": hf["num_hidden_layers"],
                           "parameters": exported[name]["parameters"], "activeParameters": active_parameters(hf, depth),
                           "bytes": graph_bytes(os.path.join(pkg, file)), "bitsPerByte": q["bitsPerByte"],
                           "repetition": q["repetition"], "samples": q.get("samples", []), "msPerToken": None,
                           "coherence": q.get("coherence"), "coherenceSample": q.get("coherenceSample")})
    machine = {"platform": platform.platform(), "cpu": _cpu_name(), "cores": os.cpu_count(),
               "loadavg_at_bench": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    for name, _, role, teacher in packages:  # quality first, so the engine can resolve depth exits
        write_manifest(os.path.join(r.out, name), _manifest(r, name, role, teacher, [p for p in points if p["package"] == name], machine, packages))

    targets = {}
    for p in points:
        if cfg.get("bench_all_points", True) or p["depth"] == p["fullDepth"]:
            targets[p["key"]] = evaluate.engine_target(os.path.join(r.out, p["package"]), p["file"], p["precision"], p["depth"], scratch)
    targets["fixture"] = (fixture_dir, [])
    r.log(f"[report] engine bench: {len(targets)} operating points × {cfg['bench_runs']} interleaved runs "
          f"({sum(1 for t in targets.values() if t[1])} through --precision/--depth)")
    t0 = time.time()
    machine["loadavg_at_bench"] = os.getloadavg()
    bench = evaluate.engine_bench(targets, cfg["bench_runs"], cfg["bench_tokens"])
    r.log(f"[report] engine bench took {(time.time() - t0) / 60:.1f} min")
    for p in points:
        b = bench.get(p["key"], {"msPerToken": None, "runs": [], "ttftMs": None, "peakRssMb": None, "how": None})
        p.update({"msPerToken": b["msPerToken"], "msPerTokenRuns": b["runs"], "ttftMs": b["ttftMs"], "peakRssMb": b["peakRssMb"],
                  "tokensPerSecond": 1000 / b["msPerToken"] if b["msPerToken"] else None, "benchHow": b["how"]})
    _pareto(points)
    shutil.rmtree(scratch, ignore_errors=True)
    # what the studio writes at λ 0 / 0.5 / 1: its own choice of operating point, one prompt, one seed
    import coherence
    prompt = coherence.openings(data.heldout_stories(), 1)[0]
    home = os.path.join(r.work, "pareto-home")
    lambda_samples = evaluate.compare_lambdas(r.out, prompt, 7, cfg["sample_tokens"], home=home)
    shutil.rmtree(home, ignore_errors=True)
    for pane in lambda_samples:
        r.log(f"[report] λ {pane['lambda']}: {pane['point']}")

    teacher_name = packages[0][0]
    t_pt = next(p for p in points if p["package"] == teacher_name and p["precision"] == "fp32" and p["file"] == "onnx/model.onnx")
    for p in points:
        p["compression"] = t_pt["bytes"] / p["bytes"]
        p["parameterRatio"] = t_pt["parameters"] / p["parameters"]
        p["speedup"] = t_pt["msPerToken"] / p["msPerToken"] if p["msPerToken"] else None
        p["bitsPerByteVsTeacher"] = p["bitsPerByte"] / t_pt["bitsPerByte"] - 1

    fixture_q = ev["headline"].get("fixture")
    fixture = None
    if fixture_q:
        fb = bench["fixture"]
        fixture = {"package": "tinystories-656k-onnx (fixture, reference only)", "parameters": 656_000,
                   "bytes": os.path.getsize(os.path.join(fixture_dir, "onnx", "model.onnx")),
                   "msPerToken": fb["msPerToken"], "peakRssMb": fb["peakRssMb"], "ttftMs": fb["ttftMs"],
                   "bitsPerByte": fixture_q["bitsPerByte"], "repetition": fixture_q["repetition"], "coherence": fixture_q.get("coherence"),
                   "stories": fixture_q["stories"]}
        try:
            with open(os.path.join(fixture_dir, "config.json")) as f:
                fc = json.load(f)
            fixture["parameters"] = active_parameters({**fc, "head_dim": fc["hidden_size"] // fc["num_attention_heads"]}, fc["num_hidden_layers"])
        except (OSError, KeyError):
            pass

    # ---- targets -------------------------------------------------------------------------------
    student_name = packages[-1][0]
    s_pts = [p for p in points if p["package"] == student_name]
    s_int8 = next(p for p in s_pts if p["file"] == "onnx/model_int8.onnx")
    s_fp32 = next(p for p in s_pts if p["file"] == "onnx/model.onnx")
    head = ev["headline"]
    targets = {
        "parameterRatio": {"value": t_pt["parameters"] / s_fp32["parameters"], "target": 4.0},
        "speedupInt8FullDepth": {"value": s_int8["speedup"], "target": 3.0},
        "speedupFp32FullDepth": {"value": s_fp32["speedup"], "target": 3.0},
        "bitsPerByteGapInt8": {"value": head["student_s_int8"]["bitsPerByte"] / head["teacher"]["bitsPerByte"] - 1, "target": 0.10},
        "bitsPerByteGapFp32": {"value": head["student_s_fp32"]["bitsPerByte"] / head["teacher"]["bitsPerByte"] - 1, "target": 0.10},
        "bitsPerByteGapMiddle": {"value": head["student_m_fp32"]["bitsPerByte"] / head["teacher"]["bitsPerByte"] - 1, "target": 0.04},
        "teacherBitsPerByte": {"value": head["teacher"]["bitsPerByte"], "target": 1.13},
        "teacherBeatsStudents": {"value": min(head[k]["bitsPerByte"] for k in ("student_s_fp32", "student_s_int8", "student_m_fp32"))
                                 - head["teacher"]["bitsPerByte"], "target": 0.0},
        "lambdaPointsDiffer": {"value": len({json.dumps({k: v for k, v in (p["point"] or {}).items() if k != "lambda"}, sort_keys=True)
                                               for p in lambda_samples}), "target": 3},
    }
    lower_is_better = ("bitsPerByteGapInt8", "bitsPerByteGapFp32", "bitsPerByteGapMiddle", "teacherBitsPerByte")
    for k, t in targets.items():
        if k == "teacherBeatsStudents":
            t["met"] = t["value"] > t["target"]
        else:
            t["met"] = (t["value"] is not None) and (t["value"] <= t["target"] if k in lower_is_better else t["value"] >= t["target"])

    total_onnx = sum(os.path.getsize(os.path.join(r.out, n, "onnx", f)) for n, *_ in packages
                     for f in os.listdir(os.path.join(r.out, n, "onnx")))
    result = {"config": r.name, "machine": machine, "heldout": {"file": data.HELDOUT_FILE, "pointStories": cfg["eval_stories"],
              "headlineStories": cfg["headline_stories"]}, "stages": stages, "points": points, "headline": head,
              "fixture": fixture, "targets": targets, "totalOnnxBytes": total_onnx, "lambdaSamples": lambda_samples,
              "lambdaPrompt": prompt, "lambdaSeed": 7, "sampleTokens": cfg["sample_tokens"],
              "benchMethod": f"node bin/pareto.js generate text --greedy --max-new-tokens {cfg['bench_tokens']} --json, "
                             f"{cfg['bench_runs']} interleaved runs per operating point, median metrics.msPerToken; "
                             "variants and exits selected with the CLI's --precision/--depth (the engine resolves them from pareto.json)"}

    # ---- packages: model card + pareto.json ---------------------------------------------------
    for name, _, role, teacher in packages:
        pkg = os.path.join(r.out, name)
        pts = [p for p in points if p["package"] == name]
        with open(os.path.join(pkg, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
            f.write(model_card(name, role, teacher, pts, result, r))
        write_manifest(pkg, _manifest(r, name, role, teacher, pts, machine, packages))

    reports = reports_dir(r)
    os.makedirs(reports, exist_ok=True)
    with open(os.path.join(reports, "text-table1.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
    with open(os.path.join(reports, "text-table1.md"), "w", encoding="utf-8") as f:
        f.write(table_markdown(result, packages))
    r.log(f"[report] targets {json.dumps({k: (round(v['value'], 3) if v['value'] is not None else None, v['met']) for k, v in targets.items()})}")
    return {"targets": targets, "totalOnnxBytes": total_onnx}


def reports_dir(r) -> str:
    """`models/recipes/reports/` when the run writes the bundled packages (`--out models`), else `<work>/reports`: the
    committed report always describes what ships."""
    bundled = os.path.abspath(r.out) == os.path.join(evaluate.ROOT, "models")
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "reports") if bundled else os.path.join(r.work, "reports")


def _manifest(r, name: str, role: str, teacher, pts: List[dict], machine: dict, packages) -> dict:
    with open(os.path.join(r.out, name, "config.json")) as f:
        attn = json.load(f)["pareto_attention"]
    label = {"teacher": "Pareto Stories — teacher"}.get(role) or (
        "Pareto Stories — student M" if name.endswith("-m") else "Pareto Stories — student S" if name.endswith("-s") else name)
    return {
        "schemaVersion": 1, "kind": "text", "family": FAMILY, "name": label, "role": role, "parameters": pts[0]["parameters"],
        "provenance": {"teacher": teacher, "data": [f"TinyStories train split: {f}" for f in data.TRAIN_FILES],
                       "licence": "CDLA-Sharing-1.0 (weights trained only on TinyStories, Eldan & Li 2023, CDLA-Sharing-1.0)",
                       "recipe": RECIPE, "heldOut": data.HELDOUT_FILE},
        "attention": {"trainedWindow": attn["window"], "sinks": attn["sinks"]},
        "operatingPoints": [{"precision": p["precision"], "depth": p["depth"], "file": p["file"],
                             "quality": {"bitsPerByte": round(p["bitsPerByte"], 4), "repetition": round(p["repetition"], 4),
                                         **({"consistency": round(p["coherence"]["consistency"], 4)} if p.get("coherence") else {})},
                             "measured": {"msPerToken": p["msPerToken"] and round(p["msPerToken"], 3), "bytes": p["bytes"],
                                          "device": machine["cpu"]}}
                            for p in sorted(pts, key=lambda p: (-p["depth"], {"fp32": 0, "fp16": 1, "int8": 2}.get(p["precision"], 9)))],
    }


def rerender(r, packages) -> None:
    """Rewrites the markdown report, model cards and pareto.json from the saved JSON (no re-measurement)."""
    reports = reports_dir(r)
    with open(os.path.join(reports, "text-table1.json"), encoding="utf-8") as f:
        result = json.load(f)
    conf_path = os.path.join(reports, "text-speed-confirmation.json")
    if os.path.exists(conf_path):
        with open(conf_path) as f:
            result["speedConfirmation"] = json.load(f)
    graph_path = os.path.join(reports, "text-graph-bench-1thread.json")
    if os.path.exists(graph_path):
        with open(graph_path) as f:
            result["graphBench1Thread"] = json.load(f)
    points = result["points"]
    for name, _, role, teacher in packages:
        pkg = os.path.join(r.out, name)
        pts = [p for p in points if p["package"] == name]
        with open(os.path.join(pkg, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
            f.write(model_card(name, role, teacher, pts, result, r))
        write_manifest(pkg, _manifest(r, name, role, teacher, pts, result["machine"], packages))
    with open(os.path.join(reports, "text-table1.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
    with open(os.path.join(reports, "text-table1.md"), "w", encoding="utf-8") as f:
        f.write(table_markdown(result, packages))


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _coh(c, key: str) -> str:
    return _fmt((c or {}).get(key), 3) if (c or {}).get(key) is not None else "n/a"


def _point_rows(points: List[dict]) -> List[str]:
    rows = ["| package | file | precision | depth | params (active) | size MB | compression | ms/token | speed-up | bits/byte | vs teacher | "
            "repetition | consistency | names kept | real words | rep. 400 | peak RSS MB | Pareto |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in points:
        c = p.get("coherence")
        rows.append(f"| {p['package']} | `{p['file']}` | {p['precision']} | {p['depth']} | {p['parameters']:,} ({p['activeParameters']:,}) | "
                    f"{p['bytes'] / 1e6:.2f} | {p['compression']:.2f}× | {_fmt(p['msPerToken'], 2)} | {_fmt(p['speedup'], 2)}× | "
                    f"{p['bitsPerByte']:.4f} | {p['bitsPerByteVsTeacher'] * 100:+.1f}% | {p['repetition']:.3f} | {_coh(c, 'consistency')} | "
                    f"{_coh(c, 'namesKept')} | {_coh(c, 'realWords')} | {_coh(c, 'repetition')} | {_fmt(p['peakRssMb'], 0)} | "
                    f"{'●' if p['paretoOptimal'] else ''} |")
    return rows


def r_sample_tokens(res: dict) -> int:
    return int(res.get("sampleTokens", 400))


def table_markdown(res: dict, packages) -> str:
    pts = res["points"]
    head = res["headline"]
    t = res["targets"]
    tname, mname, sname = packages[0][0], packages[1][0], packages[2][0]

    def pick(pkg, file):
        return next(p for p in pts if p["package"] == pkg and p["file"] == file)

    rows = [("Teacher (fp32, full depth)", pick(tname, "onnx/model.onnx"), head.get("teacher")),
            ("Student M (fp32)", pick(mname, "onnx/model.onnx"), head.get("student_m_fp32")),
            ("Student S (fp32)", pick(sname, "onnx/model.onnx"), head.get("student_s_fp32")),
            ("Student S (int8, QAT)", pick(sname, "onnx/model_int8.onnx"), head.get("student_s_int8"))]
    shallow = [p for p in pts if p["package"] == sname and p["precision"] == "int8" and p["depth"] < max(q["depth"] for q in pts if q["package"] == sname)]
    L = []
    L.append("# Table 1 — Pareto Stories text family, teacher vs students (measured on this machine)\n")
    m = res["machine"]
    L.append(f"One run of `{RECIPE} --config {res['config']}` on {m['cpu']} ({m['cores']} cores, shared with other work; "
             f"load average at the speed measurement {', '.join(f'{x:.1f}' for x in m['loadavg_at_bench'])}), {m['date']}.\n")
    L.append("Bits/byte = total negative log-likelihood in bits of every token of each held-out story given its prefix "
             "(BOS given, EOS not scored) ÷ the stories' UTF-8 bytes, on the TinyStories validation head "
             f"(`{res['heldout']['file']}`, never trained on). Headline rows: first {res['heldout']['headlineStories']} stories; "
             f"operating-point table: first {res['heldout']['pointStories']} stories. ms/token: {res['benchMethod']}. "
             "Peak RSS is the whole `pareto` CLI process (Node + ONNX Runtime + model). Energy is not reported: this VM exposes "
             "no RAPL / battery counters and the CLI's energy source is null.\n")
    L.append("## Teacher vs students\n")
    L.append("| model | params | size MB | compression | ms/token | tokens/s | speed-up | bits/byte | Δ vs teacher | repetition | consistency | peak RSS MB |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    tb = head["teacher"]["bitsPerByte"]
    for label, p, h in rows:
        L.append(f"| {label} | {p['parameters']:,} | {p['bytes'] / 1e6:.2f} | {p['compression']:.2f}× | {_fmt(p['msPerToken'], 2)} | "
                 f"{_fmt(p['tokensPerSecond'], 0)} | {_fmt(p['speedup'], 2)}× | {h['bitsPerByte']:.4f} | {(h['bitsPerByte'] / tb - 1) * 100:+.1f}% | "
                 f"{p['repetition']:.3f} | {_coh(p.get('coherence'), 'consistency')} | {_fmt(p['peakRssMb'], 0)} |")
    for p in shallow:
        L.append(f"| Student S (int8, exit {p['depth']}) | {p['activeParameters']:,} active | {p['bytes'] / 1e6:.2f} | {p['compression']:.2f}× | "
                 f"{_fmt(p['msPerToken'], 2)} | {_fmt(p['tokensPerSecond'], 0)} | {_fmt(p['speedup'], 2)}× | {p['bitsPerByte']:.4f}* | "
                 f"{p['bitsPerByteVsTeacher'] * 100:+.1f}%* | {p['repetition']:.3f} | {_coh(p.get('coherence'), 'consistency')} | {_fmt(p['peakRssMb'], 0)} |")
    if res.get("fixture"):
        fx = res["fixture"]
        L.append(f"| Fixture tinystories-656k (reference; not a teacher) | {fx['parameters']:,} | {fx['bytes'] / 1e6:.2f} | – | "
                 f"{_fmt(fx['msPerToken'], 2)} | {_fmt(1000 / fx['msPerToken'] if fx['msPerToken'] else None, 0)} | – | {fx['bitsPerByte']:.4f} | "
                 f"{(fx['bitsPerByte'] / tb - 1) * 100:+.1f}% | {fx['repetition']:.3f} | {_coh(fx.get('coherence'), 'consistency')} | {_fmt(fx['peakRssMb'], 0)} |")
    if shallow:
        L.append(f"\n\\* exit rows: bits/byte on the {res['heldout']['pointStories']}-story subset, compared with the teacher on the same subset.\n")
    L.append("\n## Targets (smallest shipped student = Student S)\n")
    names = {"parameterRatio": "≥ 4× fewer parameters than the teacher",
             "speedupInt8FullDepth": "≥ 3× lower ms/token (student int8, full depth, vs teacher fp32)",
             "speedupFp32FullDepth": "≥ 3× lower ms/token (student fp32, full depth, vs teacher fp32)",
             "bitsPerByteGapInt8": "bits/byte within +10% of the teacher (student int8)",
             "bitsPerByteGapFp32": "bits/byte within +10% of the teacher (student fp32)",
             "bitsPerByteGapMiddle": "bits/byte within +4% of the teacher (student M fp32)",
             "teacherBitsPerByte": "teacher bits/byte ≤ 1.13 on the held-out head (fixture 1.1322)",
             "teacherBeatsStudents": "teacher better than every student (lowest student bits/byte − teacher's)",
             "lambdaPointsDiffer": "λ 0 / 0.5 / 1 choose three different operating points"}
    L.append("| target | measured | met |")
    L.append("|---|---|---|")
    for k, v in t.items():
        val = v["value"]
        shown = ("n/a" if val is None else f"{val * 100:+.1f}%" if k.startswith("bitsPerByteGap") else f"{val:.4f}" if k.startswith("teacher")
                 else str(val) if k == "lambdaPointsDiffer" else f"{val:.2f}×")
        verdict = "yes" if v["met"] else "**no**"
        conf_key = {"speedupInt8FullDepth": "student S int8 d3", "speedupFp32FullDepth": "student S fp32 d3"}.get(k)
        conf = res.get("speedConfirmation")
        if conf and conf_key in conf.get("speedups", {}):
            c = conf["speedups"][conf_key]
            verdict += f" in this run; {'yes' if c >= v['target'] else '**no**'} in the {conf['runs']}-run check ({c:.2f}×)"
        L.append(f"| {names[k]} | {shown} | {verdict} |")
    shallow_int8 = [p for p in shallow if p["msPerToken"]]
    if shallow_int8:
        p = min(shallow_int8, key=lambda p: p["depth"])
        L.append(f"\nThe slider's efficient end, Student S int8 at exit {p['depth']} ({p['activeParameters']:,} active parameters, "
                 f"{t_pt_params(pts) / p['activeParameters']:.1f}× fewer than the teacher): {_fmt(p['speedup'], 2)}× lower ms/token, "
                 f"bits/byte {p['bitsPerByteVsTeacher'] * 100:+.1f}% against the teacher on the {res['heldout']['pointStories']}-story subset.")
    conf = res.get("speedConfirmation")
    if conf:
        sp = conf["speedups"]
        L.append(f"\n**Speed check after the run** (`confirm_speed.py`, {conf['runs']} interleaved CLI runs per point, {conf['date']}, load "
                 f"{', '.join(f'{x:.1f}' for x in conf['loadavg'])}): " +
                 "; ".join(f"{k} {v['msPerToken']:.2f} ms/token ({sp[k]:.2f}×)" for k, v in conf["points"].items()) +
                 ". " + (f"Below 3× in that run: {', '.join(k for k, v in sp.items() if v < 3 and not k.startswith('teacher'))}. "
                        if any(v < 3 for k, v in sp.items() if not k.startswith("teacher")) else "") +
                 f"Single runs range {min(min(v['runs']) for v in conf['points'].values()):.2f}–"
                 f"{max(max(v['runs']) for v in conf['points'].values()):.2f} ms/token, so a speed target this close to the measured "
                 "ratio is only met reliably where both measurements clear it.")
    gb = res.get("graphBench1Thread")
    if gb:
        tkey = next((k for k in gb if "teacher" in k and k.endswith("/model.onnx")), None)
        if tkey:
            L.append("\n**Graph-only decode cost** (`onnx_tools.mjs bench --threads 1`: the same greedy KV-cache loop straight on "
                     "onnxruntime-node with one intra-op thread, no engine; 9 interleaved runs, median): " +
                     "; ".join(f"`{k.split('models/')[-1]}` {v['msPerToken']:.2f} ms ({gb[tkey]['msPerToken'] / v['msPerToken']:.2f}×)"
                               for k, v in gb.items()) +
                     f". Without the engine the student graphs are ≥ {min(gb[tkey]['msPerToken'] / v['msPerToken'] for k, v in gb.items() if 'student-s' in k):.2f}× "
                     "faster than the teacher's fp32 graph; the CLI runs ONNX Runtime with two intra-op threads on this busy 2-core "
                     "VM and adds its own per-token work, which narrows the ratio and adds most of the noise.")
    if res.get("fixture"):
        fx = res["fixture"]
        s8 = head["student_s_int8"]["bitsPerByte"]
        tok = res["stages"]["tokenizer"]
        L.append(f"\n## Against the fixture model\n\nThe fixture `tinystories-656k-onnx` ({fx['parameters']:,} parameters, trained on the full "
                 f"TinyStories set — about a thousand times more text than this recipe's {tok['train_bytes'] / 1e6:.1f} MB / "
                 f"{tok['train_tokens'] / 1e6:.2f} M tokens) scores {fx['bitsPerByte']:.4f} bits/byte on the same {fx['stories']} held-out "
                 f"stories; Student S (int8) scores {s8:.4f} ({(s8 / fx['bitsPerByte'] - 1) * 100:+.1f}%) and the teacher {tb:.4f} "
                 f"({(tb / fx['bitsPerByte'] - 1) * 100:+.1f}%). The teacher trained {res['stages']['teacher'].get('steps', 0):,} steps on "
                 f"{tok['train_tokens'] / 1e6:.2f} M distinct tokens (it saw each about {res['stages']['teacher'].get('tokens', 0) / tok['train_tokens']:.1f} "
                 "times). The fixture was used only for this comparison; it taught nothing that ships.\n")
    L.append("\n## Reading these numbers\n")
    st = res["stages"]
    extra = sum((st.get(k) or {}).get("tokens", 0) for k in ("scaffold", "student", "qat"))
    gap = head["student_s_int8"]["bitsPerByte"] / tb - 1
    if gap <= 0.0:
        L.append(f"* **Student S is not worse than the teacher on bits/byte ({gap * 100:+.1f}%)** because the teacher is under-trained for its "
                 f"size: it saw {st['teacher']['tokens']:,} tokens, and the distillation chain then trained on {extra:,} more (scaffold, "
                 "student, QAT), each time against a teacher's full distribution. With a converged teacher (the paper's setting) a "
                 "student this size would be expected to lose some quality; this run does not show that loss, so the comparison "
                 "flatters the students.")
    else:
        L.append(f"* Student S is {gap * 100:+.1f}% on bits/byte against the teacher, which saw {st['teacher']['tokens']:,} training tokens; "
                 f"the distillation chain trained on {extra:,} more.")
    pairs = [(p, q) for p in pts for q in pts if p["package"] == q["package"] and p["depth"] == q["depth"] and p["precision"] == "fp32" and q["precision"] == "fp16"]
    if pairs:
        diffs = [abs(q["msPerToken"] / p["msPerToken"] - 1) for p, q in pairs if p["msPerToken"] and q["msPerToken"]]
        if diffs:
            L.append(f"* **Timing noise.** The fp16 graphs do the same float32 arithmetic as fp32 (only their stored weights are "
                     f"half-size), yet their medians differ from fp32 by up to {max(diffs) * 100:.0f}% (mean {sum(diffs) / len(diffs) * 100:.0f}%): "
                     "that is this shared 2-core VM's run-to-run noise; compare it with the margins on the speed targets above. "
                     "Raw runs are in the JSON (`msPerTokenRuns`).")
    conf = res.get("speedConfirmation")
    if conf:
        sp = conf["speedups"]
        L.append(f"* **Confirmation run** ({conf['runs']} interleaved runs per point, {conf['date']}, `confirm_speed.py`, after the "
                 "pipeline): teacher fp32 vs " + ", ".join(f"{k}: {v:.2f}×" for k, v in sp.items() if not k.startswith("teacher")) + ".")
    timed = [p for p in pts if p["msPerToken"]]
    if timed:
        fastest = min(timed, key=lambda p: p["msPerToken"])
        L.append(f"* ms/token is not proportional to size: the fastest point ({fastest['package']} {fastest['precision']} depth "
                 f"{fastest['depth']}, {fastest['activeParameters']:,} active parameters) still takes {fastest['msPerToken']:.2f} ms, "
                 "so per-token work outside the matrix products (ONNX Runtime's per-node cost, sampling, Node) is a large share at "
                 "this size, which keeps the speed-up of a smaller student below its parameter ratio.")
    rss = [p["peakRssMb"] for p in pts if p.get("peakRssMb")]
    if rss:
        smallest = min(pts, key=lambda p: p["bytes"])
        L.append(f"* Peak RSS spans {min(rss):.0f}–{max(rss):.0f} MB; most of it is the Node + ONNX Runtime process itself "
                 f"(the smallest graph, {smallest['bytes'] / 1e6:.2f} MB of weights, peaks at {_fmt(smallest.get('peakRssMb'), 0)} MB).\n")
    if res.get("lambdaSamples"):
        L.append(f"\n## What the slider writes: {r_sample_tokens(res)}-token samples at λ 0, 0.5, 1\n")
        L.append(f"`pareto compare text --lambda 0,0.5,1 --seed {res['lambdaSeed']} --max-new-tokens {r_sample_tokens(res)}` over this family, "
                 f"the studio choosing each point; prompt (a held-out opening): *{res['lambdaPrompt']}*\n")
        for pane in res["lambdaSamples"]:
            pt = pane.get("point") or {}
            where = " ".join(str(pt.get(k)) for k in ("model", "precision", "depth") if pt.get(k) is not None)
            L.append(f"**λ {pane['lambda']}** ({where}; {_fmt(pane.get('msPerToken'), 2)} ms/token):\n")
            L.append("> " + (pane.get("text") or "").replace("\n", " ").strip() + "\n")
    L.append("\n## Coherence\n")
    L.append("Per operating point, mean over held-out openings that name a character (first two sentences), one seeded sampled "
             "continuation each (temperature 0.8, top-k 40, EOS suppressed: 400 tokens): *names kept* = share of the prompt's characters "
             "mentioned again; *real words* = share of words that occur in the training text; *rep. 400* = share of token 4-grams "
             "already seen in the continuation; *consistency* = names kept × real words × (1 − rep. 400), per story, averaged "
             "(`models/recipes/coherence.py`). The *repetition* column is the older 200-token greedy measure.\n")
    L.append("\n## Every operating point\n")
    L.extend(_point_rows(pts))
    L.append(f"\nTotal size of all shipped text ONNX files (graphs + shared external data): {res['totalOnnxBytes'] / 1e6:.2f} MB "
             f"({res['totalOnnxBytes']:,} bytes).\n")
    L.append("\n## Stages (this run)\n")
    L.append("| stage | minutes | notes |")
    L.append("|---|---|---|")
    for s, info in res["stages"].items():
        if not info:
            continue
        note = ""
        if s == "tokenizer":
            note = f"vocab {info['vocab']}, {info['train_tokens']:,} training tokens, {info['bytes_per_token']:.2f} bytes/token"
        elif s in ("teacher", "scaffold", "student", "qat"):
            note = f"{info.get('steps', 0)} steps, {info.get('tokens', 0):,} tokens, dev CE {info.get('dev_ce', info.get('dev_ce_int8_after', 0)):.3f}"
            if "dev_ce_after_pruning" in info:
                note += f" (right after pruning {info['dev_ce_after_pruning']:.3f})"
            if s == "qat":
                note += f"; fake-int8 dev CE {info['dev_ce_int8_before']:.3f} → {info['dev_ce_int8_after']:.3f}"
        L.append(f"| {s} | {info.get('stage_seconds', 0) / 60:.1f} | {note} |")
    return "\n".join(L) + "\n"


def model_card(name: str, role: str, teacher, pts: List[dict], res: dict, r) -> str:
    st = res["stages"]
    p0 = pts[0]
    with open(os.path.join(r.out, name, "config.json")) as f:
        hf = json.load(f)
    L = [f"# {name}\n",
         f"Part of the **Pareto Stories** text family of Pareto Studio: a Llama-style decoder (RMSNorm, RoPE, SwiGLU, grouped-query "
         f"attention) for short children's stories in English. Role: **{role}**" + (f", distilled from `{teacher}`." if teacher else "."),
         "",
         "## Architecture",
         "",
         f"{p0['parameters']:,} parameters; hidden {hf['hidden_size']}, {hf['num_hidden_layers']} layers, {hf['num_attention_heads']} query heads / "
         f"{hf['num_key_value_heads']} KV heads of {hf['head_dim']}, SwiGLU {hf['intermediate_size']}, vocabulary {hf['vocab_size']} "
         f"(byte-fallback BPE trained by the recipe), tied input/output embedding, context {hf['max_position_embeddings']}. "
         f"Trained with a local attention window of {hf['pareto_attention']['window']} positions plus {hf['pareto_attention']['sinks']} "
         f"global sink positions (the graphs enforce the same rule, so a runtime that keeps the sinks and the last "
         f"{hf['pareto_attention']['window']} KV positions gets the same results). Depths offered (exit heads + full depth): "
         f"{', '.join(str(x) for x in hf['pareto_exits'])}.",
         "",
         "## Data and licences",
         "",
         f"Trained only on TinyStories train-split text ({', '.join(data.TRAIN_FILES)}; {st['tokenizer']['train_bytes'] / 1e6:.1f} MB, "
         f"{st['tokenizer']['train_tokens'] / 1e6:.2f} M tokens of the recipe's tokenizer), licence "
         f"{data.LICENCE}; the weights are shared under the same CDLA-Sharing-1.0 terms. Evaluated on `{data.HELDOUT_FILE}` (the first 1,000 "
         "validation stories), never trained on. The `tinystories-656k-onnx` fixture was used only to compare bits/byte; it is not a "
         "teacher of this model.",
         "",
         "## Method",
         "",
         "Recipe `models/recipes/` (one command: `npm run models:text`): tokenizer → teacher (next-token cross-entropy + exit losses) → "
         "student M = teacher pruned by first-order Taylor importance (query heads per KV group, SwiGLU channels) and distilled from the teacher "
         "(logit KL at τ=2 + cross-entropy + per-layer hidden-state MSE + exit losses) → student S = student M pruned in width (hidden channels "
         "by Taylor importance, whole heads) and depth (greedy layer removal by dev loss), distilled from student M, then quantisation-aware "
         "training with int8 fake quantisation (per output channel, symmetric) of every weight. The teacher's and student M's int8 variants are "
         "post-training quantised with the same rule.",
         "",
         "Precision variants: `model.onnx` fp32; `model_fp16.onnx` stores weights as float16 and casts them to float32 inside the graph "
         "(inputs, outputs, KV cache and arithmetic stay float32 — on CPU this halves the file, not the compute); `model_int8.onnx` int8 "
         "weights + DequantizeLinear(axis=1) → MatMul, which ONNX Runtime fuses into 8-bit MatMulNBits (its CPU kernel also quantises "
         "activations per block, so int8 quality is measured on the graph, not assumed). `model_exit{K}*.onnx` contain only the first K "
         "layers. All graphs of one precision share one external-data file (`*.onnx_data`).",
         "",
         "## Measured operating points",
         "",
         f"Bits/byte on the first {res['heldout']['pointStories']} held-out stories; repetition = fraction of token 4-grams already seen "
         f"earlier in a {r.cfg['rep_tokens']}-token greedy continuation of a held-out story opening (first 8 words), mean over "
         f"{r.cfg['rep_stories']} openings (0 = never repeats); ms/token through the studio's CLI on {res['machine']['cpu']} "
         f"(shared 2-core VM, median of {r.cfg['bench_runs']} interleaved runs; run-to-run noise there is 20–40%, so treat small "
         "ms/token differences as ties).",
         "",
         "| file | precision | depth | size MB | bits/byte | repetition | ms/token |",
         "|---|---|---|---|---|---|---|"]
    order = {"fp32": 0, "fp16": 1, "int8": 2}
    for p in sorted(pts, key=lambda p: (-p["depth"], order.get(p["precision"], 9))):
        L.append(f"| `{p['file']}` | {p['precision']} | {p['depth']} | {p['bytes'] / 1e6:.2f} | {p['bitsPerByte']:.4f} | {p['repetition']:.3f} | {_fmt(p['msPerToken'], 2)} |")
    samples = next((p["samples"] for p in pts if p["file"] == "onnx/model.onnx" and p.get("samples")), [])
    if samples:
        L += ["", "Greedy continuations of held-out openings (fp32, full depth, first 60 tokens):", ""]
        L += [f"> {s}" for s in samples]
    L += ["", "## Limits", "",
          "* Tiny model, tiny data: it writes TinyStories-style English only, with frequent logical slips, repeated phrases and "
          "occasional invented words; it knows nothing beyond that register and must not be used for facts or advice.",
          f"* Trained on {st['tokenizer']['train_tokens'] / 1e6:.2f} M distinct tokens, hundreds of times less text than the full "
          "TinyStories set (see `models/recipes/reports/text-table1.md` for how it compares with a model trained on all of it).",
          "* Quality figures are for the held-out TinyStories validation head only; ms/token are from one shared 2-core VM and will differ "
          "on other machines (the studio measures its own device).",
          "* Shallow exits and int8 trade quality for speed; their measured bits/byte are in the table (int8 figures include ONNX "
          "Runtime's activation quantisation inside MatMulNBits).",
          ""]
    return "\n".join(L)
