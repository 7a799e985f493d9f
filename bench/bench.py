#!/usr/bin/python3
"""bench.py — measures ltcc's output against PyTorch eager, side by side in
one run, and writes docs/benchmarks.md with the figures and the commands.

  x86-avx2: encoder latency (T source tokens) and decoder-step latency for
  the WMT D=200 and D=496 shapes, against PyTorch eager (tools/reference.py's
  modules: the same weights, K/V cache and conv history), one thread each,
  medians of repeated runs; achieved GFLOP/s against this core's FMA peak;
  a decoder step against one read of its weight bytes.
  memory: arena against its lower bound and the naive sum, per model.

  quantization: --quantize w8 and int8 against fp32 in the same run: x86
  encoder and step times, Cortex-M4 instructions per MAC, the int8 matmul
  on Cortex-M4 and M55 next to CMSIS-NN, flash, and accuracy of the trained
  models on their whole held-out sets next to PyTorch's quantize_dynamic.

usage: bench/bench.py [--quick]      (from the repo root, after make)
       bench/bench.py --profile      only the Cortex-M4 per-kernel profile, rewritten
                                     in place in docs/benchmarks.md
       bench/bench.py --quant        only the quantization section, rewritten
                                     in place in docs/benchmarks.md
       bench/bench.py --compress     only the compression section (the trained
                                     models compressed: flash, Cortex-M4
                                     instructions, held-out metrics)
"""
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import gen_models  # noqa: E402
import st  # noqa: E402

B = os.path.join(ROOT, "build", "bench")
LTCC = os.path.join(ROOT, "build", "ltcc")
T = 30
QUICK = "--quick" in sys.argv
REPS = 5 if QUICK else 20
ROUNDS = 3 if QUICK else 15


def wmt_shape(name, dim, vocab=288, kernels=gen_models.K6):
    """The paper's WMT layout at width `dim`: attention + dynamic conv with
    GLU, kernels 3..31 (a layer each), ffn = dim, shared embeddings."""
    h = dim // 2
    two = gen_models._two_branch(kernels, h, 4, "dynamic", h, 4, True)
    return {
        "name": name, "kind": "encdec", "dim": dim, "src_vocab": vocab, "tgt_vocab": vocab,
        "max_source": 64, "max_target": 64, "tokens": gen_models.TOKENS,
        "embeddings": "shared", "output": "tied",
        "encoder": gen_models.stack("post", False, dim, "relu", True, two),
        "decoder": gen_models.stack("post", False, dim, "relu", True, [dict(l) for l in two], cross_heads=8),
    }


def ltd_for(cfg):
    h = cfg["dim"] // 2
    lays = cfg["encoder"]["layers"]
    ks = " ".join(str(l["branches"][1]["kernel"]) for l in lays)
    body = "".join(
        "  %s {\n    layers %d;\n    norm post;\n    ffn %d relu;\n    kernels %s;\n"
        "    branch attn %d heads 4;\n    branch dynamic %d heads 4 glu;\n%s  }\n"
        % (side, len(lays), cfg["dim"], ks, h, h, "    cross_attention heads 8;\n" if side == "decoder" else "")
        for side in ("encoder", "decoder"))
    return ("# benchmark shape: WMT layout at D=%d (written by bench/bench.py)\n"
            "model %s {\n  weights \"%s.safetensors\";\n  dim %d;\n  vocab %d;\n  max_source 64;\n"
            "  max_target 64;\n  embeddings shared;\n  output tied;\n%s}\n"
            % (cfg["dim"], cfg["name"], cfg["name"], cfg["dim"], cfg["src_vocab"], body))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def make_model(cfg):
    base = os.path.join(B, cfg["name"])
    if not os.path.exists(base + ".safetensors"):
        st.save(base + ".safetensors", gen_models.gen_weights(cfg))
        with open(base + ".json", "w") as f:
            json.dump(cfg, f)
        with open(base + ".ltd", "w") as f:
            f.write(ltd_for(cfg))
    return base


def build_c(base, flags=(), tag=""):
    d = base + "-avx2" + tag
    os.makedirs(d, exist_ok=True)
    run([LTCC, base + ".ltd", "-t", "x86-avx2", "-o", os.path.join(d, "b.c"), "--prefix", "b"] + list(flags))
    run(["cc", "-std=c99", "-O2", "-Wall", "-Werror", "-mavx2", "-mfma", "-I", d, "-o", os.path.join(d, "bench"),
         os.path.join(d, "b.c"), os.path.join(ROOT, "bench", "bench_main.c"), "-lm"])
    return os.path.join(d, "bench")


def bench_c(base, step_bytes):
    return json.loads(run([build_c(base), str(T), str(REPS), str(step_bytes)]))


def bench_interleaved(binaries, step_bytes, rounds=ROUNDS):
    """Several builds timed in turn, round after round, so that a change in
    the machine's load falls on all of them alike; per build, the median of
    its rounds' medians."""
    got = [[] for _ in binaries]
    order = list(range(len(binaries)))
    rng = random.Random(1)
    for _ in range(rounds):
        rng.shuffle(order)  # no build always first, or always after the same one
        for i in order:
            got[i].append(json.loads(run([binaries[i], str(T), str(max(REPS // 4, 3)), str(step_bytes)])))
    return [{k: statistics.median(g[k] for g in runs) for k in ("encoder_s", "step_s")} for runs in got]


def bench_torch(base):
    import torch
    import reference
    torch.set_num_threads(1)
    cfg, model = reference.load_model(base + ".json", base + ".safetensors")
    src = [4 + (t * 37) % (cfg["src_vocab"] - 4) for t in range(T)]
    enc_t, step_t = [], []
    with torch.no_grad():
        for _ in range(REPS):
            t0 = time.perf_counter()
            enc = model.encode(src)
            enc_t.append(time.perf_counter() - t0)
            cache = {}
            for t in range(T):
                t0 = time.perf_counter()
                model.decode_step(src[t] % cfg["tgt_vocab"], t, enc, cache)
                step_t.append(time.perf_counter() - t0)
    return {"encoder_s": statistics.median(enc_t), "step_s": statistics.median(step_t)}


def icount(base, target, flags, tag):
    """Instructions for the encoder (T tokens) and T decoder steps in QEMU."""
    d = os.path.join(B, os.path.basename(base) + "-" + target + tag)
    os.makedirs(d, exist_ok=True)
    run([LTCC, base + ".ltd", "-t", target, "--no-fit-check", "-o", os.path.join(d, "b.c"), "--prefix", "b"] + flags)
    out = run(["sh", os.path.join(ROOT, "regress", "qemu", "run-target.sh"), "--icount", target, d,
               os.path.join(d, "b.c"), os.path.join(ROOT, "bench", "icount_main.c")])
    line = [l for l in out.splitlines() if l.startswith("{")][-1]
    return json.loads(line)


# each pass that applies to the WMT layout (post-norm, dynamic conv with
# GLU) off in turn, then all of them, to see what each buys
WMT_PASSES = ["--no-zero-copy", "--no-stream-attention", "--no-fuse-dyn-taps", "--no-fuse-glu",
              "--no-fuse-residual-ln", "--no-fold-q-scale"]
PASSES = [("all passes on", [])] + [(p, [p]) for p in WMT_PASSES] + [("all of these off", WMT_PASSES)]
CONTROL = "all passes on, again (control)"


def report(model_ltd, flags=()):
    out = os.path.join(B, os.path.basename(model_ltd) + ".report.json")
    run([LTCC, model_ltd, "--report-json", out] + list(flags))
    with open(out) as f:
        return json.load(f)


def pin():
    """Every timing on one core (the children inherit it), so no build gets
    a different core from another: the last one, or BENCH_CPU."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(os.environ.get("BENCH_CPU", max(os.sched_getaffinity(0))))})


def main():
    os.makedirs(B, exist_ok=True)
    pin()
    peak = fma_peak()
    rows = x86_rows()
    for name, dim, rep, c, p, em, sm in rows:
        print("%s: encoder %.3f ms (torch %.3f ms), step %.3f ms (torch %.3f ms)" % (
            name, c["encoder_s"] * 1e3, p["encoder_s"] * 1e3, c["step_s"] * 1e3, p["step_s"] * 1e3))
    # what each pass buys on x86, wmt200, in the same run
    base = os.path.join(B, "wmt200")
    # plus a control: the all-on build again, timed as if it were another,
    # to show how far two identical builds differ in this run
    xp = PASSES + [(CONTROL, [])]
    reps = [report(base + ".ltd", flags) for label, flags in xp]
    bins = [build_c(base, flags, "-p%d" % i) for i, (label, flags) in enumerate(xp)]
    times = bench_interleaved(bins, reps[0]["weight_bytes_decoder_step"])
    x86p = list(zip([label for label, flags in xp], times, reps))
    for label, c, rep in x86p:
        print("x86 wmt200 %s: encoder %.3f ms, step %.3f ms, arena %d B" % (
            label, c["encoder_s"] * 1e3, c["step_s"] * 1e3, rep["arena_bytes"]))
    mem = [report(os.path.join(ROOT, "models", m + ".ltd")) for m in ("wmt", "iwslt", "lm", "mixed", "dedict", "fortune")]
    m4 = []
    # wmt200 for the passes it has; iwslt (lightweight conv) and mixed
    # (pre-norm) for the two that only apply there
    runs = [(os.path.join(B, "wmt200"), "wmt200", label, flags) for label, flags in PASSES]
    for name, label, flags in (("iwslt", "all passes on", []), ("iwslt", "--no-fold-softmax", ["--no-fold-softmax"]),
                               ("mixed", "all passes on", []), ("mixed", "--no-fuse-ln-linear", ["--no-fuse-ln-linear"])):
        runs.append((os.path.join(ROOT, "models", name), name, label, flags))
    for base, name, label, flags in runs:
        rep = report(base + ".ltd", flags)
        ic = icount(base, "cortex-m4", flags, "-" + str(len(m4)))
        m4.append((name, label, ic, rep))
        print("cortex-m4 %s %s: encoder %d insns, step %d insns" % (name, label, ic["encoder_insns"], ic["steps_insns"] // ic["steps"]))
    timed = {name: (c["encoder_s"], c["step_s"]) for name, _, _, c, _, _, _ in rows}
    blas = blas_section(timed)
    x86 = x86_profiles(timed, peak)
    prof = profile_section([kernel_profile(make_model(cfg)) for cfg in PROFILE_MODELS], x86)
    quant = bench_quant()
    comp = compress_section(*bench_compress(quant[3]))
    write_doc(peak, rows, x86p, mem, m4, quant_section(*quant), prof, blas, comp)


QUANT_BEGIN, QUANT_END = "<!-- quant: bench/bench.py --quant -->", "<!-- /quant -->"


QUANTS = (("fp32", []), ("w8", ["--quantize", "w8"]), ("int8", ["--quantize", "int8"]))


def bench_quant():
    """fp32 against --quantize w8 and int8: x86 times (interleaved, one
    core), flash, Cortex-M4 instruction counts per model, the int8 matmul's
    instructions per MAC on Cortex-M4 and M55 at CMSIS-NN's shapes, and the
    held-out accuracy of the trained models next to PyTorch's own dynamic
    quantization."""
    x86 = []
    for cfg in (wmt_shape("wmt200", 200), wmt_shape("wmt496", 496)):
        base = make_model(cfg)
        reps = [report(base + ".ltd", f) for _, f in QUANTS]
        bins = [build_c(base, f, "-" + q) for q, f in QUANTS]
        x86.append((cfg["name"], reps, bench_interleaved(bins, reps[0]["weight_bytes_decoder_step"])))
        print("x86 %s fp32/w8/int8 step %s ms" % (cfg["name"], "/".join("%.4f" % (t["step_s"] * 1e3) for t in x86[-1][2])))
    m4 = []
    models = [(os.path.join(B, "wmt200"), "wmt200")] + [(os.path.join(ROOT, "models", m), m)
                                                      for m in ("iwslt", "mixed", "dedict", "fortune")]
    for base, name in models:
        for label, flags in QUANTS:
            m4.append((name, label, icount(base, "cortex-m4", flags, "-q" + label), report(base + ".ltd", flags)))
            print("cortex-m4 %s %s: encoder %d insns, %d a step" % (
                name, label, m4[-1][2]["encoder_insns"], m4[-1][2]["steps_insns"] // m4[-1][2]["steps"]))
    kern = {}
    for t in ("cortex-m4", "cortex-m55"):
        out = subprocess.run(["sh", os.path.join(ROOT, "tests", "int8", "run.sh"), t], cwd=ROOT, capture_output=True,
                             text=True, env=dict(os.environ, ICOUNT="1", B=os.path.join(B, "int8"), LTCC=LTCC)).stdout
        kern[t] = [(l.split("k_linear_i8 ")[1].split(":")[0], float(l.split(", ")[-1].split()[0]))
                   for l in out.splitlines() if "icount k_linear_i8" in l]
        print("%s k_linear_i8: %s" % (t, kern[t]))
    env = dict(os.environ, NW="1000", NF="761", B=os.path.join(B, "real"), LTCC=LTCC)
    subprocess.run(["sh", os.path.join(ROOT, "regress", "real", "run.sh")], env=env, cwd=ROOT,
                   capture_output=True, text=True)
    return x86, m4, kern, read_real(os.path.join(B, "real"))


COMP_BEGIN, COMP_END = "<!-- compress: bench/bench.py --compress -->", "<!-- /compress -->"
# (label, model file suffix, ltcc options): the trained models dense, and
# compressed by tools/ltcc-compress (models/*_dc)
CZ_BUILDS = (("fp32", "", ["--compress", "off"]), ("int8", "", ["--compress", "off", "--quantize", "int8"]),
             ("compressed", "_dc", []))


def bench_compress(real=None):
    """The trained models dense (fp32, int8) and compressed: flash,
    Cortex-M4 instructions, and (when real is None, from a full
    regress/real run) their held-out metrics in C."""
    rows = []
    for m in ("dedict", "fortune"):
        for i, (label, suf, flags) in enumerate(CZ_BUILDS):
            base = os.path.join(ROOT, "models", m + suf)
            rep = report(base + ".ltd", flags)
            ic = icount(base, "cortex-m4", flags, "-cz%d" % i)
            rows.append((m, label, rep, ic))
            print("compress %s %s: %d B, encoder %d insns, step %d" % (
                m, label, rep["weight_bytes"], ic["encoder_insns"], ic["steps_insns"] // ic["steps"]))
    if real is None:
        env = dict(os.environ, NW="1000", NF="761", B=os.path.join(B, "real"), LTCC=LTCC)
        subprocess.run(["sh", os.path.join(ROOT, "regress", "real", "run.sh")], env=env, cwd=ROOT,
                       capture_output=True, text=True)
        real = read_real(os.path.join(B, "real"))
    return rows, real


def compress_stages(m):
    """tools/ltcc-compress's record in models/M_dc.safetensors."""
    _, meta = st.load(os.path.join(ROOT, "models", m + "_dc.safetensors"), with_metadata=True)
    return json.loads(meta["compress"])


def compress_section(rows, real):
    L = [COMP_BEGIN, "## Compression: pruned and weight-shared models (`tools/ltcc-compress`, `--compress auto`)", "",
         "`models/dedict_dc` and `models/fortune_dc` are the trained models after `tools/ltcc-compress`:",
         "magnitude pruning in steps with fine-tuning between them, then one k-means codebook per matrix",
         "(16 entries with 0.0, or 256 for the embeddings) with its centroids fine-tuned. ltcc stores each",
         "matrix as its codebook and a stream of indices (`compiler/compress.c`: S4, a byte per nonzero, for",
         "the pruned ones; D8 for the embeddings), decoded by the kernels as they read it. Every figure in",
         "this section comes from one run of `bench/bench.py --compress`.", "",
         "### Flash and Cortex-M4 instructions (QEMU `-icount shift=0`)", "",
         "| model | build | weight bytes | vs fp32 | encoder | vs int8 | decoder step (mean) | vs int8 |",
         "|---|---|---|---|---|---|---|---|"]
    by = {(m, label): (rep, ic) for m, label, rep, ic in rows}
    for m, label, rep, ic in rows:
        f_rep = by[(m, "fp32")][0]
        i_ic = by[(m, "int8")][1]
        n = ic["steps"]
        enc, ienc = ic["encoder_insns"], i_ic["encoder_insns"]
        enc = enc if rep["macs_encoder"] else 0  # an LM's encode does nothing
        L.append("| %s | %s | %d | %.1fx | %s | %s | %.0f | %.2fx |" % (
            m, label, rep["weight_bytes"], f_rep["weight_bytes"] / rep["weight_bytes"],
            enc if enc else "-", "%.2fx" % (enc / ienc) if enc and ienc else "-",
            ic["steps_insns"] / n, (ic["steps_insns"] / n) / (i_ic["steps_insns"] / i_ic["steps"])))
    L += ["", "The issue's bound: no more than 1.5x dense int8's instructions. The encoder's matmuls decode",
          "each weight once for four rows; a decoder step walks each nonzero for its one row.", "",
          "What the compressed weights are made of (`ltcc --report-json`):", "",
          "| model | matrices | S4 | D4 | D8 | their bytes | fp32 tensors (biases, norms, conv taps) |",
          "|---|---|---|---|---|---|---|"]
    for m, label, rep, ic in rows:
        if label != "compressed":
            continue
        fm = [v["format"] for v in rep["compressed"].values()]
        L.append("| %s | %d | %d | %d | %d | %d B | %d B (%.0f%% of the flash) |" % (
            m, len(fm), fm.count("S4"), fm.count("D4"), fm.count("D8"), rep["weight_bytes_compressed"],
            rep["weight_bytes_fp32"], 100.0 * rep["weight_bytes_fp32"] / rep["weight_bytes"]))
    L += ["", "The vectors ltcc keeps in fp32 (biases, LayerNorms, conv taps: 2% of the parameters) are a",
          "quarter to a third of what is left; in these small models they, not the matrices, bound the",
          "ratio from here."]
    L += ["", "### Task metrics on the whole held-out sets, compiled C (`regress/real`, NW=1000 NF=761)", "",
          "| model | metric | fp32 | compressed | difference |", "|---|---|---|---|---|"]

    def num(key, word):
        return _num(real[key], word) if key in real and word + " " in real[key] else None
    for m, metric, word in (("fortune", "bits/char", "C"), ("dedict", "exact match", "exact"), ("dedict", "CER", "CER")):
        a, b = num(m + "-fp32", word), num(m + "_dc-cz", word)
        L.append("| %s | %s | %s | %s | %s |" % (m, metric, "%.4f" % a if a is not None else "-",
                                                 "%.4f" % b if b is not None else "-",
                                                 "%+.4f" % (b - a) if None not in (a, b) else "-"))
    L += ["", "The issue's bounds on the metrics (fortune at most +0.05 bits/char, dedict's exact match at",
          "most 0.01 below) hold only at lower sparsity: the stage tables below give the held-out figures",
          "after each pruning step (before weight sharing, which moves them little), and models/README.md",
          "the sizes there. At 18x these small, barely trained models lose what the paper's large one did",
          "not.", "",
          "### How `tools/ltcc-compress` got there (PyTorch, held-out sets, from the files' metadata)", "",
          "Times are wall clock on one thread, with other jobs sharing the machine's two cores.", ""]
    for m in ("dedict", "fortune"):
        c = compress_stages(m)
        L += ["`%s` (%.1f min):" % (c["command"], sum(s.get("seconds", 0) for s in c["stages"]) / 60), "",
              "| stage | sparsity | held-out |", "|---|---|---|"]
        for s in c["stages"]:
            L.append("| %s | %s | %s |" % (s["stage"], s.get("sparsity", ""),
                                          ", ".join("%s %.4f" % kv for kv in s["metric"].items())))
        L.append("")
    L += ["The lines the C figures come from:", "", "```"] + [real[k] for k in sorted(real) if "_dc" in k] + ["```", COMP_END]
    return L


def write_compress_only():
    rewrite_section(COMP_BEGIN, COMP_END, compress_section(*bench_compress()), "## Commands", "compression")


def read_real(d):
    """regress/real's result lines in d, and each dedict build's greedy
    output against fp32's (its driver run on the fp32 reference file, whose
    greedy column is fp32's output)."""
    real = {}
    for m in ("dedict", "fortune", "dedict_dc", "fortune_dc"):
        for v in ("fp32", "w8", "int8", "peer", "cz"):
            path = os.path.join(d, "%s-%s.out" % (m, v))
            if os.path.exists(path):
                with open(path) as f:
                    real[m + "-" + v] = f.read().strip()
    for v in ("w8", "int8"):
        drv = os.path.join(d, "dedict-" + v, "translit")
        if os.path.exists(drv):
            out = subprocess.run([drv, os.path.join(d, "dedict-fp32.txt")], capture_output=True, text=True).stdout
            real["dedict-%s-vs-fp32" % v] = out.strip()
    return real


def m4_rates(ic, rep):
    """From a QEMU icount run and the model's report: (steps, encoder
    instructions per MAC or 0 for an LM, mean step instructions, step
    instructions per MAC)."""
    n = ic["steps"]
    enc_macs = rep["macs_encoder"] / rep["report_length"] * n
    step = ic["steps_insns"] / n
    return n, ic["encoder_insns"] / enc_macs if enc_macs else 0, step, step / rep["macs_decoder_step"]


def _num(line, word):
    rest = line.split(word + " ", 1)[1]
    return float(rest.split()[0].rstrip(",;"))


# Arm CMSIS-NN, measured in QEMU on the same shapes (issue 9): instructions
# per MAC of arm_fully_connected_s8 and arm_nn_mat_mult_nt_t_s8 on Cortex-M4
CMSIS_M4 = {"30x64->64": (2.67, 2.18), "30x200->200": (2.13, 1.75), "30x496->496": (1.98, 1.61)}


def quant_section(x86, m4, kern, real):
    L = [QUANT_BEGIN, "## Quantization: `--quantize w8` and `int8` against fp32", "",
         "w8: int8 weight rows with one fp32 scale per row (`compiler/quant.c`), activations and arithmetic",
         "fp32. int8: the same weights, and every matmul's input rows quantized at run time (one scale per",
         "row), int32 sums, an fp32 epilogue. Every figure in this section comes from one run of",
         "`bench/bench.py --quant`.", "",
         "### x86-avx2 (builds timed in turn on one core, %d rounds, medians)" % ROUNDS, "",
         "| model | build | weights | encoder | vs fp32 | decoder step | vs fp32 |", "|---|---|---|---|---|---|---|"]
    for name, reps, t in x86:
        for (label, _), rep, tt in zip(QUANTS, reps, t):
            L.append("| %s | %s | %.2f MB | %.3f ms | %.2fx | %.4f ms | %.2fx |" % (
                name, label, rep["weight_bytes"] / 1e6, tt["encoder_s"] * 1e3, tt["encoder_s"] / t[0]["encoder_s"],
                tt["step_s"] * 1e3, tt["step_s"] / t[0]["step_s"]))
    L += ["", "A decoder step reads every decoder weight once, so it follows the bytes where fp32 weights",
          "spill out of the caches (wmt496). int8 also halves the multiply-adds' instructions",
          "(`vpmaddwd` on int16 pairs) but pays for quantizing each input row.", "",
          "### Cortex-M4 (QEMU `-icount shift=0`, instructions per multiply-add)", "",
          "| model | build | weights | encoder | instructions / MAC | decoder step (mean) | instructions / MAC |",
          "|---|---|---|---|---|---|---|"]
    for name, label, ic, rep in m4:
        n, enc, step, step_mac = m4_rates(ic, rep)
        L.append("| %s | %s | %d B | %d | %s | %.0f | %.2f |" % (
            name, label, rep["weight_bytes"], ic["encoder_insns"], "%.2f" % enc if enc else "-", step, step_mac))
    L += ["", "int8 runs the matmuls on SMLAD (two 16-bit multiply-adds an instruction); attention, the convs,",
          "softmax and LayerNorm stay fp32 and now weigh more. The encoder's matmuls have 30 rows, so each",
          "unpacked weight word serves four of them; a decoder step has one, and quantizing and laying out",
          "that row is not shared, so at D=64 (mixed) an int8 step costs more than an fp32 one. Since the",
          "fp32 matmul's inner loops load eight floats an instruction (VLDMIA, 1.125 instructions a MAC),",
          "fp32 takes fewer instructions than int8 on this core too: int8 buys flash (3.8x less), not speed;",
          "w8, whose loops are still C, is the slowest of the three.", "",
          "### The int8 matmul alone (`k_linear_i8`, `ICOUNT=1 tests/int8/run.sh`), instructions per MAC", "",
          "| shape | Cortex-M4 ltcc | CMSIS-NN arm_fully_connected_s8 | CMSIS-NN arm_nn_mat_mult_nt_t_s8 | Cortex-M55 ltcc |",
          "|---|---|---|---|---|"]
    m55 = dict(kern.get("cortex-m55", []))
    for shape, v in kern.get("cortex-m4", []):
        c = CMSIS_M4.get(shape, (float("nan"), float("nan")))
        L.append("| %s | %.2f | %.2f | %.2f | %.2f |" % (shape, v, c[0], c[1], m55.get(shape, float("nan"))))
    L += ["", "Each includes quantizing the 30 input rows. CMSIS-NN's figures are from issue 9, measured in QEMU",
          "on the same shapes; on Cortex-M55 it takes 0.49-0.70 (GCC 12).", ""]
    L += accuracy_rows(real)
    L.append(QUANT_END)
    return L


def accuracy_rows(real):
    L = ["### Accuracy on the trained models' whole held-out sets (`regress/real`, NW=1000 NF=761)", "",
         "| model | metric | fp32 | w8 | ltcc int8 | PyTorch dynamic int8 |", "|---|---|---|---|---|---|"]

    def cell(key, word, fmt):
        return fmt % _num(real[key], word) if key in real and word + " " in real[key] else "-"

    def same(v):  # words whose greedy output equals fp32's
        line = real.get("dedict-fp32" if v == "fp32" else "dedict-peer" if v == "peer" else "dedict-%s-vs-fp32" % v, "")
        w = line.split("identical" + (" to fp32" if v == "peer" else "") + " on ", 1)
        return w[1].split()[0] if len(w) == 2 else "-"
    L.append("| fortune | bits/char | %s | %s |" % (
        " | ".join(cell("fortune-" + v, "C", "%.6f") for v in ("fp32", "w8", "int8")),
        cell("fortune-peer", "(onednn):", "%.6f")))
    for metric, label in (("exact", "exact match"), ("CER", "CER")):
        L.append("| dedict | %s | %s |" % (label, " | ".join(cell("dedict-" + v, metric, "%.4f")
                                                             for v in ("fp32", "w8", "int8", "peer"))))
    L.append("| dedict | greedy output = fp32's | %s |" % " | ".join(same(v) for v in ("fp32", "w8", "int8", "peer")))
    L += ["", "PyTorch's `quantize_dynamic` (`regress/real/peer.py`) makes each `nn.Linear` int8 with a",
          "per-tensor activation scale; the output projection is `F.linear` in the reference, so it stays",
          "fp32 there, while ltcc int8 quantizes it too. ltcc's int8 build is held to `reference.py",
          "--quantize int8` on the same items: the two differ only where an activation lands within float",
          "noise of a rounding tie (dedict: 3 of 1000 words; fortune: 7.6e-6 bits/char). The lines each",
          "figure comes from (the drivers print FAIL when any word differs; `regress/real/run.sh` holds",
          "each comparison to its own bound):", "", "```"] + [real[k] for k in sorted(real)] + ["```"]
    return L


ADAPT_BEGIN, ADAPT_END = "<!-- adaptive -->", "<!-- /adaptive -->"
PROF_BEGIN, PROF_END = "<!-- profile: bench/bench.py --profile -->", "<!-- /profile -->"


def profiled_build(base, target, flags=()):
    """The model compiled for `target` into its profile directory, with
    prof_kernels.h (the model's file and its kernels' addresses for
    profile_main.c); returns (name, directory, report, the instrumenting
    flags). The kernels' helpers stay uninstrumented (their hooks would
    change the code measured): GCC excludes a function whose name contains
    a listed string, so a helper whose name is part of a kernel's stays in."""
    name = os.path.basename(base)
    d = os.path.join(B, name + "-" + target + "-prof")
    os.makedirs(d, exist_ok=True)
    run([LTCC, base + ".ltd", "-t", target, "--no-fit-check", "-o", os.path.join(d, "b.c"), "--prefix", "b"] + list(flags))
    # its kernels: a target's may differ (x86's _pk)
    rep = report(base + ".ltd", ["-t", target, "--no-fit-check"] + list(flags))
    with open(os.path.join(d, "prof_kernels.h"), "w") as f:
        f.write('#include "b.c"\n#define PROF_KERNELS { %s }\n' % ", ".join("(void *)" + k for k in rep["kernels"]))
    src = open(os.path.join(d, "b.c")).read()
    helpers = set(re.findall(r"^static [^(=]*?\b(k_\w+)\(", src, re.M)) - set(rep["kernels"])
    helpers = sorted(h for h in helpers if not any(h in k for k in rep["kernels"]))
    return name, d, rep, "-finstrument-functions -finstrument-functions-exclude-function-list=" + ",".join(helpers)


def kernel_profile(base, target="cortex-m4", flags=(), plain=True):
    """Instructions per kernel of one model on `target` (encoder over T tokens,
    T decoder steps), from bench/profile_main.c, against the uninstrumented
    count and the kernels' MACs (--report-json). What a kernel call runs is
    that kernel's, the helpers and library calls in it included."""
    name, d, rep, instrument = profiled_build(base, target, flags)
    env = dict(os.environ, EXTRA_CFLAGS="-I%s %s" % (d, instrument))
    out = run(["sh", os.path.join(ROOT, "regress", "qemu", "run-target.sh"), "--icount", target, d,
               os.path.join(ROOT, "bench", "profile_main.c")], env=env)
    syms = {}
    nm = "riscv64-unknown-elf-nm" if target.startswith("riscv") else "arm-none-eabi-nm"
    for line in run([nm, os.path.join(d, target + ".elf")]).splitlines():
        a, _, sym = line.split()[:3] if len(line.split()) >= 3 else (None, None, None)
        if a:
            syms[int(a, 16) & ~1] = sym
    fns = {}
    for line in out.splitlines():
        if line.startswith("fn "):
            _, a, e, st, c = line.split()
            fns[syms.get(int(a, 16) & ~1, a)] = (int(e), int(st), int(c))
    total = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    plain = icount(base, target, list(flags), "-plain") if plain else None
    macs = {k: (v["macs_encoder"], v["macs_steps"]) for k, v in rep["kernels"].items()}
    rows = {}
    for f, (e, sp, c) in fns.items():
        key = f if f in macs else "(blocks, entry points, loops)"
        r = rows.setdefault(key, [0, 0, 0])
        r[0] += e
        r[1] += sp
        r[2] += c
    return name, rows, macs, total, plain


def kernel_profile_x86(base, flags=()):
    """Time per kernel of one model on x86-avx2, as kernel_profile counts
    instructions on a Cortex-M: bench/profile_main.c built for the host with
    bench/host/rt.h, whose counter is the time-stamp counter; the median
    share of each kernel over 9 runs."""
    name, d, rep, instrument = profiled_build(base, "x86-avx2", flags)
    exe = os.path.join(d, "prof")
    run(["cc", "-std=c99", "-O2", "-mavx2", "-mfma", "-no-pie", "-I", os.path.join(ROOT, "bench", "host"), "-I", d,
         "-I", os.path.join(ROOT, "bench")] + instrument.split() +
        ["-o", exe, os.path.join(ROOT, "bench", "profile_main.c"), "-lm"])
    syms = {}
    for line in run(["nm", exe]).splitlines():
        w = line.split()
        if len(w) >= 3:
            syms[int(w[0], 16)] = w[2]
    shares = {}
    for _ in range(9):
        out = run([exe])
        tot_e, tot_s, got = 0, 0, {}
        for line in out.splitlines():
            if line.startswith("fn "):
                _, a, e, st, c = line.split()
                f = syms.get(int(a, 16), a)
                key = f if f in rep["kernels"] else "(blocks, entry points, loops)"
                g = got.setdefault(key, [0, 0])
                g[0] += int(e)
                g[1] += int(st)
                tot_e += int(e)
                tot_s += int(st)
        for k, (e, st) in got.items():
            shares.setdefault(k, ([], []))
            shares[k][0].append(e / tot_e if tot_e else 0)
            shares[k][1].append(st / tot_s if tot_s else 0)
    return name, {k: (statistics.median(v[0]), statistics.median(v[1])) for k, v in shares.items()}, rep


def x86_profile_section(profiles, timed, peak):
    """profiles: kernel_profile_x86's; timed: name -> (encoder s, step s) of
    the uninstrumented build, by which the shares become times."""
    L = ["In the model: each encoder over %d tokens, then %d decoder steps, `bench/profile_main.c` built for the" % (T, T),
         "host with `-finstrument-functions` and `bench/host/rt.h` (the time-stamp counter): each kernel's",
         "median share of the encoder's and of the steps' time over 9 runs, times the uninstrumented",
         "build's encoder and step times above, gives its time and its GFLOP/s against this run's FMA",
         "peak (%.1f GFLOP/s)." % peak, ""]
    for name, sh, rep in profiles:
        enc_s, step_s = timed[name]
        L += ["**%s** (encoder %.3f ms, step %.3f ms):" % (name, enc_s * 1e3, step_s * 1e3), "",
              "| kernel | encoder share | encoder GFLOP/s | % of peak | step share |", "|---|---|---|---|---|"]
        for k, (e, sp) in sorted(sh.items(), key=lambda kv: -kv[1][0]):
            m = rep["kernels"].get(k, {}).get("macs_encoder", 0)
            g = 2.0 * m / (e * enc_s) / 1e9 if m and e > 0 else 0
            L.append("| `%s` | %.1f%% | %s | %s | %.1f%% |" % (k, 100 * e, "%.1f" % g if g else "", "%.0f%%" % (100 * g / peak) if g else "", 100 * sp))
        L.append("")
    return L


def m55_scalar_xml():
    """cortex-m55's target file with the scalar family's kernels (the
    Cortex-M4/M7 ones, FPU only) in place of Helium's, and no panels."""
    path = os.path.join(B, "cortex-m55-scalar.xml")
    with open(os.path.join(ROOT, "targets", "cortex-m55.xml")) as f:
        xml = re.sub(r'<kernels [^>]*/>', '<kernels family="scalar"/>', f.read())
    with open(path, "w") as f:
        f.write(xml.replace('name="cortex-m55"', 'name="cortex-m55-scalar"'))
    return path


def m55_section():
    """Cortex-M55 with Helium against the same core with the scalar
    family's kernels, instructions in QEMU, for the profiled models."""
    xml = m55_scalar_xml()
    L = ["### Cortex-M55: Helium against the scalar kernels", "",
         "The same models on the same core (QEMU mps3-an547, `-icount shift=0`), built once with the `mve`",
         "family (`-t cortex-m55`: Helium kernels, weights packed in panels) and once with the `scalar`",
         "family (the Cortex-M4/M7 kernels, FPU only, rows). Target (issue 13): Helium at least 2x fewer.", "",
         "| model | encoder, Helium | encoder, scalar | ratio | %d steps, Helium | scalar | ratio |" % T,
         "|---|---|---|---|---|---|---|"]
    for cfg in PROFILE_MODELS:
        base = make_model(cfg)
        h = icount(base, "cortex-m55", [], "-mve")
        sc = icount(base, "cortex-m55", ["--target-file", xml], "-scalar")
        L.append("| %s | %d | %d | **%.2fx** | %d | %d | **%.2fx** |" % (
            cfg["name"], h["encoder_insns"], sc["encoder_insns"], sc["encoder_insns"] / h["encoder_insns"],
            h["steps_insns"], sc["steps_insns"], sc["steps_insns"] / h["steps_insns"]))
    return L + [""]


def profile_section(profiles, x86=()):
    L = [PROF_BEGIN, "## Cortex-M4 fp32: instructions per kernel", "",
         "Each model's encoder over %d tokens, then %d decoder steps, in QEMU (`-icount shift=0`), with" % (T, T),
         "its generated file built with `-finstrument-functions`: `bench/profile_main.c` charges a kernel",
         "call's instructions to the kernel (the helpers and library code it calls included), the rest",
         "to the innermost function, less what the hooks leak into the counts. MACs are the kernel",
         "table's (`--report-json`'s `kernels`, each step at its own length); a step's figures are the",
         "%d steps' sums. The totals line is the uninstrumented run's (`bench/icount_main.c`). The" % T,
         "targets (issue 13): wmt200 encoder <= 1.5 instructions/MAC and step <= 1.8; d64 encoder <= 2.0",
         "and step <= 2.6.", ""]

    def per(n, m):
        return "%.2f" % (n / m) if m else ""
    for name, rows, macs, total, plain in profiles:
        pe, ps = plain["encoder_insns"], plain["steps_insns"]
        tot = sum(r[0] + r[1] for r in rows.values())
        me = sum(m[0] for m in macs.values())
        ms = sum(m[1] for m in macs.values())
        L += ["**%s**: %d instructions profiled, %d counted without the instrumentation (%+.1f%%)." % (
            name, tot, pe + ps, 100.0 * (tot - pe - ps) / (pe + ps)), "",
            "| kernel | encoder instructions | / MAC | steps' instructions | / MAC | share |",
            "|---|---|---|---|---|---|"]
        for k, (e, sp, c) in sorted(rows.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
            m = macs.get(k, (0, 0))
            L.append("| `%s` | %d | %s | %d | %s | %.1f%% |" % (k, e, per(e, m[0]), sp, per(sp, m[1]),
                                                              100.0 * (e + sp) / tot))
        L += ["| **uninstrumented** | %d | **%.2f** | %d | **%.2f** | |" % (pe, pe / me, ps, ps / ms), ""]
    L += m55_section() + list(x86)
    L += ["`bench/bench.py --profile` writes this section alone.", PROF_END]
    return L


MATMUL_SHAPES = ((200, 200), (200, 400), (496, 496), (496, 992), (992, 496), (248, 496))


def matmul_alone():
    """bench/matmul_main.c: k_linear_pk at the encoder's shapes (30 rows),
    hot, against the FMA peak in the same run."""
    d = os.path.join(B, "wmt200-avx2")
    exe = os.path.join(B, "matmul")
    run(["cc", "-std=c99", "-O2", "-Wall", "-Werror", "-Wno-unused-function", "-mavx2", "-mfma", "-I", d,
         "-I", os.path.join(ROOT, "bench"), "-o", exe, os.path.join(ROOT, "bench", "matmul_main.c"), "-lm"])
    out = run([exe] + [str(v) for sh in MATMUL_SHAPES for v in sh])
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def x86_profiles(timed, peak):
    """The x86 lines: k_linear_pk alone at the encoder's shapes, then the time
    per kernel for wmt200 and wmt496; timed: name -> (encoder s, step s) of
    their uninstrumented builds."""
    mm = matmul_alone()
    L = ["## x86-avx2: the matmul alone, and time per kernel", "",
         "`k_linear_pk` (its weights packed in panels, `compiler/pack.c`) on 30 rows at the encoder's shapes,",
         "its weights hot in cache, and streamed (each call another copy of them, 64 MB of copies, as a",
         "model's matrices each run once a call) (`bench/matmul_main.c`: 41 samples, each the FMA peak loop",
         "then 10 calls, the median of the ratios; target 85%):", "",
         "| in | out | % of the FMA peak, hot | streamed |", "|---|---|---|---|"]
    L += ["| %d | %d | %.0f%% | %.0f%% |" % (r["in"], r["out"], 100 * r["of_peak"], 100 * r["of_peak_streamed"])
          for r in mm] + [""]
    profs = [kernel_profile_x86(make_model(wmt_shape(name, dim))) for name, dim in (("wmt200", 200), ("wmt496", 496))]
    return L + x86_profile_section(profs, timed, peak)


def write_profile_only():
    profiles = [kernel_profile(make_model(cfg)) for cfg in PROFILE_MODELS]
    peak = fma_peak()
    rewrite_section(PROF_BEGIN, PROF_END, profile_section(profiles, x86_profiles(ltcc_times(), peak)),
                    "## Commands", "profile")


# the shapes: the paper's D=200 WMT layout, and a D=64 2+2-layer
# model (dynamic conv + GLU, 4 heads, kernels 3 and 7) that fits an M4 in fp32
PROFILE_MODELS = (wmt_shape("wmt200", 200), wmt_shape("d64", 64, kernels=[3, 7]))


def kept_section(begin, end):
    """A section of docs/benchmarks.md written by another command, carried over as it is."""
    path = os.path.join(ROOT, "docs", "benchmarks.md")
    doc = open(path).read() if os.path.exists(path) else ""
    if begin in doc and end in doc:
        return doc[doc.index(begin):doc.index(end) + len(end)]
    return ""


def rewrite_section(begin, end, lines, before, what):
    """Replaces the part of docs/benchmarks.md between the markers begin
    and end with lines (which hold them); without the markers, inserts it
    before the heading `before` (or at the end)."""
    path = os.path.join(ROOT, "docs", "benchmarks.md")
    sec = "\n".join(lines)
    doc = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    if begin in doc and end in doc:
        a, b = doc.index(begin), doc.index(end) + len(end)
        doc = doc[:a] + sec + doc[b:]
    else:
        cut = doc.find("\n" + before)
        doc = doc[:cut] + "\n" + sec + "\n" + doc[cut:] if cut >= 0 else doc + "\n" + sec + "\n"
    with open(path, "w") as f:
        f.write(doc)
    print("wrote the %s section of docs/benchmarks.md" % what)


def ltcc_times():
    """ltcc's (encoder s, step s) on x86-avx2 for wmt200 and wmt496."""
    timed = {}
    for name, dim in (("wmt200", 200), ("wmt496", 496)):
        base = make_model(wmt_shape(name, dim))
        c = bench_c(base, report(base + ".ltd")["weight_bytes_decoder_step"])
        timed[name] = (c["encoder_s"], c["step_s"])
    return timed


def write_quant_only():
    rewrite_section(QUANT_BEGIN, QUANT_END, quant_section(*bench_quant()), "## Commands", "quantization")


def write_doc(peak, rows, x86p, mem, m4, quant, prof, blas, comp):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
    L = ["# Benchmarks", "",
         "Written by `make bench` (`bench/bench.py`); every figure below comes from one run of it.",
         "Timings are medians of %d repeated runs, one thread, source and target length %d." % (REPS, T),
         "PyTorch eager is tools/reference.py's model (same weights, K/V cache and conv history), torch %s." % _torch_version(),
         "", "Machine: %s." % cpu, "",
         "## x86-avx2 against PyTorch eager", "",
         "PyTorch here runs on the system's `libblas.so.3` (Debian's reference BLAS); the next section",
         "times it on OpenBLAS too.", "",
         "| model | D | encoder, ltcc | encoder, PyTorch | ratio | step, ltcc | step, PyTorch | ratio |",
         "|---|---|---|---|---|---|---|---|"]
    for name, dim, rep, c, p, em, sm in rows:
        L.append("| %s | %d | %.3f ms | %.3f ms | %.1fx | %.3f ms | %.3f ms | %.1fx |" % (
            name, dim, c["encoder_s"] * 1e3, p["encoder_s"] * 1e3, p["encoder_s"] / c["encoder_s"],
            c["step_s"] * 1e3, p["step_s"] * 1e3, p["step_s"] / c["step_s"]))
    L += [""] + blas
    L += [""] + throughput_section(peak, rows) + ["",
          "## What each pass buys (x86-avx2, wmt200)", "",
          "Each pass that applies to the WMT layout switched off in turn, then all of them. The builds",
          "are timed in turn on one core, %d rounds of %d runs each, in a new order each round, so load" % (ROUNDS, max(REPS // 4, 3)),
          "changes on this shared machine fall on all alike; each figure is",
          "the median of its rounds' medians. Arena: the planned scratch (`--report-json`, `arena_bytes`).", "",
          "| build | encoder | vs all on | step | vs all on | arena |",
          "|---|---|---|---|---|---|"]
    e0, s0 = x86p[0][1]["encoder_s"], x86p[0][1]["step_s"]
    for label, c, rep in x86p:
        L.append("| %s | %.3f ms | %.2fx | %.4f ms | %.2fx | %d B |" % (
            label, c["encoder_s"] * 1e3, c["encoder_s"] / e0, c["step_s"] * 1e3, c["step_s"] / s0, rep["arena_bytes"]))
    L += ["", "What the passes remove: `--no-zero-copy` copies each branch's channel slice out and its",
          "result back (split and concat); `--no-stream-attention` stores the (heads, T, T) score map;",
          "`--no-fuse-dyn-taps` stores every step's dynamic-conv taps (T, H*K); `--no-fuse-glu` stores",
          "linear1's (T, 2w) output; `--no-fuse-residual-ln` stores each block's output and adds and",
          "normalises in a second pass; `--no-fold-q-scale` scales q at run time. A buffer a pass removes",
          "shrinks the arena only as far as it is live at the plan's peak: the (heads, T, T) map (T = 64,",
          "the model's maximum) is; most others fit beside what is live there.", ""]
    off = next(r for r in x86p if r[0] == "all of these off")
    ctl = next(r for r in x86p if r[0] == CONTROL)[1]
    L += ["In this run, all of these off took %.2fx the encoder time and %.2fx the step time of all on," % (
        off[1]["encoder_s"] / e0, off[1]["step_s"] / s0),
          "with a %.2fx arena. The control, the same all-on build timed again, came out at %.2fx and %.2fx:" % (
        off[2]["arena_bytes"] / x86p[0][2]["arena_bytes"], ctl["encoder_s"] / e0, ctl["step_s"] / s0),
          "time differences of that size are this machine's noise, not the passes.", "",
          "## Memory plan", "",
          "| model | arena | lower bound | naive (every activation of the unfused program its own buffer) | naive / arena | state | weights |",
          "|---|---|---|---|---|---|---|"]
    for r in mem:
        L.append("| %s | %d B | %d B | %d B | %.1fx | %d B | %d B |" % (
            r["model"], r["arena_bytes"], r["arena_lower_bound_bytes"], r["arena_naive_bytes"],
            r["arena_naive_bytes"] / r["arena_bytes"], r["state_bytes"], r["weight_bytes"]))
    L += ["", "## Cortex-M4: instructions per multiply-add", "",
          "Compiled with `-t cortex-m4 --no-fit-check` (weights in the mps2-an386's PSRAM), run in QEMU",
          "with `-icount shift=0`, where SysTick counts instructions (resolution 40), the same in every run",
          "(`bench/icount_main.c`, `regress/qemu/run-target.sh --icount`); MACs from `--report`. Each pass",
          "is switched off on a model where it applies: wmt200 (post-norm, dynamic conv), iwslt (lightweight",
          "conv), mixed (pre-norm; its maximum length is 16, so 16 tokens and steps).", "",
          "| model | build | tokens | encoder | instructions / MAC | decoder step (mean) | instructions / MAC | arena |",
          "|---|---|---|---|---|---|---|---|"]
    for name, label, ic, rep in m4:
        n, enc, step, step_mac = m4_rates(ic, rep)
        L.append("| %s | %s | %d | %d | %.2f | %.0f | %.2f | %d B |" % (
            name, label, n, ic["encoder_insns"], enc, step, step_mac, rep["arena_bytes"]))
    L += ["", "The decoder-step MAC count is taken at %d keys (the report's length), not at each step's own," % T,
          "so its instructions / MAC is approximate; the encoder's is exact.", ""]
    w = [(label, ic) for name, label, ic, rep in m4 if name == "wmt200"]
    e0 = w[0][1]["encoder_insns"]
    ch = [100.0 * (ic["encoder_insns"] - e0) / e0 for label, ic in w[1:]]
    L += ["Reading the wmt200 rows: switching a pass off changes the encoder's instruction count by",
          "%+.1f%% to %+.1f%%. The structural passes (zero-copy, streaming attention, per-row taps) remove" % (min(ch), max(ch)),
          "buffers, not arithmetic, and the streaming softmax's rescaling and the per-row taps calls cost",
          "a few instructions of their own; on this core, whose memory has no cache to miss, what they buy",
          "is RAM, in the arena column.", ""]
    L += [""] + quant
    L += [""] + comp
    L += ["", kept_section(ADAPT_BEGIN, ADAPT_END)]
    L += [""] + prof
    L += ["", "## Commands", "", "```", "make bench            # = bench/bench.py: all of the above",
          "bench/adaptive.sh     # the adaptive softmax section (by hand: it is kept as it is)",
          "bench/bench.py --quant   # only the quantization section, rewritten in place",
          "bench/bench.py --compress  # only the compression section, rewritten in place",
          "bench/bench.py --profile # only the per-kernel profiles (Cortex-M4, x86), rewritten in place",
          "bench/bench.py --blas    # only PyTorch on the reference BLAS and OpenBLAS, rewritten in place",
          "bench/bench.py --throughput  # only the achieved throughput (ltcc on x86 against the FMA peak), rewritten in place",
          "build/ltcc MODEL.ltd --report-json FILE   # the memory figures", "```", ""]
    with open(os.path.join(ROOT, "docs", "benchmarks.md"), "w") as f:
        f.write("\n".join(L))
    print("wrote docs/benchmarks.md")


BLAS_BEGIN, BLAS_END = "<!-- blas: bench/bench.py --blas -->", "<!-- /blas -->"
OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-pthread"  # Debian's libopenblas0-pthread


def torch_child():
    """bench.py --torch BASE: bench_torch in this process, and the BLAS
    library it loaded, as one JSON line."""
    pin()
    r = bench_torch(sys.argv[sys.argv.index("--torch") + 1])
    libs = set()
    for line in open("/proc/self/maps"):
        w = line.split()
        if len(w) >= 6 and "blas" in os.path.basename(w[-1]):
            libs.add(os.path.realpath(w[-1]))
    r["blas"] = sorted(libs)
    print(json.dumps(r))


def bench_torch_blas(base, openblas):
    """PyTorch's times in a child process: with the system's libblas.so.3
    (Debian's reference BLAS unless the alternative was switched), or with
    OpenBLAS's put first on LD_LIBRARY_PATH for that process only, one
    thread, so nothing on the machine changes. None if OpenBLAS is not
    installed."""
    env = dict(os.environ)
    if openblas:
        if not os.path.exists(os.path.join(OPENBLAS_DIR, "libblas.so.3")):
            return None
        env["LD_LIBRARY_PATH"] = OPENBLAS_DIR + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        env["OPENBLAS_NUM_THREADS"] = "1"
    return json.loads(run([sys.executable, os.path.abspath(__file__), "--torch", base], env=env).splitlines()[-1])


def blas_section(timed):
    """ltcc against PyTorch on both BLAS; timed: name -> ltcc's (encoder s,
    step s) for wmt200 and wmt496."""
    L = [BLAS_BEGIN, "## PyTorch on the reference BLAS and on OpenBLAS", "",
         "PyTorch's `F.linear` runs on whatever `libblas.so.3` it loads. Debian's default is the",
         "reference BLAS, slow; the rows below time the same model both ways, each in its own process",
         "(`bench.py --torch`), OpenBLAS (`libopenblas0-pthread`) put first on `LD_LIBRARY_PATH` for",
         "its process only, `OPENBLAS_NUM_THREADS=1`. The library each loaded is named under the table.", "",
         "| model | encoder, ltcc | PyTorch, reference BLAS | ratio | PyTorch, OpenBLAS | ratio | step, ltcc | PyTorch, reference | ratio | PyTorch, OpenBLAS | ratio |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
    def cell(r, k, c):
        return "%.3f ms | %.1fx" % (r[k] * 1e3, r[k] / c) if r else "not installed | "
    libs = set()
    for name, dim in (("wmt200", 200), ("wmt496", 496)):
        base = make_model(wmt_shape(name, dim))
        enc, step = timed[name]
        ref, ob = bench_torch_blas(base, False), bench_torch_blas(base, True)
        libs.update(ref["blas"])
        if ob:
            libs.update(ob["blas"])
        L.append("| %s | %.3f ms | %s | %s | %.3f ms | %s | %s |" % (
            name, enc * 1e3, cell(ref, "encoder_s", enc), cell(ob, "encoder_s", enc), step * 1e3,
            cell(ref, "step_s", step), cell(ob, "step_s", step)))
    L += ["", "Loaded: " + ", ".join("`%s`" % l for l in sorted(libs)) + ".", BLAS_END]
    return L


THRU_BEGIN, THRU_END = "<!-- throughput: bench/bench.py --throughput -->", "<!-- /throughput -->"


def x86_rows(torch=True):
    """wmt200 and wmt496 on x86-avx2 (and in PyTorch eager): (name, D,
    report, ltcc's times, PyTorch's or None, encoder MACs, step MACs)."""
    rows = []
    for cfg in (wmt_shape("wmt200", 200), wmt_shape("wmt496", 496)):
        base = make_model(cfg)
        rep = report(base + ".ltd")
        c = bench_c(base, rep["weight_bytes_decoder_step"])
        p = bench_torch(base) if torch else None
        # multiply-adds at T: the encoder over T tokens; a step at position ~T/2 of T
        enc_macs = rep["macs_encoder"] / rep["report_length"] * T
        step_macs = rep["macs_decoder_step"]
        rows.append((cfg["name"], cfg["dim"], rep, c, p, enc_macs, step_macs))
    return rows


def throughput_section(peak, rows):
    L = [THRU_BEGIN, "## Achieved throughput", "",
         "This core's fp32 FMA peak, measured with `bench/fma_peak.c` (ten independent 256-bit FMA chains): **%.1f GFLOP/s**." % peak,
         "", "| model | encoder MACs | encoder GFLOP/s | % of peak | step MACs | step GFLOP/s | % of peak | one read of the weights | step / read |",
         "|---|---|---|---|---|---|---|---|---|"]
    for name, dim, rep, c, p, em, sm in rows:
        eg = 2 * em / c["encoder_s"] / 1e9
        sg = 2 * sm / c["step_s"] / 1e9
        L.append("| %s | %.1f M | %.1f | %.0f%% | %.2f M | %.1f | %.0f%% | %.3f ms (%.1f MB) | %.1fx |" % (
            name, em / 1e6, eg, 100 * eg / peak, sm / 1e6, sg, 100 * sg / peak,
            c["read_weights_s"] * 1e3, rep["weight_bytes_decoder_step"] / 1e6, c["step_s"] / c["read_weights_s"]))
    return L + ["", "A decoder step reads each of its weights once (the decoder's layers, one embedding row, the",
                "output matrix), so one streaming read of that many bytes is a floor for it; `step / read` near 1",
                "means the step is bound by memory, not arithmetic. Targets (issue 13): the encoder at 75% of the",
                "peak for wmt496 and 65% for wmt200; a step within 1.1x of its read.", THRU_END]


def fma_peak():
    run(["cc", "-O2", "-mavx2", "-mfma", "-o", os.path.join(B, "fma_peak"), os.path.join(ROOT, "bench", "fma_peak.c")])
    return json.loads(run([os.path.join(B, "fma_peak")]))["fma_peak_gflops"]


def write_throughput_only():
    rewrite_section(THRU_BEGIN, THRU_END, throughput_section(fma_peak(), x86_rows(torch=False)),
                    "## What each pass buys", "throughput")


def write_blas_only():
    rewrite_section(BLAS_BEGIN, BLAS_END, blas_section(ltcc_times()), "## Achieved throughput", "BLAS")


def _torch_version():
    import torch
    return torch.__version__


# one section of docs/benchmarks.md rewritten in place, by option
SECTIONS = {"--blas": write_blas_only, "--compress": write_compress_only, "--quant": write_quant_only,
            "--profile": write_profile_only, "--throughput": write_throughput_only}

if __name__ == "__main__":
    only = [f for opt, f in SECTIONS.items() if opt in sys.argv]
    if "--torch" in sys.argv:
        torch_child()
    elif only:
        os.makedirs(B, exist_ok=True)
        pin()
        only[0]()
    else:
        main()
