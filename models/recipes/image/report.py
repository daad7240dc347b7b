"""Report stage: speed through onnxruntime-node (image_tools.mjs bench / step) and PyTorch eager (same
weights), sizes, compression; writes each package's pareto.json (operating points with the quality
measured by the evaluate stage, sha256 of every file) and MODEL_CARD.md, and the Table-1 report
`reports/image-table1.{md,json}`."""
from __future__ import annotations

import hashlib
import os
import platform
import shutil
import time

import diffusion as D
from data import LICENCES, PACKAGES

FAMILY = "pareto-emoji"
DATA_PROVENANCE = [f"{n}@{v}" for n, v, _ in PACKAGES.values()]
# OpenMoji is CC-BY-SA-4.0: weights trained on it are shared under the same licence (share-alike), with attribution to all four sets
LICENCE = ("Weights: CC-BY-SA-4.0 (share-alike, as adaptations of OpenMoji). Trained on Fluent Emoji (MIT, © Microsoft), Noto Emoji "
           "(Apache-2.0, © Google), Twemoji (CC-BY-4.0, © Twitter, Inc. and contributors) and OpenMoji (CC-BY-SA-4.0, © HfG Schwäbisch "
           "Gmünd and contributors); see MODEL_CARD.md for attribution.")


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(pkg: str) -> dict:
    out = {}
    for root, _, names in os.walk(pkg):
        for n in sorted(names):
            rel = os.path.relpath(os.path.join(root, n), pkg).replace(os.sep, "/")
            if rel != "pareto.json" and not rel.endswith(".tmp"):
                out[rel] = sha256(os.path.join(root, n))
    return dict(sorted(out.items()))


def build(r) -> dict:
    from image_pipeline import UNET_FILES, node_tool
    from bench_torch_unet import time_step
    import torch
    cfg, exported, ev = r.cfg, r.done("export"), r.done("evaluate")
    runs = cfg["bench_runs"]
    threads = torch.get_num_threads()
    speed, steps_ms = {}, {}
    teacher_pkg, student_pkg = exported["teacher"]["dir"], exported["student"]["dir"]
    t_ref, s_ref = r.reference_precision("teacher"), r.reference_precision("student")
    t_steps = max(s for p, s in cfg["teacher_points"] if p == t_ref)
    # s/image, one image at a time, as the studio generates (teacher guided = 2 UNet rows per step), with the studio
    # engine's sessions: one thread below 32 MB (else every core), idle threads asleep (image_tools.mjs --threads engine)
    plan = [("teacher", teacher_pkg, t_ref, t_steps, exported["teacher"]["guidance"])]
    plan += [("student", student_pkg, p, s, 1.0) for p, s in cfg["student_points"]]
    for role, pkg, precision, steps, g in plan:
        key = f"{role}/{precision}/{steps}"
        speed[key] = node_tool("bench", pkg, "--unet", UNET_FILES[precision], "--steps", str(steps), "--guidance", str(g),
                               "--runs", str(runs if role == "student" else max(1, runs // 2)), "--threads", "engine")
        r.log(f"[report] {key}: {speed[key]['sPerImage'] * 1000:.1f} ms/image, {speed[key]['msPerStep']:.2f} ms/UNet call, "
              f"peak RSS {speed[key]['peakRssMb']:.0f} MB")
    # ms per UNet step at batch 2 (one guided step): onnxruntime-node vs PyTorch eager, same weights, same threads
    # (a package's most precise UNet: the teacher's fp16 weights run in fp32 after the cast at load, as PyTorch's do)
    for role, pkg, ref in (("teacher", teacher_pkg, t_ref), ("student", student_pkg, s_ref)):
        ort = node_tool("step", pkg, "--unet", UNET_FILES[ref], "--batch", "2", "--runs", str(max(5, runs * 4)), "--threads", "engine")
        torch.set_num_threads(ort["threads"])
        try:
            eager = time_step(r.path(f"{role}_unet.pt"), 2, max(5, runs * 4))
        finally:
            torch.set_num_threads(threads)
        eager_ms = sorted(eager)[len(eager) // 2]
        steps_ms[role] = {"precision": ref, "onnxruntimeMs": round(ort["msPerStep"], 3), "pytorchEagerMs": round(eager_ms, 3), "threads": ort["threads"],
                          "vsPytorchEager": round(eager_ms / ort["msPerStep"], 2)}
        r.log(f"[report] {role} UNet step batch 2 on {ort['threads']} thread(s): ORT {ort['msPerStep']:.2f} ms, PyTorch eager {eager_ms:.2f} ms")

    pts = ev["points"]
    t_key, s_key = f"teacher/{t_ref}/{t_steps}", f"student/{s_ref}/{cfg['student_steps']}"
    t_q, s_q = pts[t_key], pts[s_key]
    sizes = {role: exported[role]["sizes"] for role in ("teacher", "student")}
    total_bytes = 0
    for role in ("teacher", "student"):
        pkg = exported[role]["dir"]
        total_bytes += sum(os.path.getsize(os.path.join(pkg, f)) for f in _files(pkg) if f.endswith(".onnx"))
    floor_fd = ev["floor"]["frechetDistance"]
    cross = ev["cross_style_real"]["everyday"]["top5"]
    targets = {
        "frechetRatio": {"value": round(s_q["frechetDistance"] / t_q["frechetDistance"], 3), "target": "≤ 1.25",
                         "met": s_q["frechetDistance"] <= 1.25 * t_q["frechetDistance"]},
        "frechetVsFloor": {"value": round(s_q["frechetDistance"] / max(floor_fd, 1e-9), 2), "target": "≤ 3",
                           "met": s_q["frechetDistance"] <= 3 * floor_fd},
        "recognisability": {"teacher": t_q["recognisabilityTop5"], "student": s_q["recognisabilityTop5"], "crossStyleReal": cross,
                            "target": "student ≥ 0.5 (and ≥ the cross-style real-drawing figure)", "met": s_q["recognisabilityTop5"] >= 0.5},
        "speedup": {"value": round(speed[t_key]["sPerImage"] / speed[s_key]["sPerImage"], 1), "target": "≥ 8",
                    "met": speed[t_key]["sPerImage"] >= 8 * speed[s_key]["sPerImage"]},
        "faithfulness": {"teacher": t_q["faithfulness"], "student": s_q["faithfulness"], "realFloor": ev["floor"]["faithfulness"]},
        "imageWeightsMB": {"value": round(total_bytes / 1e6, 2), "target": "≤ 40", "met": total_bytes <= 40e6},
        "vsPytorchEager": {"value": steps_ms["student"]["vsPytorchEager"], "target": "≥ 1.5 (lead's bench)",
                           "met": steps_ms["student"]["vsPytorchEager"] >= 1.5},
    }
    params = {role: exported[role]["unet_parameters"] for role in ("teacher", "student")}
    te_params = exported["teacher"]["text_encoder_parameters"]
    report = {
        "title": "Pareto Emoji — Table 1 (teacher vs student), measured in one run",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "config": r.name,
        "device": {"machine": platform.machine(), "cpus": os.cpu_count(), "threads": threads, "provider": "onnxruntime-node CPU",
                   "onnxruntimeThreads": "the studio engine's: 1 per session below 32 MB, else every core"},
        "evaluation": {"images": ev["images"], "prompts": "canonical captions (name, style) of the held-out emoji, fixed seeds",
                       "reference": "the held-out real images", "floor": ev["floor"], "everydayImages": ev["everyday_images"],
                       "crossStyleReal": ev["cross_style_real"], "contactSheet": "image-contact-sheet.png"},
        "parameters": {"teacherUnet": params["teacher"], "studentUnet": params["student"], "textEncoder": te_params,
                       "compression": round(params["teacher"] / params["student"], 2)},
        "sizes": sizes, "imageWeightsBytes": total_bytes,
        "quality": pts, "speed": speed, "unetStep": steps_ms, "targets": targets,
        "parity": {k: ev.get(k) for k in ("teacher_parity", "student_parity")},
        "training": {s: {k: v for k, v in (r.done(s) or {}).items() if k in ("steps", "minutes", "loss", "stage_seconds", "count",
                                                                               "heldout_accuracy", "loss_after_pruning")}
                     for s in ("autoencoder", "classifier", "teacher", "trajectories", "student")},
    }
    rep_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reports") if r.name in ("cpu", "cuda") else r.path("reports")
    os.makedirs(rep_dir, exist_ok=True)
    shutil.copyfile(ev["contact_sheet"], os.path.join(rep_dir, "image-contact-sheet.png"))
    D.write_json(os.path.join(rep_dir, "image-table1.json"), report)
    with open(os.path.join(rep_dir, "image-table1.md"), "w", encoding="utf-8") as f:
        f.write(_markdown(report, t_key, s_key))
    for role in ("teacher", "student"):
        _manifest(r, role, exported[role], pts, speed, report)
    r.log(f"[report] targets {targets}")
    return {"targets": targets, "report": os.path.abspath(rep_dir)}


def _manifest(r, role: str, exp: dict, pts: dict, speed: dict, report: dict) -> None:
    from image_pipeline import UNET_FILES
    pkg = exp["dir"]
    name = r.cfg["names"][role]
    points = [{"precision": p["precision"], "steps": p["steps"], "guidance": p["guidance"], "file": UNET_FILES[p["precision"]],
               "quality": {"frechetDistance": p["frechetDistance"], "faithfulness": p["faithfulness"],
                           "recognisabilityTop5": p["recognisabilityTop5"]}}
              for k, p in pts.items() if p["role"] == role]
    with open(os.path.join(pkg, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write(_card(r, role, exp, points, report))
    manifest = {
        "schemaVersion": 1, "kind": "image", "family": FAMILY, "name": name, "role": role,
        "parameters": exp["unet_parameters"] + exp["text_encoder_parameters"],
        "parametersUnet": exp["unet_parameters"], "parametersTextEncoder": exp["text_encoder_parameters"],
        "provenance": {"teacher": None if role == "teacher" else r.cfg["names"]["teacher"], "data": DATA_PROVENANCE,
                       "licence": LICENCE, "recipe": f"models/recipes/image/image_pipeline.py --config {r.name}"},
        "pixelSpace": False, "sampleSize": 64, "latentSize": 16, "timestepDtype": "int64", "predictionType": "v_prediction",
        "defaults": {"steps": 50 if role == "teacher" else r.cfg["student_steps"], "guidance": exp["guidance"]},
        "operatingPoints": points,
        "files": _files(pkg),
    }
    D.write_json(os.path.join(pkg, "pareto.json"), manifest)


def _fmt_size(b: int) -> str:
    return f"{b / 1e6:.2f} MB"


def _unet_files(precisions: list) -> str:
    from image_pipeline import UNET_FILES
    what = {"fp32": "fp32", "fp16": "float16 weights cast to float32 in the graph",
            "int8": "int8 weights per output channel + DequantizeLinear"}
    return ", ".join(f"`{UNET_FILES[p]}` ({what[p]})" for p in precisions)


def _unet_sizes(sizes: dict) -> str:
    from image_pipeline import UNET_FILES
    return " / ".join(_fmt_size(sizes[f]) if f in sizes else "not shipped" for f in UNET_FILES.values())


def _markdown(rep: dict, t_key: str, s_key: str) -> str:
    q, sp, tg = rep["quality"], rep["speed"], rep["targets"]
    lines = [f"# {rep['title']}", "", f"{rep['date']}, config `{rep['config']}`, {rep['device']['cpus']} CPU cores, "
             f"{rep['device']['threads']} threads, {rep['device']['provider']}. Quality on {rep['evaluation']['images']} images "
             f"({rep['evaluation']['prompts']}); reference {rep['evaluation']['reference']}.", "",
             "## Table 1", "",
             f"| | teacher ({q[t_key]['steps']} steps, {q[t_key]['precision']}) | student ({q[s_key]['steps']} steps, {q[s_key]['precision']}) |",
             "|---|---|---|"]
    p = rep["parameters"]
    lines += [
        f"| UNet parameters | {p['teacherUnet']:,} | {p['studentUnet']:,} (÷{p['compression']}) |",
        f"| text encoder parameters (shared) | {p['textEncoder']:,} | {p['textEncoder']:,} |",
        f"| UNet file fp32 / fp16 / int8 | {_unet_sizes(rep['sizes']['teacher'])} | {_unet_sizes(rep['sizes']['student'])} |",
        f"| guidance | {q[t_key]['guidance']} (2 UNet rows per step) | {q[s_key]['guidance']} (distilled in; 1 row per step) |",
        f"| s/image (ONNX Runtime, batch 1, incl. text encoder) | {sp[t_key]['sPerImage'] * 1000:.1f} ms | {sp[s_key]['sPerImage'] * 1000:.1f} ms |",
        f"| ms per UNet call (as generated) | {sp[t_key]['msPerStep']:.2f} (2 rows) | {sp[s_key]['msPerStep']:.2f} (1 row) |",
        f"| ms per UNet step, batch 2: ONNX Runtime / PyTorch eager | {rep['unetStep']['teacher']['onnxruntimeMs']} / {rep['unetStep']['teacher']['pytorchEagerMs']} "
        f"(×{rep['unetStep']['teacher']['vsPytorchEager']}) | {rep['unetStep']['student']['onnxruntimeMs']} / {rep['unetStep']['student']['pytorchEagerMs']} "
        f"(×{rep['unetStep']['student']['vsPytorchEager']}) |",
        f"| throughput | {1 / sp[t_key]['sPerImage']:.1f} images/s | {1 / sp[s_key]['sPerImage']:.1f} images/s |",
        f"| peak RSS (node process) | {sp[t_key]['peakRssMb']:.0f} MB | {sp[s_key]['peakRssMb']:.0f} MB |",
        f"| Fréchet distance (classifier features) ↓ | {q[t_key]['frechetDistance']:.3f} | {q[s_key]['frechetDistance']:.3f} |",
        f"| prompt faithfulness ↑ | {q[t_key]['faithfulness']:.3f} | {q[s_key]['faithfulness']:.3f} |",
        f"| recognisability top-5 (24 everyday prompts × {rep['evaluation']['everydayImages'] // 24} seeds) ↑ | {q[t_key]['recognisabilityTop5']:.3f} | {q[s_key]['recognisabilityTop5']:.3f} |",
        "| energy / sample | measured by the studio (`pareto report`), not by the recipe | same |",
        "",
        f"Real-data floor: real training images vs the held-out reference give FD {rep['evaluation']['floor']['frechetDistance']:.3f}; "
        f"the autoencoder's reconstructions of the held-out images {rep['evaluation']['floor']['autoencoderFrechetDistance']:.3f}; "
        f"the classifier's accuracy on held-out real images (the ceiling for faithfulness) is {rep['evaluation']['floor']['faithfulness']:.3f}. "
        f"Real drawings retrieved against the other three styles only: top-5 {rep['evaluation']['crossStyleReal']['everyday']['top5']:.3f} "
        f"on the 24 everyday emoji, {rep['evaluation']['crossStyleReal']['heldout']['top5']:.3f} on held-out emoji (never seen by the classifier).",
        "", "![teacher and student, 24 everyday prompts × 4 seeds, beside the real drawings](image-contact-sheet.png)",
        "", "## Targets", "",
        f"* student at 4 steps within +25 % of the teacher's FD at 50 steps: ratio {tg['frechetRatio']['value']} → **{'met' if tg['frechetRatio']['met'] else 'NOT met'}**",
        f"* student FD within 3× of the real-data floor: {tg['frechetVsFloor']['value']}× → **{'met' if tg['frechetVsFloor']['met'] else 'NOT met'}**",
        f"* recognisability top-5 of the student ≥ 0.5: {tg['recognisability']['student']:.3f} (teacher {tg['recognisability']['teacher']:.3f}, "
        f"real drawings cross-style {tg['recognisability']['crossStyleReal']:.3f}) → **{'met' if tg['recognisability']['met'] else 'NOT met'}**",
        f"* ≥ 8× faster per image: {tg['speedup']['value']}× → **{'met' if tg['speedup']['met'] else 'NOT met'}**",
        f"* prompt faithfulness: teacher {tg['faithfulness']['teacher']:.3f}, student {tg['faithfulness']['student']:.3f} (real images {tg['faithfulness']['realFloor']:.3f})",
        f"* all image weights (every .onnx of both packages): {tg['imageWeightsMB']['value']} MB (≤ 40) → **{'met' if tg['imageWeightsMB']['met'] else 'NOT met'}**",
        f"* UNet step vs PyTorch eager (student, batch 2): ×{tg['vsPytorchEager']['value']}",
        "", "## Every operating point", "", "| package | precision | steps | guidance | FD ↓ | faithfulness ↑ | top-5 ↑ | s/image |", "|---|---|---|---|---|---|---|---|"]
    for k, v in q.items():
        s = sp.get(k)
        lines.append(f"| {v['role']} | {v['precision']} | {v['steps']} | {v['guidance']} | {v['frechetDistance']:.3f} | {v['faithfulness']:.3f} | "
                     f"{v['recognisabilityTop5']:.3f} | "
                     f"{'%.1f ms' % (s['sPerImage'] * 1000) if s else '—'} |")
    par = rep["parity"]
    ups = rep["unetStep"]
    lines += ["", f"PyTorch (fp32) vs ONNX Runtime (same seeds, 4 images): max |Δpixel| teacher ({ups['teacher']['precision']} weights) "
              f"{par.get('teacher_parity')}, student ({ups['student']['precision']}) {par.get('student_parity')}.",
              "", "## Training (this run)", "", "```", *[f"{k}: {v}" for k, v in rep["training"].items()], "```", ""]
    return "\n".join(lines)


def _card(r, role: str, exp: dict, points: list, rep: dict) -> str:
    c = r.cfg
    t = rep["targets"]
    pts = "\n".join(f"| {p['precision']} | {p['steps']} | {p['guidance']} | `{p['file']}` | {p['quality']['frechetDistance']:.3f} | "
                    f"{p['quality']['faithfulness']:.3f} | {p['quality']['recognisabilityTop5']:.3f} |" for p in points)
    what = ("the teacher: a text-conditioned latent UNet trained from scratch with v-prediction on a cosine schedule, min-SNR-5 "
            f"weighting and an EMA, classifier-free guidance (captions dropped {int(c['caption_dropout'] * 100)} %); sample it with DDIM, 50 steps, guidance {c['guidance']}."
            if role == "teacher" else
            f"the student: the teacher's UNet channel-pruned ({int(c['prune_keep'] * 100)} % of every channel space kept — streams, inner "
            f"widths, attention heads — by L1 importance: {rep['parameters']['compression']}× fewer parameters) and step-distilled to "
            f"{c['student_steps']} DDIM steps (one student step matches {c['trajectories']['sub_steps']} guided teacher DDIM steps), with "
            f"the teacher's guidance ({c['guidance']}) distilled in — run it with guidance 1 and exactly {c['student_steps']} steps "
            f"(timesteps {D.trailing_timesteps(c['student_steps'])}).")
    return f"""# {c['names'][role]} — Pareto Emoji ({role})

64×64 emoji from a short text prompt, on any CPU in milliseconds. This package is {what}

## Files (diffusers ONNX layout, latent diffusion)

* `text_encoder/model.onnx` — `input_ids` int64 [B, L] → `last_hidden_state` float32 [B, 16, {c['text']['dim']}]. Word-level
  vocabulary; the graph pads with [PAD] = 0 / truncates to 16 itself. The empty prompt is the unconditional input for guidance.
* {_unet_files(r.ships(role))} — `sample` float32 [B, 4, 16, 16], `timestep` **int64** [B] (0…999),
  `encoder_hidden_states` float32 [B, 16, D] → `out_sample` float32 [B, 4, 16, 16], a **v-prediction**.
* `vae_decoder/model.onnx` — `latent_sample` float32 [B, 4, 16, 16] (latents ÷ `scaling_factor` of `vae_decoder/config.json`)
  → `sample` float32 [B, 3, 64, 64] in [−1, 1]. The recipe's own convolutional autoencoder ({rep['training']['autoencoder'].get('steps', '?')} steps).
* `scheduler/scheduler_config.json` — DDIMScheduler, squaredcos_cap_v2, v_prediction, timestep_spacing "trailing", η = 0.
* `tokenizer/tokenizer.json` (+ `tokenizer_config.json`) — Hugging Face `tokenizers` format, read by `@huggingface/tokenizers`.

## Operating points (measured by the recipe through onnxruntime-node)

FD = Fréchet distance on the classifier's 128-d features between {rep['evaluation']['images']} generated images (held-out emoji,
"name, style" prompts, fixed seeds) and the held-out real drawings (real training drawings: {rep['evaluation']['floor']['frechetDistance']:.3f}).
Faithfulness = share classified as the prompted group (real: {rep['evaluation']['floor']['faithfulness']:.3f}). Top-5 = recognisability:
how often the prompted emoji is among the 5 nearest real emoji of 1,914 on 24 everyday prompts × {c['seeds']} seeds
(real drawings against the other styles: {rep['evaluation']['crossStyleReal']['everyday']['top5']:.3f}).

| precision | steps | guidance | file | FD ↓ | faithfulness ↑ | top-5 ↑ |
|---|---|---|---|---|---|---|
{pts}

Student vs teacher: FD ratio {t['frechetRatio']['value']} (target ≤ 1.25: {'met' if t['frechetRatio']['met'] else 'not met'}), {t['speedup']['value']}× faster per image
(target ≥ 8: {'met' if t['speedup']['met'] else 'not met'}). Full table and contact sheet: `models/recipes/reports/image-table1.md`.

## Why latent diffusion

64×64×3 = 12,288 values per image; the autoencoder's 4×16×16 latents are 12× fewer, so every UNet step runs at 16×16 and
the UNet spends no capacity on flat colours and anti-aliased edges (the decoder redraws them, once per image).

## Data and licences

Four drawing styles of 1,914 emoji rendered at 64×64 on white with librsvg (8 % of the emoji held out, by emoji), captions
from CLDR and Unicode names, short names, keywords, groups and a style word ("…, noto style"):

* {LICENCES['fluent']}.
* {LICENCES['noto']}.
* {LICENCES['twemoji']}. Attribution: "Emoji graphics licensed under CC-BY 4.0 by Twitter, Inc. and other contributors".
* {LICENCES['openmoji']}. Attribution: "All emojis designed by OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0".
* {LICENCES['emojibase']}; {LICENCES['datasource']}.

**Share-alike:** OpenMoji is CC-BY-SA-4.0, so these weights (an adaptation trained on it) are offered under CC-BY-SA-4.0, and
images generated in the OpenMoji style should be treated as adaptations too: keep the attributions above and share them alike.

## Limits

64×64 only; word-level vocabulary of the training captions (other words become [UNK]); 1,914 emoji, no skin-tone variants;
not for faces of real people or anything safety-relevant.

Recipe: `npm run models:image` (`models/recipes/image/image_pipeline.py --config {r.name}`).
"""
