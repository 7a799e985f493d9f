#!/usr/bin/python3
"""search_study.py — does ltcc search's proxy rank trained models? And does
a model it picks run within the budgets it was picked for?

  1. ltcc search examples/search/fortune.space.ltd -t cortex-m4 with the
     budgets below (seed 1): the front of character LMs for the fortune
     corpus.
  2. MODELS architectures spread along the front (closest to evenly spaced
     in log parameters), each trained by tools/train_lm.py --config with
     the same budget of SECONDS on one core; held-out bits/char from each
     file's metadata (a model already trained is not trained again).
  3. The Spearman rank correlation of non-embedding parameters against
     held-out bits/char (-1: more parameters, always fewer bits).
  4. The largest of them compiled with its trained weights for cortex-m4,
     checked against tools/reference.py's golden outputs in QEMU
     (regress/qemu/run-target.sh, the testbench), and its run counted in
     QEMU: flash, RAM and latency against the budgets.

usage: bench/search_study.py [--models N] [--seconds S] [-j N]   (after make)
Writes build/study/study.json and prints a markdown table for docs/search.md.
"""
import argparse
import csv
import glob
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import measure  # noqa: E402
import st  # noqa: E402

LTCC = os.environ.get("LTCC", os.path.join(ROOT, "build", "ltcc"))
OUT = os.path.join(ROOT, "build", "study")
SPACE = os.path.join(ROOT, "examples", "search", "fortune.space.ltd")
TARGET = "cortex-m4"
BUDGET = {"--max-flash": "1M", "--max-ram": "192K", "--max-latency-ms": "300"}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def spearman(x, y):
    rank = lambda v: np.argsort(np.argsort(v)).astype(float)  # noqa: E731 (no ties here)
    return float(np.corrcoef(rank(x), rank(y))[0, 1])


def pick(rows, n):
    if n >= len(rows) or n < 2:
        return rows[:n]
    ps = [float(r["params_nonembedding"]) for r in rows]
    lo, hi = math.log(ps[0]), math.log(ps[-1])
    got = []
    for i in range(n):
        t = lo + (hi - lo) * i / (n - 1)
        r = min((r for r in rows if r not in got), key=lambda r: abs(math.log(float(r["params_nonembedding"])) - t))
        got.append(r)
    return sorted(got, key=lambda r: float(r["params_nonembedding"]))


def train(d, name, budget):
    w = os.path.join(d, name + ".safetensors")
    if not os.path.exists(w):
        print("training %s for %s" % (name, " ".join(budget)), file=sys.stderr, flush=True)
        run(["/usr/bin/python3", os.path.join(ROOT, "tools", "train_lm.py"), "--config", os.path.join(d, name + ".json"),
             "--out", d] + budget)
    _, meta = st.load(w, with_metadata=True)
    return float(meta["heldout_bpc"]), int(meta["train_seconds"]), int(meta.get("train_steps", 0))


def in_qemu(d, name):
    """Golden outputs checked in QEMU, then the run counted."""
    gd = os.path.join(d, name + "-golden")
    os.makedirs(gd, exist_ok=True)
    run(["/usr/bin/python3", os.path.join(ROOT, "tools", "reference.py"), os.path.join(d, name + ".json"),
         os.path.join(d, name + ".safetensors"), gd])
    tb = os.path.join(d, name + "-tb")
    os.makedirs(tb, exist_ok=True)
    gold = sum((["--golden", g] for g in sorted(glob.glob(os.path.join(gd, "*.golden")))), [])
    rj = os.path.join(tb, "report.json")
    run([LTCC, os.path.join(d, name + ".ltd"), "-t", TARGET, "-o", os.path.join(tb, "m.c"), "--prefix", "m",
         "--emit-testbench", tb, "--report-json", rj] + gold)
    out = run(["sh", os.path.join(ROOT, "regress", "qemu", "run-target.sh"), TARGET, tb, os.path.join(tb, "m.c"),
               os.path.join(tb, "testbench.c")])
    line = [l for l in out.splitlines() if l.startswith("testbench: ")][-1]
    rep = json.load(open(rj))
    measure.bench.B = os.path.join(d, "icount")
    measure.bench.LTCC = LTCC
    base = os.path.join(d, name)
    ic = measure.bench.icount(base, TARGET, [], "-real")
    cycles = ic["encoder_insns"] + ic["steps_insns"]
    return {"model": name, "testbench": line, "goldens": len(gold) // 2,
            "flash_bytes": rep["weight_bytes"], "ram_bytes": rep["arena_bytes"] + rep["state_bytes"] + rep["qx_bytes"],
            "estimated_ms": rep["estimate_ms"], "measured_cycles": cycles,
            "measured_ms": cycles / (measure.clock_mhz(TARGET) * 1e3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=300)
    ap.add_argument("--steps", type=int, help="the same number of steps for each instead of the same time")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("-j", "--jobs", type=int, default=1, help="trainings at once, one core each")
    a = ap.parse_args()
    d = os.path.join(a.out, "search")
    cmd = [LTCC, "search", SPACE, "-t", TARGET, "--seed", "1", "-o", d, "-q"] + sum(map(list, BUDGET.items()), [])
    run(cmd)
    rows = list(csv.DictReader(open(os.path.join(d, "front.csv"))))
    chosen = pick(rows, a.models)
    res = []
    with ThreadPoolExecutor(a.jobs) as ex:  # each training on one core
        budget = ["--steps", str(a.steps)] if a.steps else ["--seconds", str(a.seconds)]
        trained = list(ex.map(lambda r: train(d, r["name"], budget), chosen))
    for r, (bpc, secs, steps) in zip(chosen, trained):
        res.append({"model": r["name"], "params": int(r["params_nonembedding"]), "cost_ms": float(r["cost_ms"]),
                    "flash": int(r["flash_bytes"]), "ram": int(r["ram_bytes"]), "dim": int(r["dim"]),
                    "layers": int(r["decoder.layers"]), "split": r["decoder.split"], "conv": r["decoder.conv"],
                    "glu": r["decoder.glu"], "ffn_mult": r["decoder.ffn_mult"], "heldout_bpc": bpc,
                    "train_seconds": secs, "train_steps": steps})
    rho = spearman([x["params"] for x in res], [x["heldout_bpc"] for x in res])
    q = in_qemu(d, res[-1]["model"])
    study = {"command": " ".join(["ltcc"] + cmd[1:]).replace(ROOT + "/", "").replace(d, "DIR"),
             "front": len(rows), "budget": budget, "models": res, "spearman_params_bpc": rho, "qemu": q,
             "budgets": BUDGET}
    with open(os.path.join(a.out, "study.json"), "w") as f:
        json.dump(study, f, indent=1)
    print("| model | D | layers | conv | GLU | FFN | non-embedding params | cost-model ms | steps | held-out bits/char |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for x in res:
        print("| %s | %d | %d | %s | %s | %sD | %d | %.1f | %s | %.3f |" % (
            x["model"], x["dim"], x["layers"], x["conv"], x["glu"], x["ffn_mult"], x["params"], x["cost_ms"],
            x["train_steps"] or "?", x["heldout_bpc"]))
    print("\nSpearman(params, bits/char) = %.3f over %d models" % (rho, len(res)))
    print("QEMU: %s; flash %d B, RAM %d B, %.1f ms measured (%.1f estimated)" % (
        q["testbench"], q["flash_bytes"], q["ram_bytes"], q["measured_ms"], q["estimated_ms"]))


if __name__ == "__main__":
    main()
