"""measure.py — what one model costs when it runs, for tools/ltcc-measure
(ltcc search --measure) and tools/ltcc-calibrate: the run of
bench/run_model.h (the encoder over T tokens, T decoder steps), compiled
--weightless, counted in QEMU on a Cortex-M or RISC-V target (one
instruction a cycle) or timed on the host for x86-avx2 (the time-stamp
counter's median over 15 runs, in cycles of the target file's clock)."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import bench  # noqa: E402

QEMU_TARGETS = ("cortex-m4", "cortex-m7", "cortex-m55", "riscv32")
TARGETS = QEMU_TARGETS + ("x86-avx2",)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def xml_path(target):
    return os.path.join(ROOT, "targets", target + ".xml")


def clock_mhz(target, xml=None):
    return int(ET.parse(xml or xml_path(target)).getroot().find("cost").get("clock-mhz"))


def host_time(base, flags, reps=15, xml=None):
    """x86: median cycles of the encoder run and of the T steps, the
    counter's ticks scaled to the target file's clock (bench/host/time_main.c)."""
    d = os.path.join(bench.B, os.path.basename(base) + "-time")
    os.makedirs(d, exist_ok=True)
    run([bench.LTCC, base + ".ltd", "-t", "x86-avx2", "--no-fit-check", "-o", os.path.join(d, "b.c"), "--prefix", "b",
         "--weightless"] + list(flags))
    exe = os.path.join(d, "time")
    run(["cc", "-std=c99", "-O2", "-mavx2", "-mfma", "-I", os.path.join(ROOT, "bench", "host"), "-I", d,
         "-I", os.path.join(ROOT, "bench"), "-o", exe, os.path.join(d, "b.c"),
         os.path.join(ROOT, "bench", "host", "time_main.c"), "-lm"])
    r = json.loads(run([exe, str(reps)]))
    scale = clock_mhz("x86-avx2", xml) * 1e6 / r["tsc_hz"]
    return {"enc": r["encoder_ticks"] * scale, "steps": r["steps_ticks"] * scale}


def whole(target, base, flags=(), xml=None):
    """Cycles of the whole run, uninstrumented."""
    if target == "x86-avx2":
        t = host_time(base, flags, xml=xml)
        return t["enc"] + t["steps"]
    r = bench.icount(base, target, ["--weightless"] + list(flags), "-plain")
    return r["encoder_insns"] + r["steps_insns"]
