#!/bin/sh
# adaptive.sh — what an adaptive softmax saves: a language model in the
# layout of the authors' WIKITEXT-103 LM (tools/gen_models.py's alm: adaptive
# input, tied adaptive softmax, factor 4), widened to D=256 with a
# 32,000-word vocabulary cut at 4,000 and 12,000, random weights. Prints
# ltcc --report's figures for the output layer and runs bench/greedy_main.c
# (greedy decoding with the tail skip against decode_step + argmax, on this
# host, x86-avx2 build).
# Usage: bench/adaptive.sh   (from the repo root, after make)
set -eu
PY=${PY:-/usr/bin/python3}
W=$(mktemp -d "${TMPDIR:-/tmp}/ltcc-adaptive.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
"$PY" - "$W" <<'PYEOF'
import copy, os, sys
sys.path.insert(0, "tools")
import gen_models, st
cfg = copy.deepcopy(gen_models.MODELS["alm"])
cfg.update(name="wlm", dim=256, tgt_vocab=32000, max_target=64)
cfg["adaptive_input"]["cutoffs"] = cfg["adaptive_softmax"]["cutoffs"] = [4000, 12000]
for lay in cfg["decoder"]["layers"][:2]:
    for b in lay["branches"]:
        b["width"] = 128
        b["heads"] = 4
cfg["decoder"]["layers"] = cfg["decoder"]["layers"][:2]
cfg["decoder"]["ffn"] = 512
st.save(os.path.join(sys.argv[1], "wlm.safetensors"), gen_models.gen_weights(cfg))
PYEOF
sed -e 's/^model alm/model wlm/' -e 's/alm\.safetensors/wlm.safetensors/' -e 's/dim 64;/dim 256;/' \
    -e 's/vocab 300;/vocab 32000;/' -e 's/max_target 24;/max_target 64;/' -e 's/40 120 factor/4000 12000 factor/' \
    -e 's/layers 3;/layers 2;/' -e 's/ffn 128/ffn 512/' -e 's/kernels 3 7 15;/kernels 3 7;/' \
    -e 's/32 heads 4/128 heads 4/' models/alm.ltd >"$W/wlm.ltd"
build/ltcc "$W/wlm.ltd" -t x86-avx2 --report -o "$W/g.c" --prefix g | grep -E "^(decoder step|adaptive)"
cc -O2 -mavx2 -mfma -std=c99 -I"$W" bench/greedy_main.c "$W/g.c" -o "$W/run" -lm
"$W/run" 9 12 4000 12000 32000
