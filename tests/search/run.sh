#!/bin/sh
# tests/search/run.sh — ltcc search on the shipped example spaces, small:
#   - cortex-m4, examples/search/fortune.space.ltd (language models), a
#     short evolutionary search within budgets: every figure of every front
#     model is what ltcc --weightless --report-json says of its .ltd, every
#     front model is within the budgets and no candidate within them beats
#     it on both proxy and latency, each .json describes its .ltd, the SVG
#     parses; the same seed gives the same results, with 1 or 2 workers;
#   - x86-avx2, examples/search/dedict.space.ltd (encoder-decoder): small,
#     so every candidate is evaluated, each once;
#   - --measure: candidates run in QEMU, their counts next to the cost
#     model's (which tools/ltcc-calibrate fitted) within 30%;
#   - refusals: no candidate within the budgets, a budget beyond the target,
#     a malformed range, a space of invalid models, bad options; exit 1 (2
#     for usage) with a message, and the results directory left as it was.
# Usage: tests/search/run.sh   (from the repo root, after make; QEMU and the
# Arm toolchain for --measure; under a minute)
set -u
PY=${PY:-/usr/bin/python3}
LTCC=${LTCC:-build/ltcc}
W=$(mktemp -d "${TMPDIR:-/tmp}/ltcc-search.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT INT TERM
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass+1)); }
bad() { echo "[FAIL] $*"; fail=$((fail+1)); }
LM=examples/search/fortune.space.ltd
ED=examples/search/dedict.space.ltd
BUD="--max-flash 600K --max-ram 96K --max-latency-ms 250"

# shellcheck disable=SC2086
if $LTCC search $LM -t cortex-m4 $BUD --population 12 --generations 3 --seed 5 -j 2 -o "$W/lm" \
	> "$W/lm.out" 2> "$W/lm.err"; then
	ok "cortex-m4 search: $(head -1 "$W/lm.out")"
else
	bad "cortex-m4 search failed: $(tail -3 "$W/lm.err")"
fi
grep -q "generation 3/3" "$W/lm.err" && ok "progress on stderr" || bad "no progress lines: $(cat "$W/lm.err")"

# the tables against the compiler's own report of each front .ltd, the
# budgets, dominance, the configurations, the picture
if "$PY" - "$W/lm" "$LTCC" cortex-m4 614400 98304 250 > "$W/check.log" 2>&1 <<'EOF'
import csv, json, os, subprocess, sys, xml.etree.ElementTree as ET
d, ltcc, tgt = sys.argv[1:4]
mf, mr, mt = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
rows = list(csv.DictReader(open(os.path.join(d, "candidates.csv"))))
front = list(csv.DictReader(open(os.path.join(d, "front.csv"))))
assert len(rows) >= 12 and front, (len(rows), len(front))
names = [r["name"] for r in rows]
assert len(set(names)) == len(names), "a candidate twice"
feas = [r for r in rows if r["feasible"] == "1"]
num = lambda r, k: float(r[k])  # noqa: E731
for r in feas:
    assert num(r, "flash_bytes") <= mf and num(r, "ram_bytes") <= mr and num(r, "cost_ms") <= mt, r["name"]
for f in front:
    assert f["feasible"] == "1" and f["front"] == "1"
    for r in feas:
        better = num(r, "params_nonembedding") >= num(f, "params_nonembedding") and num(r, "cost_ms") <= num(f, "cost_ms")
        strictly = num(r, "params_nonembedding") > num(f, "params_nonembedding") or num(r, "cost_ms") < num(f, "cost_ms")
        assert not (better and strictly), "%s dominates %s" % (r["name"], f["name"])
assert [num(f, "cost_ms") for f in front] == sorted(num(f, "cost_ms") for f in front)
for f in front:
    ltd = os.path.join(d, f["name"] + ".ltd")
    rj = os.path.join(d, f["name"] + ".report.json")
    subprocess.run([ltcc, ltd, "--weightless", "-t", tgt, "--report-json", rj], check=True)
    rep = json.load(open(rj))
    assert rep["weight_bytes"] == int(f["flash_bytes"]), f["name"]
    assert rep["arena_bytes"] + rep["state_bytes"] + rep["qx_bytes"] == int(f["ram_bytes"]), f["name"]
    assert abs(rep["estimate_ms"] - num(f, "cost_ms")) <= 1e-4 * num(f, "cost_ms"), f["name"]
    cfg = json.load(open(os.path.join(d, f["name"] + ".json")))
    text = open(ltd).read()
    assert cfg["name"] == f["name"] and cfg["kind"] == "lm" and "dim %d;" % cfg["dim"] in text
    assert "layers %d;" % len(cfg["decoder"]["layers"]) in text
    assert sum(b["width"] for b in cfg["decoder"]["layers"][0]["branches"]) == cfg["dim"]
svg = ET.parse(os.path.join(d, "front.svg")).getroot()
circles = [e for e in svg.iter() if e.tag.endswith("circle")]
assert len(circles) == sum(r["valid"] == "1" for r in rows), (len(circles), len(rows))
print("%d candidates, %d within the budgets, front %d: figures equal the report's" % (len(rows), len(feas), len(front)))
EOF
then
	ok "front: $(tail -1 "$W/check.log")"
else
	bad "front check: $(tail -5 "$W/check.log")"
fi

# reproducible: the same seed, one worker
# shellcheck disable=SC2086
$LTCC search $LM -t cortex-m4 $BUD --population 12 --generations 3 --seed 5 -j 1 -o "$W/lm2" -q > /dev/null 2>&1
if cmp -s "$W/lm/candidates.csv" "$W/lm2/candidates.csv"; then
	ok "same seed, 1 or 2 workers: the same candidates.csv"
else
	bad "candidates.csv differs between runs of one seed"
fi
# shellcheck disable=SC2086
$LTCC search $LM -t cortex-m4 $BUD --population 12 --generations 3 --seed 6 -o "$W/lm3" -q > /dev/null 2>&1
cmp -s "$W/lm/candidates.csv" "$W/lm3/candidates.csv" && bad "another seed, the same search" || ok "another seed, another search"

# encoder-decoder, x86: the whole space
if $LTCC search $ED -t x86-avx2 -o "$W/ed" > "$W/ed.out" 2> "$W/ed.err" &&
	grep -q "evaluating all of them" "$W/ed.err"; then
	n=$(($(wc -l < "$W/ed/candidates.csv") - 1))
	# dim 3 x encoder layers 3 x split 2 x decoder layers 3 x split 2
	[ "$n" -eq 108 ] && ok "x86-avx2, encoder-decoder: all $n candidates" || bad "x86-avx2: $n candidates, not 108"
	grep -q "cross_attention heads 4;" "$W"/ed/dedict_*.ltd && ok "x86-avx2: front models are encoder-decoders" ||
		bad "x86-avx2: no encoder-decoder on the front"
else
	bad "x86-avx2 search failed: $(tail -3 "$W/ed.err")"
fi

# --measure: QEMU's counts next to the cost model's
if $LTCC search $LM -t cortex-m4 --max-flash 200K --random 2 --measure -o "$W/meas" -q > /dev/null 2> "$W/meas.err"; then
	if "$PY" - "$W/meas/candidates.csv" > "$W/meas.log" 2>&1 <<'EOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["feasible"] == "1"]
assert len(rows) == 2, rows
for r in rows:
    m, c = float(r["measured_cycles"]), float(r["cost_cycles"])
    assert abs(c / m - 1) < 0.3, (r["name"], m, c)
    print("%s: QEMU %.0f, cost model %.0f (%+.1f%%)" % (r["name"], m, c, 100 * (c / m - 1)))
EOF
	then ok "--measure: $(tr '\n' ';' < "$W/meas.log")"; else bad "--measure: $(tail -3 "$W/meas.log")"; fi
else
	bad "--measure failed: $(tail -3 "$W/meas.err")"
fi

# a space with one model; one whose large models are not compiled (their
# made-up weights would take gigabytes), with the same results on 1 and 2
# workers
printf 'model one {\n  dim 32;\n  vocab 16;\n  max_target 8;\n  decoder { layers 1; heads 2; kernels 3; }\n}\n' > "$W/one.ltd"
if $LTCC search "$W/one.ltd" -t cortex-m4 -o "$W/one" -q > /dev/null 2>&1 && [ "$(wc -l < "$W/one/front.csv")" -eq 2 ]; then
	ok "a space without choices: its one model"
else
	bad "a space without choices"
fi
printf 'model big {\n  dim [32 1073741824 64];\n  vocab 16;\n  max_target 8;\n  decoder { layers [1 2]; heads 2; kernels 3; }\n}\n' > "$W/big.ltd"
$LTCC search "$W/big.ltd" -t cortex-m4 -o "$W/big1" -q -j 1 > /dev/null 2>&1
$LTCC search "$W/big.ltd" -t cortex-m4 -o "$W/big2" -q -j 2 > /dev/null 2>&1
if cmp -s "$W/big1/candidates.csv" "$W/big2/candidates.csv" &&
	[ "$(grep -c "over the .* MB a candidate may have" "$W/big1/candidates.csv")" -eq 2 ] &&
	[ "$(grep -c ',1,1,$' "$W/big1/candidates.csv")" -ge 1 ]; then
	ok "models too large to compile are marked, the rest evaluated, alike on 1 and 2 workers"
else
	bad "large models: $(cut -c1-200 "$W/big1/candidates.csv" 2>/dev/null)"
fi

# refusals: status, message, and the directory as it was
refuse() {  # STATUS MESSAGE ARGS...
	want=$1 msg=$2; shift 2
	mkdir -p "$W/keep" && echo old > "$W/keep/candidates.csv"
	"$LTCC" search "$@" -o "$W/keep" > "$W/r.out" 2> "$W/r.err"
	st=$?
	if [ $st -eq "$want" ] && grep -q -- "$msg" "$W/r.err" && [ "$(cat "$W/keep/candidates.csv")" = old ] &&
		[ ! -e "$W/keep/front.csv" ]; then
		ok "refused ($st): $(head -1 "$W/r.err")"
	else
		bad "expected status $want and '$msg' for $*: status $st, $(head -3 "$W/r.err")"
	fi
}
refuse 1 "no candidate within the budgets" $LM -t cortex-m4 --max-flash 1K --generations 1 --population 8
refuse 1 "contradicts cortex-m4" $LM -t cortex-m4 --max-flash 8M
printf 'model s {\n  dim [64 .. 32];\n  decoder { layers 1; heads 2; }\n}\n' > "$W/range.ltd"
refuse 1 "range.ltd:2:11: error: empty range: 64 .. 32" "$W/range.ltd" -t cortex-m4
printf 'model s {\n  dim 64;\n  vocab 10;\n  max_target 8;\n  decoder { layers [1 2]; heads 3; }\n}\n' > "$W/bad.ltd"
refuse 1 "none of its 2 candidates is a valid model; the first: .*heads" "$W/bad.ltd" -t cortex-m4
printf 'model s { dim 64; decoder { layers 1; conv big; } }\n' > "$W/conv.ltd"
refuse 1 "'conv' takes lightweight or dynamic" "$W/conv.ltd" -t cortex-m4
printf 'model s { dim 64; decoder { layers 2; heads 2; kernels [3 4294967301]; } }\n' > "$W/kern.ltd"
refuse 1 "'kernels' takes kernel sizes from 1 to 1023" "$W/kern.ltd" -t cortex-m4
rm -rf "$W/fresh"
$LTCC search "$W/range.ltd" -t cortex-m4 -o "$W/fresh" 2> /dev/null
[ ! -e "$W/fresh" ] && ok "a failed search creates no directory" || bad "a failed search left $W/fresh"
refuse 2 "--population '1' must be an integer from 4" $LM --population 1
refuse 2 "unknown option '--bogus'" $LM --bogus=3
refuse 2 "unknown target 'cortex-m9'" $LM -t cortex-m9
$LTCC search $LM > /dev/null 2>&1; [ $? -eq 2 ] && ok "no -o: usage error" || bad "no -o: not a usage error"
$LTCC search $LM -o "$W/x" --population 2> "$W/r.err"; st=$?
[ $st -eq 2 ] && grep -q "option '--population' needs a value" "$W/r.err" && ok "a value missing: $(head -1 "$W/r.err")" ||
	bad "a value missing: status $st, $(head -1 "$W/r.err")"

echo "search: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
