#!/bin/sh
# tests/compress/run.sh — tools/ltcc-compress end to end, on a slice of the
# data (--quick: 3000 dedict pairs, 100 held out; a few steps a stage):
#   - what it writes is what it says: every pruned matrix at the sparsity
#     asked for and on at most 16 values (0.0 among them), each embedding
#     on at most 256, every other tensor as it was given, the metadata's
#     codebooks equal to the values, its stages and command recorded;
#   - the same seed gives the same file, byte for byte;
#   - ltcc then stores every matrix compressed, and the C (driver of
#     regress/driver.c's kind, through --emit-testbench) matches
#     tools/reference.py's goldens on the written weights;
#   - refusals: a model without a data reader, weights without a training
#     config, a missing file, bad options; exit 1 (2 for usage) with a
#     message, and nothing written.
# Usage: tests/compress/run.sh   (from the repo root, after make; the
# Debian data packages of regress/real/packages.txt; about a minute)
set -u
PY=${PY:-/usr/bin/python3}
LTCC=${LTCC:-build/ltcc}
CC=${CC:-cc}
W=$(mktemp -d "${TMPDIR:-/tmp}/ltcc-compress.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT INT TERM
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass+1)); }
bad() { echo "[FAIL] $*"; fail=$((fail+1)); }
T=tools/ltcc-compress

run_quick() {  # OUT.ltd: a quick dedict run
	"$PY" $T models/dedict.ltd -o "$1" --quick --sparsity 0.8 --prune-epochs 0.3 --share-epochs 0.2 --seed 7
}
if run_quick "$W/a.ltd" > "$W/a.log" 2>&1; then
	ok "quick dedict run: $(tail -1 "$W/a.log")"
else
	bad "quick dedict run failed: $(tail -3 "$W/a.log")"
fi

# the written tensors against the input and the metadata
if "$PY" - "$W/a.safetensors" models/dedict.safetensors > "$W/check.log" 2>&1 <<'EOF'
import json, sys
import numpy as np
sys.path.insert(0, "tools")
import st
out, meta = st.load(sys.argv[1], with_metadata=True)
orig = st.load(sys.argv[2])
comp = json.loads(meta["compress"])
assert set(out) == set(orig), "tensor names differ"
assert json.loads(meta["config"]) and meta["model"] == "dedict"
n = 0
for name, w in out.items():
    assert w.shape == orig[name].shape and np.isfinite(w).all(), name
    if w.ndim != 2:
        continue
    n += 1
    vals = np.unique(w)
    info = comp["tensors"][name]
    assert set(vals) <= set(np.array(info["codebook"], dtype=np.float32)), name + ": codebook"
    if "embed_tokens" in name:
        assert len(vals) <= 256, name
        assert not w[orig[name] == 0].any(), name + ": a zero (the padding row) is no longer zero"
    else:
        assert len(vals) <= 16 and 0.0 in vals, name
        assert abs(float((w == 0).mean()) - 0.8) < 0.01, "%s: sparsity %.3f" % (name, (w == 0).mean())
assert n == len(comp["tensors"]) == 62, n
assert [s["stage"] for s in comp["stages"]][0] == "trained" and "ltcc-compress" in comp["command"]
print("%d matrices on their codebooks, sparsity 0.80, metadata consistent" % n)
EOF
then
	ok "written weights: $(tail -1 "$W/check.log")"
else
	bad "written weights: $(tail -2 "$W/check.log")"
fi

# reproducible for a seed (the metadata's stage times aside)
same() {
	"$PY" -c "
import sys, json; sys.path.insert(0, 'tools'); import st, numpy as np
(a, ma), (b, mb) = (st.load(p, with_metadata=True) for p in sys.argv[1:3])
assert list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a)
strip = lambda m: [dict(s, seconds=0) for s in json.loads(m['compress'])['stages']]
assert strip(ma) == strip(mb)" "$1" "$2"
}
if run_quick "$W/b.ltd" > "$W/b.log" 2>&1 && same "$W/a.safetensors" "$W/b.safetensors"; then
	ok "the same seed writes the same weights and metrics"
else
	bad "two runs with seed 7 differ"
fi

# ltcc stores it compressed, and the C matches the reference on it
"$LTCC" "$W/a.ltd" --report-json "$W/r.json" -o "$W/a.c" > /dev/null 2>&1
nc=$("$PY" -c "import json,sys; print(len(json.load(open(sys.argv[1]))['compressed']))" "$W/r.json")
if [ "$nc" = 62 ]; then
	ok "ltcc stores all 62 matrices compressed"
else
	bad "ltcc stores ${nc:-?} of 62 matrices compressed"
fi
"$PY" -c "import json,sys; sys.path.insert(0,'tools'); import st; json.dump(json.loads(st.load(sys.argv[1], with_metadata=True)[1]['config']), open(sys.argv[2],'w'))" \
	"$W/a.safetensors" "$W/a.json"
mkdir -p "$W/gold" "$W/tb"
if "$PY" tools/reference.py "$W/a.json" "$W/a.safetensors" "$W/gold" > /dev/null 2>&1 \
   && "$LTCC" "$W/a.ltd" -o "$W/tb/m.c" --prefix m --emit-testbench "$W/tb" $(for g in "$W"/gold/*.golden; do echo --golden "$g"; done) \
   && $CC -std=c99 -O2 -I"$W/tb" "$W/tb/m.c" "$W/tb/testbench.c" -o "$W/tb/t" -lm \
   && "$W/tb/t" > "$W/tb.log" 2>&1; then
	ok "compiled compressed model against tools/reference.py: $(grep '^testbench:' "$W/tb.log")"
else
	bad "compiled compressed model against tools/reference.py: $(tail -2 "$W/tb.log" 2>/dev/null)"
fi

# refusals: exit status, a message, nothing written
refuse() {  # WHAT STATUS PATTERN ARGS...
	what=$1 want=$2 pat=$3
	shift 3
	rm -f "$W/r.ltd" "$W/r.safetensors"
	"$PY" $T "$@" > "$W/r.log" 2>&1
	st=$?
	if [ $st -eq "$want" ] && grep -q "$pat" "$W/r.log" && [ ! -e "$W/r.ltd" ] && [ ! -e "$W/r.safetensors" ]; then
		ok "refuses $what (exit $st): $(grep -m1 "$pat" "$W/r.log")"
	else
		bad "$what: exit $st, wanted $want and /$pat/; $(tail -1 "$W/r.log")"
	fi
}
make -s models > /dev/null 2>&1
refuse "a model without a data reader" 1 "no training data reader" models/mixed.ltd -o "$W/r.ltd"
cp models/dedict.ltd "$W/nocfg.ltd"
"$PY" -c "import sys; sys.path.insert(0,'tools'); import st; t,m=st.load('models/dedict.safetensors', with_metadata=True); st.save(sys.argv[1], t, {'model': 'dedict'})" "$W/dedict.safetensors"
refuse "weights without a training config" 1 "no training config" "$W/nocfg.ltd" -o "$W/r.ltd"
refuse "a missing .ltd" 1 "error" "$W/none.ltd" -o "$W/r.ltd"
refuse "a sparsity of 1" 2 "sparsity" models/dedict.ltd -o "$W/r.ltd" --sparsity 1
refuse "an output that is not .ltd" 2 "ltd" models/dedict.ltd -o "$W/r.safetensors"

echo "compress: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
