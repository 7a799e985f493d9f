#!/bin/sh
# tests/import/run.sh — tools/ltcc-import end to end.
#
# gen_models.py writes seeded random models; make_ckpts.py wraps them in
# fairseq checkpoints as lite-transformer saves them; ltcc-import turns each
# back into a .ltd + safetensors; ltcc compiles that; regress/driver.c runs
# the C against goldens that tools/reference.py computed from the ORIGINAL
# config and weights.  Also: old-style tensor names, fp16, fairseq's version
# rule, the position caps, usage errors, and inputs that must be refused with
# a clear message and no output left behind.
#
# The adaptive and projected models: alm (the authors' WIKITEXT-103 small LM
# scaled down: adaptive input, adaptive softmax tied to it with its
# projections, the tied tensors saved twice), plm (learned positions,
# project_in_dim / project_out_dim, untied adaptive softmax) and xenc (even
# encoder kernels, learned positions in both stacks, decoder projections
# around a tied embedding) with xenc-nopos (no positions at all).  plm and
# xenc are checked against make_ckpts.py's plmf / xencf / xencn, variants of
# gen_models' plm and xenc that lite-transformer's args can express (see
# make_ckpts.py).  Each such import must also hold exactly the original
# model's tensors: a tied copy is written once, under the adaptive input's
# name.
#
# Hostile inputs (make_evil.py): pickles that reach exec/eval/os.system
# through dotted `_rebuild_*` names and getattr chains, names the old
# allow-list let through by suffix, allowed callables used as memory bombs,
# refused opcodes, deep nesting, deflate bombs and lying zip headers, and
# files that are not regular files.  Each must exit 1 with a clear message,
# leave no output and no marker file (which every code-running payload would
# create), and stay within HOSTILE_KB of memory and 30 s.
#
# Usage: tests/import/run.sh   (from the repo root; LTCC=path/to/ltcc, default build/ltcc;
#        IMP=path/to/ltcc-import to test another importer)
set -u
PY=${PY:-/usr/bin/python3}
CC=${CC:-cc}
LTCC=${LTCC:-build/ltcc}
IMP=${IMP:-tools/ltcc-import}
HOSTILE_KB=${HOSTILE_KB:-307200}     # 300 MB; the old importer used 2.3 GB on the deflate bombs
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=
ok()  { echo "[PASS] $*"; }
bad() { echo "[FAIL] $*"; }

if [ ! -x "$LTCC" ]; then
	echo "tests/import: no ltcc at $LTCC (run make, or set LTCC)" >&2
	exit 1
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/ltcc-import-test.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT INT TERM
G=$W/gen CK=$W/ck GOLD=$W/golden OUT=$W/out EV=$W/evil MK=$W/marker
mkdir -p "$OUT"

if ! "$PY" tools/gen_models.py "$G" wmt iwslt lm alm >/dev/null \
   || ! "$PY" tests/import/make_ckpts.py "$G" "$CK" >/dev/null \
   || ! "$PY" tests/import/make_evil.py "$EV" "$MK" >/dev/null; then
	echo "tests/import: could not build the test checkpoints" >&2
	exit 1
fi
# goldens from the original configs and weights, two at a time
golden() {
	for m in "$@"; do
		"$PY" tools/reference.py "$G/$m.json" "$G/$m.safetensors" "$GOLD" >/dev/null \
			|| { echo "tests/import: reference.py failed on $m" >&2; return 1; }
	done
}
golden wmt lm tiny16 alm &
gpid=$!
golden iwslt tiny plmf xencf xencn || exit 1
wait $gpid || exit 1

# import CKPT as OUT/NAME, compile with ltcc, build with the driver the way
# regress/run.sh does, and run it over GOLDEN's cases
# usage: compiled NAME GOLDEN IMPORT-OPTIONS...
compiled() {
	name=$1 golden=$2; shift 2
	d=$OUT/c-$name
	mkdir -p "$d"
	if ! "$PY" $IMP "$CK/$name.pt" -o "$OUT/$name.ltd" "$@" >"$d/import.log" 2>&1; then
		bad "$name: ltcc-import failed: $(cat "$d/import.log")"; return
	fi
	if ! "$LTCC" "$OUT/$name.ltd" -o "$d/m.c" --prefix m 2>"$d/ltcc.log"; then
		bad "$name: ltcc rejected the imported model: $(cat "$d/ltcc.log")"; return
	fi
	if [ -s "$d/ltcc.log" ]; then
		bad "$name: ltcc warned about the imported model: $(cat "$d/ltcc.log")"
	fi
	flags=$(sed -n 's/^ \* build: *cc \(.*\) -c m\.c$/\1/p' "$d/m.c")
	if ! $CC $flags -Wall -Wextra -pedantic -Werror -c "$d/m.c" -o "$d/m.o" \
	   || ! $CC -std=c99 -O2 -Wall -Wextra -Werror -I"$d" -c regress/driver.c -o "$d/driver.o" \
	   || ! $CC -o "$d/run" "$d/m.o" "$d/driver.o" -lm; then
		bad "$name: generated C does not build with: $flags"; return
	fi
	out=$("$d/run" "$GOLD/$golden"-*.golden)
	n_all=$(ls "$GOLD/$golden"-*.golden | wc -l)
	n_ok=$(echo "$out" | grep -c " ok ")
	if [ "$n_ok" -eq "$n_all" ]; then
		ok "$name: compiled import matches $golden's goldens ($n_ok cases within 1e-4)"
	else
		echo "$out" | sed "s/^/    /"
		bad "$name: $n_ok of $n_all golden cases within 1e-4"
	fi
}

# the same tensors under the same names, and the same .ltd body
# usage: same_import A B
same_import() {
	if "$PY" - "$OUT/$1.safetensors" "$OUT/$2.safetensors" <<'EOF'
import sys
sys.path.insert(0, "tools")
import numpy as np
import st
a, b = st.load(sys.argv[1]), st.load(sys.argv[2])
sys.exit(0 if list(a) == list(b) and all(np.array_equal(a[k], b[k]) for k in a) else 1)
EOF
	then ok "$2: the same tensors as $1"; else bad "$2: tensors differ from $1's"; fi
	for f in "$1" "$2"; do
		grep -v '^#' "$OUT/$f.ltd" | sed 's/"[^"]*"//; s/^model [a-z_0-9]*/model/' >"$OUT/$f.body"
	done
	if cmp -s "$OUT/$1.body" "$OUT/$2.body"; then ok "$2: the same model description as $1"; else bad "$2: model description differs from $1's"; fi
}

# the import of NAME holds exactly the tensors of the model GEN/ORIG it came
# from, equal, under the same names
# usage: as_original NAME ORIG
as_original() {
	if "$PY" - "$OUT/$1.safetensors" "$G/$2.safetensors" >"$OUT/$1.orig" <<'EOF'
import sys
sys.path.insert(0, "tools")
import numpy as np
import st
a, b = st.load(sys.argv[1]), st.load(sys.argv[2])
if sorted(a) != sorted(b):
    print("only in the import: %s; only in the original: %s"
          % (sorted(set(a) - set(b)), sorted(set(b) - set(a))))
    sys.exit(1)
bad = [k for k in a if a[k].shape != b[k].shape or not np.array_equal(a[k], b[k])]
if bad:
    print("different: %s" % bad)
sys.exit(1 if bad else 0)
EOF
	then ok "$1: exactly the tensors of $2, each once"; else bad "$1: tensors differ from $2's: $(cat "$OUT/$1.orig")"; fi
}

# must exit STATUS, say MESSAGE (an extended regex) on stderr and leave nothing behind
# usage: refused CKPT STATUS MESSAGE [OPTIONS...]
refused() {
	ck=$1 want=$2 msg=$3; shift 3
	o=$OUT/r-$(basename "$ck" .pt)
	rm -f "$o".ltd "$o".safetensors
	"$PY" $IMP "$ck" -o "$o.ltd" "$@" >"$o.out" 2>"$o.err"
	rc=$?
	left=$(ls -a "$OUT" | grep -F "r-$(basename "$ck" .pt)." | grep -v -e '\.out$' -e '\.err$')
	if [ "$rc" -ne "$want" ]; then
		bad "$(basename "$ck"): exit $rc, expected $want: $(cat "$o.err")"
	elif ! grep -Eq -e "$msg" "$o.err"; then
		bad "$(basename "$ck"): message does not match /$msg/: $(cat "$o.err")"
	elif [ -n "$left" ]; then
		bad "$(basename "$ck"): left files behind: $left"
	else
		ok "$(basename "$ck"): exit $rc, $(tail -n 1 "$o.err" | sed 's/^ltcc-import: //' | cut -c 1-150)"
	fi
}

# a hostile input: must exit 1 within 30 s, say MESSAGE (an extended regex)
# on stderr, leave no output, create no $MK/NAME marker, and stay under
# HOSTILE_KB of memory
# usage: hostile CKPT MESSAGE [OPTIONS...]
hostile() {
	ck=$1 msg=$2; shift 2
	n=$(basename "$ck" .pt)
	o=$OUT/h-$n
	if [ -n "$TIME" ]; then
		timeout 30 "$TIME" -f %M -o "$o.kb" "$PY" $IMP "$ck" -o "$o.ltd" "$@" >"$o.out" 2>"$o.err"
	else
		timeout 30 "$PY" $IMP "$ck" -o "$o.ltd" "$@" >"$o.out" 2>"$o.err"
	fi
	rc=$?
	kb=$(tail -n 1 "$o.kb" 2>/dev/null | grep -E '^[0-9]+$' || echo 0)
	err=$(grep -v '^Command ' "$o.err" | tail -n 1)
	if [ -e "$MK/$n" ]; then
		bad "$n.pt: THE PAYLOAD RAN (marker $MK/$n exists; exit $rc): $err"
	elif [ "$kb" -gt "$HOSTILE_KB" ]; then
		bad "$n.pt: used $((kb / 1024)) MB of memory (limit $((HOSTILE_KB / 1024)) MB; exit $rc): $err"
	elif [ "$rc" -ne 1 ]; then
		bad "$n.pt: exit $rc, expected 1$([ "$rc" -eq 124 ] && echo ' (timed out after 30 s)'): $err"
	elif ! echo "$err" | grep -Eq -e "$msg"; then
		bad "$n.pt: message does not match /$msg/: $err"
	elif [ -e "$o.ltd" ] || [ -e "$o.safetensors" ]; then
		bad "$n.pt: wrote output"
	else
		ok "$n.pt: exit 1, no marker, $((kb / 1024)) MB, $(echo "$err" | sed 's/^ltcc-import: error: [^ ]*: //' | cut -c 1-110)"
	fi
}

# what the .ltd says
has() {  # has FILE REGEX WHAT
	if grep -Eq "$2" "$1"; then ok "$3"; else bad "$3: no /$2/ in $(basename "$1")"; fi
}

# ---- the checks, in three lanes run side by side (each writes its own report) ----
lane_big() {
	compiled wmt wmt --max-source 64 --max-target 64      # legacy torch format, shared embeddings
	# old-style names import to exactly what the new names give
	if "$PY" $IMP "$CK/wmt-old.pt" -o "$OUT/wmt-old.ltd" --max-source 64 --max-target 64 >/dev/null 2>&1; then
		same_import wmt wmt-old
	else
		bad "wmt-old: ltcc-import failed"
	fi
	if "$PY" $IMP "$CK/wmt.pt" -o "$OUT/capped.ltd" >/dev/null 2>&1; then
		has "$OUT/capped.ltd" '^ *max_source 256; +# capped' "wmt without options: max_source capped at 256 with a comment"
		has "$OUT/capped.ltd" '^ *weights "capped.safetensors";' "the .ltd names its weights by file name"
		has "$OUT/capped.ltd" '^model capped \{' "the model name comes from the output file"
	else
		bad "wmt: ltcc-import without limits failed"
	fi
	has "$OUT/wmt.ltd" '^ *embeddings shared;' "wmt: shared embeddings"
	has "$OUT/wmt.ltd" '^ *kernels 3 7 15 31 31 31;' "wmt: the 7-entry kernel list cut to 6 layers"
}

lane_mid() {
	compiled iwslt iwslt --max-source 64 --max-target 64  # lightweight (H,1,K), separate output
	compiled lm lm                                        # max_target from tokens_per_sample
	has "$OUT/lm.ltd" '^ *norm pre;' "lm: the LM architecture forces pre-norm over args"
	has "$OUT/lm.ltd" '^ *max_target 96;' "lm: max_target from tokens_per_sample"
	refused "$CK/bad-arch.pt" 1 "unsupported architecture 'lightconv_iwslt_de_en'"
	refused "$CK/bad-branch.pt" 1 "unsupported branch kind 'conv'"
	refused "$CK/bad-no-linear.pt" 1 "conv_linear"
	refused "$CK/bad-char.pt" 1 "character_embeddings is set: character embeddings .* not supported"
	# adaptive input / softmax, learned positions
	refused "$CK/bad-cutoff-vocab.pt" 1 "adaptive_softmax_cutoff 30,700: the cutoff 700 is above the vocabulary size 120"
	refused "$CK/bad-cutoff-order.pt" 1 "adaptive_softmax_cutoff is '70,30': the cutoffs must increase"
	refused "$CK/bad-tie-noinput.pt" 1 "tie_adaptive_weights is set without an adaptive input"
	refused "$CK/bad-tie-untied.pt" 1 "tie_adaptive_weights is set, but the checkpoint's adaptive softmax is untied"
	refused "$CK/bad-tie-proj.pt" 1 "tail\.0\.0\.weight has the shape \(64, 16\) of decoder\.embed_tokens\.embeddings\.1\.1\.weight: the checkpoint was saved with tie_adaptive_proj"
	refused "$CK/bad-tie-differs.pt" 1 "tail\.1\.2\.weight differs from decoder\.embed_tokens\.embeddings\.2\.0\.weight"
	refused "$CK/bad-word-proj.pt" 1 "head\.word_proj\.0\.weight.*ltcc does not support it"
	refused "$CK/bad-band-zero.pt" 1 "band 2 would be int\(64 // 64\*\*2\) = 0 wide"
	refused "$CK/bad-table-small.pt" 1 "decoder\.embed_positions\.weight has 2 rows: too small"
	refused "$CK/bad-asm-version.pt" 1 "lacks decoder\.adaptive_softmax\.version"
	refused "$CK/plm.pt" 1 "--max-target 28: the learned position table decoder\.embed_positions\.weight holds only 27 positions" --max-target 28
}

lane_adaptive() {
	compiled alm alm                                      # adaptive input + tied adaptive softmax
	compiled plm plmf --max-target 20                     # learned positions, projections, untied
	compiled xenc xencf --max-source 16 --max-target 16   # even encoder kernels, learned, projections
	compiled xenc-nopos xencn --max-source 16 --max-target 16
	as_original alm alm
	as_original plm plmf
	as_original xenc xencf
	has "$OUT/alm.ltd" '^ *adaptive_input 40 120 factor 4;' "alm: adaptive input from args.adaptive_input_cutoff / _factor"
	has "$OUT/alm.ltd" '^ *output adaptive 40 120 factor 4 tied tied_proj;' "alm: tied adaptive softmax with tied projections"
	has "$OUT/alm.ltd" '^ *final_norm no;' "alm: the wiki103 architectures drop the decoder's final norm"
	if "$PY" $IMP "$CK/alm-defaults.pt" -o "$OUT/alm-defaults.ltd" >/dev/null 2>&1; then
		same_import alm alm-defaults
	else
		bad "alm-defaults: ltcc-import failed"
	fi
	has "$OUT/plm.ltd" '^ *positions learned; +# decoder\.embed_positions\.weight 29 rows' "plm: learned positions"
	has "$OUT/plm.ltd" '^ *input_dim 32; +# decoder\.project_in_dim\.weight' "plm: input_dim from project_in_dim"
	has "$OUT/plm.ltd" '^ *output_dim 40; +# decoder\.project_out_dim\.weight' "plm: output_dim from project_out_dim"
	has "$OUT/plm.ltd" '^ *output adaptive 30 70 factor 2;' "plm: untied adaptive softmax"
	has "$OUT/xenc.ltd" '^ *kernels 4 2;' "xenc: even encoder kernels"
	has "$OUT/xenc-nopos.ltd" '^ *positions none;' "xenc-nopos: no_token_positional_embeddings"
	if "$PY" $IMP "$CK/plm-long.pt" -o "$OUT/plm-long.ltd" >/dev/null 2>&1; then
		has "$OUT/plm-long.ltd" '^ *max_target 27; +# lowered from 64: the learned decoder\.embed_positions\.weight holds 27' \
			"plm-long: max_target lowered to what the learned table holds, with a comment"
	else
		bad "plm-long: ltcc-import failed"
	fi
}

lane_small() {
	compiled tiny tiny                                    # plain encoder, 3 branches, (H,K), pre-norm
	compiled tiny-old tiny                                # in_proj_weight + layer_norms.N
	compiled tiny16 tiny16                                # fp16 checkpoint (goldens from rounded weights)
	same_import tiny tiny-old
	has "$OUT/tiny16.ltd" '^# weights converted from float16 to float32' "tiny16: the .ltd notes the fp16 conversion"
	has "$OUT/tiny-old.ltd" '^# split 6 packed in_proj' "tiny-old: the .ltd notes the in_proj split"
	has "$OUT/tiny.ltd" '^ *kernels 3 3;' "tiny: a 1-entry kernel list applies to every layer"
	has "$OUT/tiny.ltd" 'branch lightweight 16 heads 2 kernel 5;' "tiny: a branch's own kernel"
	if "$PY" $IMP "$CK/tiny-v2.pt" -o "$OUT/tiny-v2.ltd" >/dev/null 2>&1; then
		if sed -n '/decoder {/,/}/p' "$OUT/tiny-v2.ltd" | grep -q 'final_norm no;' \
		   && "$LTCC" "$OUT/tiny-v2.ltd" -o "$OUT/tiny-v2.c" 2>/dev/null; then
			ok "tiny-v2: decoder.version 2 drops the decoder's final norm, as fairseq does"
		else
			bad "tiny-v2: expected a compiling model with 'final_norm no' in the decoder"
		fi
	else
		bad "tiny-v2: ltcc-import failed"
	fi
	refused "$CK/bad-missing.pt" 1 "lacks 1 tensor.*decoder\.layers\.1\.fc2\.bias"
	refused "$CK/bad-extra.pt" 1 "bias_k.*not supported"
	refused "$CK/bad-shape.pt" 1 "decoder\.layers\.0\.fc1\.weight has shape \(96, 64\), expected \(128, 64\)"
	refused "$CK/bad-hydra.pt" 1 "hydra 'cfg'"
	refused "$CK/bad-notackpt.pt" 1 "cannot read it as a PyTorch checkpoint"
	refused "$CK/nonexistent.pt" 1 "no such file"
	# an existing output survives a failed import untouched
	mkdir -p "$OUT/keep"
	echo keep >"$OUT/keep/m.ltd"
	"$PY" $IMP "$CK/bad-branch.pt" -o "$OUT/keep/m.ltd" 2>/dev/null
	if [ "$(cat "$OUT/keep/m.ltd")" = keep ] && [ "$(ls -a "$OUT/keep" | wc -l)" -eq 3 ]; then
		ok "a failed import leaves an existing OUT.ltd alone and no temporaries"
	else
		bad "a failed import touched OUT.ltd or left temporaries"
	fi
	# usage
	refused "$CK/tiny.pt" 2 "must be at least 1" --max-source 0
	refused "$CK/tiny.pt" 2 "not an identifier" --name 9lives
	refused "$CK/tiny.pt" 2 "unrecognized arguments" --frobnicate
	if "$PY" $IMP 2>"$OUT/u.err"; then bad "no arguments: exit 0"; else
		[ $? -eq 2 ] && grep -q "usage:" "$OUT/u.err" && ok "no arguments: exit 2 with usage" || bad "no arguments: expected exit 2 with usage"
	fi
	if "$PY" $IMP --help >"$OUT/h.out" 2>&1 && grep -q -- "--max-source" "$OUT/h.out"; then
		ok "--help: exit 0, lists the options"
	else
		bad "--help"
	fi
}

lane_hostile() {
	dotted="refused: the pickle names '[^']*\.[^']*' in module '[^']*': a dotted name"
	for k in raw legacy zip; do
		# code execution: _rebuild_*.__builtins__.get -> exec / eval / getattr(__import__('os'), 'system')
		hostile "$EV/$k-exec-stack-global.pt" "$dotted"
		hostile "$EV/$k-eval-global.pt" "$dotted"
		hostile "$EV/$k-system-getattr.pt" "$dotted"
		# names the old `torch` + endswith("Storage") rule admitted
		hostile "$EV/$k-storage-suffix.pt" "$dotted"
		hostile "$EV/$k-untyped-storage.pt" "refused: the pickle names torch\.UntypedStorage, which is not one of the names"
		hostile "$EV/$k-builtins-exec.pt" "refused: the pickle names builtins\.exec, which is not one of the names"
		hostile "$EV/$k-posix-system.pt" "refused: the pickle names posix\.system: no checkpoint needs module posix"
		hostile "$EV/$k-inst.pt" "refused: the [a-z. ]+ pickle uses opcode INST"
	done
	for k in legacy zip; do
		# allowed names used in ways a checkpoint never does
		hostile "$EV/$k-call-storage.pt" "refused: the pickle calls torch\.FloatStorage"
		hostile "$EV/$k-call-tensor.pt" "refused: the pickle calls torch\.Tensor"
		hostile "$EV/$k-bytearray.pt" "refused: bytearray from an int"
		hostile "$EV/$k-reconstructor.pt" "refused: copyreg\._reconstructor with base builtins\.set"
		hostile "$EV/$k-set-range.pt" "refused: set built from a range"
		hostile "$EV/$k-from-type.pt" "refused: torch\._tensor\._rebuild_from_type_v2 rebuilds a tensor with builtins\.set"
		hostile "$EV/$k-placeholder-call.pt" "refused: the pickle calls a placeholder fairseq\.meters\.AverageMeter object"
		hostile "$EV/$k-deep.pt" "refused: the [a-z. ]+ pickle nests objects more than 100 deep"
	done
	hostile "$EV/zip-torchscript.pt" "refused: a TorchScript archive"
	hostile "$EV/zip-outside.pt" "refused: a tensor of size \(1048576,\) \(stride \(1,\), offset 0\) reaches past the end of its 4-element storage"
	hostile "$EV/zip-expand.pt" "refused: a tensor of size \(536870912,\) has more elements than its 1-element storage"
	# bounded reads
	hostile "$EV/bomb-pkl.pt" "refused: its zip members would inflate to 1073741826 bytes from a [0-9]+-byte file, more than 20x"
	hostile "$EV/bomb-storage.pt" "refused: its zip members would inflate to 2147483924 bytes from a [0-9]+-byte file, more than 20x"
	hostile "$EV/bomb-storage.pt" "refused: its zip members would inflate to 2147483924 bytes, more than the --max-bytes limit of 1073741824" --max-bytes 1G
	hostile "$EV/bomb-lying.pt" "cannot read it as a PyTorch checkpoint \(data\.pkl pickle"
	hostile "$EV/bomb-legacy.pt" "refused: the pickle declares more storage bytes than the file holds"
	hostile "$CK/wmt.pt" "wmt\.pt: [0-9]+ bytes, more than the --max-bytes limit of 65536" --max-bytes 64K
	# only a regular file is read
	mkfifo "$W/fifo.pt" && hostile "$W/fifo.pt" "fifo\.pt: not a regular file"
	hostile /dev/zero "/dev/zero: not a regular file"
	hostile "$CK" "ck: is a directory"
	: >"$W/empty.pt" && hostile "$W/empty.pt" "empty\.pt: empty file"
	refused "$CK/tiny.pt" 2 "not a positive byte count" --max-bytes 0
	if [ -z "$(ls -A "$MK")" ]; then
		ok "no hostile payload ran (no marker files)"
	else
		bad "payloads ran: $(ls "$MK" | tr '\n' ' ')"
	fi
}

lane_big >"$W/lane1" 2>&1 &
lane_mid >"$W/lane2" 2>&1 &
lane_hostile >"$W/lane4" 2>&1 &
lane_adaptive >"$W/lane5" 2>&1 &
lane_small >"$W/lane3" 2>&1
wait
cat "$W/lane1" "$W/lane2" "$W/lane3" "$W/lane5" "$W/lane4"
pass=$(cat "$W"/lane? | grep -c '^\[PASS\]')
fail=$(cat "$W"/lane? | grep -c '^\[FAIL\]')
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
