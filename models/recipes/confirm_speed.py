#!/usr/bin/env python3
"""A second, longer ms/token measurement of the operating points behind the speed target (teacher fp32
full depth vs student S), run after the pipeline: more interleaved CLI runs, raw runs kept.

    /usr/bin/python3 models/recipes/confirm_speed.py --models models --runs 11
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate  # noqa: E402

POINTS = [("teacher fp32 d8", "pareto-stories-teacher", "fp32", 8),
          ("student S int8 d3", "pareto-stories-student-s", "int8", 3),
          ("student S fp32 d3", "pareto-stories-student-s", "fp32", 3),
          ("student S int8 d2", "pareto-stories-student-s", "int8", 2)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="models")
    ap.add_argument("--runs", type=int, default=11)
    a = ap.parse_args()
    targets = {label: (os.path.join(a.models, pkg), ["--precision", p, "--depth", str(d)]) for label, pkg, p, d in POINTS}
    load = os.getloadavg()
    t0 = time.time()
    res = evaluate.engine_bench(targets, a.runs)
    teacher = res[POINTS[0][0]]["msPerToken"]
    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "loadavg": load, "runs": a.runs,
           "seconds": time.time() - t0, "points": res,
           "speedups": {k: teacher / v["msPerToken"] for k, v in res.items()},
           "spread": {k: {"min": min(v["runs"]), "max": max(v["runs"]), "stdev": statistics.pstdev(v["runs"])} for k, v in res.items()}}
    reports = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reports")
    with open(os.path.join(reports, "text-speed-confirmation.json"), "w") as f:
        json.dump(out, f, indent=2)
    print(json.dumps({k: round(v, 2) for k, v in out["speedups"].items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
