#!/bin/sh
# run.sh — regression for the two trained models (models/dedict, models/fortune):
# the compiled C must give the same results as PyTorch on held-out data.
#   dedict:  m_greedy on NW held-out German words gives the same output ids as
#            tools/reference.py's greedy decoding for every word; exact match
#            and CER of both are printed (and equal).
#   fortune: bits per character with m_decode_step on NF held-out fortunes
#            within 1e-4 bits/char of tools/reference.py's.
# The same with --quantize w8 (int8 weights) against ref.py --quantize w8,
# and its accuracy against fp32: fortune at most 0.001 bits/char worse,
# dedict's CER within 0.01.
# --quantize int8 (W8A8) against ref.py --quantize int8, within the
# tolerances explained at int8_near below (a near-tie rounding may go the
# other way in C), and its accuracy against fp32 bounded by PyTorch's own
# int8 on the same items (regress/real/peer.py: quantize_dynamic): fortune
# no more bits/char above fp32 than PyTorch's dynamic quantization costs;
# dedict's greedy output equal to fp32's on at least as many words as
# PyTorch's keeps, and CER within 0.01 of fp32's.
# Also: the objects hold no allocator symbols, and the demo's character
# tables equal the training scripts' vocabularies.
# The PyTorch side (regress/real/ref.py, peer.py) is computed here from the
# safetensors and the Debian data packages (regress/real/packages.txt), in
# the background while ltcc and cc build, one thread per process.
# Usage (from the repo root, after make): sh regress/real/run.sh
#   LTCC=path/to/ltcc  PY=python  CC=cc  B=build dir  M=models dir  NW=500  NF=200
# (about 3 minutes on two cores; the full held-out sets are NW=1000 NF=761,
# about 8 minutes)
set -u
PY=${PY:-/usr/bin/python3}
CC=${CC:-cc}
LTCC=${LTCC:-build/ltcc}
B=${B:-build/real}
NW=${NW:-500}
NF=${NF:-200}
M=${M:-models}
R=regress/real
CFLAGS_DRV="-std=c99 -O2 -Wall -Wextra -pedantic -Werror"
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass+1)); }
bad() { echo "[FAIL] $*"; fail=$((fail+1)); }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }
mkdir -p "$B"
rm -f "$B"/*.out  # the accuracy checks below read only this run's results

for f in /usr/share/dictd/freedict-deu-eng.index /usr/share/games/fortunes/fortunes; do
	[ -f "$f" ] || { bad "data: $f missing (apt-get install $(tr '\n' ' ' < $R/packages.txt))"; finish; }
done
[ -x "$LTCC" ] || { bad "no ltcc at $LTCC (run make first)"; finish; }

# build MODEL DRIVER VARIANT [LTCC-OPTION...]: compile MODEL with --prefix m
# into $B/MODEL-VARIANT and link DRIVER; prints nothing on success
build() {
	d=$B/$1-$3
	drv=$2
	mkdir -p "$d"
	label=$1-$3
	shift 3
	"$LTCC" "$M/${label%-*}.ltd" -o "$d/m.c" --prefix m "$@" || { bad "$label: ltcc failed"; return 1; }
	flags=$(sed -n 's/^ \* build: *cc \(.*\) -c m\.c$/\1/p' "$d/m.c")
	if ! $CC $flags -Wall -Wextra -pedantic -Werror -c "$d/m.c" -o "$d/m.o" \
	   || ! $CC $CFLAGS_DRV -I"$d" -c "$R/$drv.c" -o "$d/$drv.o" \
	   || ! $CC -o "$d/$drv" "$d/m.o" "$d/$drv.o" -lm; then
		bad "$label: the generated C or $R/$drv.c does not build warning-free"; return 1
	fi
	if nm "$d/m.o" | grep -qwE 'U (malloc|calloc|realloc|free|aligned_alloc)'; then
		bad "$label: generated code calls an allocator"
	else
		ok "$label: compiled ($(sed -n 's/^#define M_WEIGHT_BYTES *//p' "$d/m.h") weight bytes), no allocator symbols"
	fi
}

# refs VARIANT [REF-OPTION...]: start ref.py (with the same quantization)
# on the first NW held-out words for dedict and NF entries for fortune, both
# at once in the background (one thread each); $B/MODEL-VARIANT.txt, and
# $B/MODEL-VARIANT.ref.ok once it succeeded.  refs_wait waits for the two.
# SUFFIX (default none) picks the models' files: dedict$SUFFIX.safetensors.
refs() {
	v=$1 d=dedict${SUFFIX:-} f=fortune${SUFFIX:-}
	shift
	rm -f "$B/$d-$v.ref.ok" "$B/$f-$v.ref.ok"
	{ "$PY" $R/ref.py "$@" dedict "$M/$d.safetensors" "$B/$d-$v.txt" "$NW" > "$B/$d-$v.ref.log" \
	  && : > "$B/$d-$v.ref.ok"; } &
	ref_d=$!
	{ "$PY" $R/ref.py "$@" fortune "$M/$f.safetensors" "$B/$f-$v.txt" "$NF" > "$B/$f-$v.ref.log" \
	  && : > "$B/$f-$v.ref.ok"; } &
	ref_f=$!
}
refs_wait() { wait "$ref_d"; wait "$ref_f"; }

# compare MODEL DRIVER VARIANT: the build against PyTorch (refs VARIANT);
# the driver's line is kept in $B/MODEL-VARIANT.out
compare() {
	m=$1 drv=$2 v=$3
	if [ ! -f "$B/$m-$v.ref.ok" ]; then
		bad "$m-$v: PyTorch reference failed"
		return
	fi
	out=$("$B/$m-$v/$drv" "$B/$m-$v.txt")
	echo "$out" > "$B/$m-$v.out"
	[ "$v" = int8 ] && { int8_near "$m" "$out"; return; }
	case $out in
	ok*) ok "$m-$v: ${out#ok }" ;;
	*) bad "$m-$v: ${out#FAIL }" ;;
	esac
}

# int8_near MODEL LINE: the int8 build against ref.py --quantize int8.
# Both follow the same float32 rules, but their float arithmetic before a
# matmul (sums in another order, libm) differs by an ulp or so, and where an
# activation times 127/max lands within that noise of a .5 the two round it
# one step apart (tools/reference.py's Ties; the golden tests settle those
# from the C's trace, the drivers here keep none).  Such a step changes the
# rows after it a little, and as int8 rounding is discontinuous that moves
# further roundings: in greedy decoding it can flip a near-tie argmax and
# with it the rest of the word; in the LM it moves the rest of the window.
# Measured (generic target, gcc -O2; every difference checked by tracing the
# C with LTCC_QTRACE: 1 to 6 rows 2e-6..2e-5 from a tie settled, and the
# settled reference then equals the C exactly):
#   dedict:  0/500 words differ at NW=500, 3/1000 on the full held-out set
#            (CER 0.6433 against 0.6430);
#   fortune: 225 of the 356 windows at NF=200 move, by sd 0.10 bits per
#            window (at most 0.48), in either direction: the sum is a random
#            walk of sd about 1.9 bits, 5.8e-5 bits/char over the 33311
#            predictions; seen 6.1e-5 there and 7.6e-6 on all 761 entries.
# The bounds leave room for other compilers and targets (other noise, other
# ties) but not for a wrong rule, which moves many words and every window
# (the int8 build against ref.py's w8, i.e. as if its activations were not
# quantized: 485/500 words, 5.3e-4 bits/char; both fail):
#   dedict:  greedy output identical on at least 99% of the words (at most
#            ceil(N/100) differ: 5 at NW=500, over 3x the rate seen), and the
#            C's CER within 0.005 of ref.py's (21 of the 4193 reference
#            characters at NW=500; a differing word moved 0..3);
#   fortune: |C - ref.py| at most 5e-4 bits/char (about 9 sd at NF=200;
#            w8 itself costs 2.5e-4), or, where few windows make the walk
#            wider, 6 of its sd (0.6 bits * sqrt(windows) / predictions:
#            1.4e-3 at NF=10).  The driver's own 1e-4, meant for fp32 and
#            w8, is not used.
int8_near() {
	line=$2
	case $1 in
	dedict)
		set -- $(echo "$2" | sed -n 's/^[a-zA-Z]* greedy identical on \([0-9]*\)\/\([0-9]*\) words; C: exact [0-9.]* CER \([0-9.]*\), PyTorch: exact [0-9.]* CER \([0-9.]*\).*/\1 \2 \3 \4/p')
		if [ $# -ne 4 ]; then
			bad "dedict-int8: ${line:-the driver printed nothing}"
		elif [ $((100 * ($2 - $1))) -le $(($2 + 99)) ] && awk "BEGIN { d = $3 - $4; exit !(d <= 0.005 && d >= -0.005) }"; then
			ok "dedict-int8: greedy identical on $1/$2 words (at least 99%), C's CER $3 against PyTorch's $4 (within 0.005)"
		else
			bad "dedict-int8: greedy identical on $1/$2 words (at least 99% wanted), C's CER $3 against PyTorch's $4 (within 0.005 wanted)"
		fi ;;
	fortune)
		set -- $(echo "$2" | sed -n 's/^[a-zA-Z]* bits\/char C \([0-9.]*\) PyTorch \([0-9.]*\) .*, \([0-9]*\) windows, \([0-9]*\) predictions.*/\1 \2 \3 \4/p')
		[ $# -eq 4 ] && tol=$(awk "BEGIN { t = 0.6 * sqrt($3) / $4; printf \"%.1e\", (t > 5e-4 ? t : 5e-4) }")
		if [ $# -ne 4 ]; then
			bad "fortune-int8: ${line:-the driver printed nothing}"
		elif awk "BEGIN { d = $1 - $2; exit !(d <= $tol && d >= -$tol) }"; then
			ok "fortune-int8: bits/char C $1 PyTorch $2 (|diff| $(awk "BEGIN { d = $1 - $2; printf \"%.1e\", (d < 0 ? -d : d) }"), at most $tol)"
		else
			bad "fortune-int8: bits/char C $1 PyTorch $2: more than $tol apart"
		fi ;;
	esac
}

# field N of a driver's line (after the word WORD)
after() { sed -n "s/.*$2 \([0-9.]*\).*/\1/p" "$B/$1.out"; }

# variant V [OPTION...]: PyTorch in the background (ref.py with the
# options) while ltcc (with them) and cc build dedict$SUFFIX and
# fortune$SUFFIX, then the comparison; dedict by greedy decoding, fortune
# by bits per character
variant() {
	vv=$1 vd=dedict${SUFFIX:-} vf=fortune${SUFFIX:-}  # build and refs set v, d and f
	shift
	refs "$vv" "$@"
	b1=0 b2=0
	build "$vd" translit "$vv" "$@" || b1=1
	build "$vf" lmbpc "$vv" "$@" || b2=1
	refs_wait
	[ $b1 = 1 ] || compare "$vd" translit "$vv"
	[ $b2 = 1 ] || compare "$vf" lmbpc "$vv"
}
variant fp32

# PyTorch's dynamic int8 on the fp32 run's items, in the background (one
# thread each) through the w8 and int8 runs: its accuracy cost bounds
# int8's below
peer_d= peer_f=
if [ -s "$B/dedict-fp32.out" ] && grep -q '^ok' "$B/dedict-fp32.out"; then
	"$PY" $R/peer.py dedict "$M/dedict.safetensors" "$B/dedict-fp32.txt" > "$B/dedict-peer.out" & peer_d=$!
fi
if [ -s "$B/fortune-fp32.out" ] && grep -q '^ok' "$B/fortune-fp32.out"; then
	"$PY" $R/peer.py fortune "$M/fortune.safetensors" "$B/fortune-fp32.txt" > "$B/fortune-peer.out" & peer_f=$!
fi

for v in w8 int8; do
	variant $v --quantize $v
done

# what int8 weights cost in accuracy, against fp32 on the same items
if [ -s "$B/fortune-fp32.out" ] && [ -s "$B/fortune-w8.out" ]; then
	f=$(after fortune-fp32 "C") q=$(after fortune-w8 "C")
	if awk "BEGIN { exit !($q - $f <= 0.001) }"; then
		ok "fortune-w8: $q bits/char against fp32's $f (+$(awk "BEGIN { printf \"%.6f\", $q - $f }"), at most +0.001)"
	else
		bad "fortune-w8: $q bits/char, fp32 $f: more than 0.001 worse"
	fi
fi
if [ -s "$B/dedict-fp32.out" ] && [ -s "$B/dedict-w8.out" ]; then
	f=$(after dedict-fp32 "CER") q=$(after dedict-w8 "CER")
	if awk "BEGIN { d = $q - $f; exit !(d <= 0.01 && d >= -0.01) }"; then
		ok "dedict-w8: CER $q against fp32's $f (within 0.01)"
	else
		bad "dedict-w8: CER $q, fp32 $f: more than 0.01 apart"
	fi
fi

# what int8 (W8A8) costs in accuracy, against fp32 on the same items, next
# to what PyTorch's own dynamic int8 costs there (regress/real/peer.py).
# Both costs vary from item to item, so these compare them on the default
# sets or larger (NW=500 NF=200: fortune +0.00078 against PyTorch's
# +0.0028, dedict 476 words against its 476; all 1000/761: +0.00065 against
# +0.0020, 959 against 949); a handful of items (NW=50 NF=10) can fail them.
# PyTorch's count is allowed 1% of the words of slack: its int8 GEMM is
# onednn's, whose kernels (and their int16 saturation) differ from CPU to
# CPU, so on the default 500 words, where the two tie, the C could fail on
# a machine only because PyTorch did better there. The full sets, in
# docs/benchmarks.md, are where the two are ranked.
if [ -n "$peer_f" ]; then
	if ! wait "$peer_f" || ! grep -q '^peer fortune' "$B/fortune-peer.out"; then
		bad "fortune-peer: regress/real/peer.py failed"
	elif [ -s "$B/fortune-int8.out" ]; then
		# the int8 line was judged above; here only its C figure is used
		f=$(after fortune-fp32 "C") q=$(sed -n 's/.*bits\/char C \([0-9.]*\) .*/\1/p' "$B/fortune-int8.out")
		p=$(sed -n 's/.* cost \([-+][0-9.]*\).*/\1/p' "$B/fortune-peer.out")
		if [ -n "$q" ] && awk "BEGIN { exit !($q - $f <= $p) }"; then
			ok "fortune-int8: $q bits/char against fp32's $f ($(awk "BEGIN { printf \"%+.6f\", $q - $f }"), at most PyTorch's dynamic int8's $p)"
		else
			bad "fortune-int8: ${q:-?} bits/char, fp32 $f: costs more than PyTorch's dynamic int8 ($p)"
		fi
	fi
fi
if [ -n "$peer_d" ]; then
	if ! wait "$peer_d" || ! grep -q '^peer dedict' "$B/dedict-peer.out"; then
		bad "dedict-peer: regress/real/peer.py failed"
	elif [ -s "$B/dedict-int8.out" ]; then
		# the int8 build's greedy output against fp32's: its driver on the
		# fp32 file, whose reference column is fp32's greedy output (equal to
		# the fp32 build's, which passed above); "FAIL" is expected there
		"$B/dedict-int8/translit" "$B/dedict-fp32.txt" > "$B/dedict-int8-vs-fp32.out"
		k=$(sed -n 's/.* greedy identical on \([0-9]*\/[0-9]*\) .*/\1/p' "$B/dedict-int8-vs-fp32.out")
		q=$(sed -n 's/.* C: exact [0-9.]* CER \([0-9.]*\),.*/\1/p' "$B/dedict-int8.out")
		f=$(after dedict-fp32 "CER") p=$(sed -n 's/.* fp32 on \([0-9]*\)\/.*/\1/p' "$B/dedict-peer.out")
		if [ -z "$k" ] || [ -z "$q" ] || [ -z "$p" ]; then
			bad "dedict-int8: no agreement with fp32 to compare (${k:-?} words, CER ${q:-?}, PyTorch's dynamic int8 ${p:-?})"
		elif [ "${k%/*}" -ge $((p - (${k#*/} + 99) / 100)) ] && awk "BEGIN { d = $q - $f; exit !(d <= 0.01 && d >= -0.01) }"; then
			ok "dedict-int8: greedy output equal to fp32's on $k words (PyTorch's dynamic int8: $p, less 1%), CER $q against fp32's $f (within 0.01)"
		else
			bad "dedict-int8: greedy output equal to fp32's on $k words (PyTorch's dynamic int8: $p), CER $q, fp32 $f (within 0.01 wanted)"
		fi
	fi
fi

# the compressed models (tools/ltcc-compress, models/*_dc.*): ltcc stores
# their matrices compressed (--compress auto) and must compute exactly
# what PyTorch computes with the same weights (their task metrics against
# fp32 are in docs/benchmarks.md, on the full held-out sets)
SUFFIX=_dc variant cz
for m in dedict_dc fortune_dc; do
	h=$(sed -n 's/^#define M_WEIGHT_BYTES *\([0-9]*\).*/\1/p' "$B/$m-cz/m.h")
	s=$(grep -c 'compressed S4' "$B/$m-cz/m.c")
	if [ -n "$h" ] && [ "$s" -gt 0 ]; then
		ok "$m-cz: $s matrices stored S4, $h weight bytes"
	else
		bad "$m-cz: no matrix stored compressed (weight bytes ${h:-?})"
	fi
done

# the demo: builds with the three models under their own prefixes; its tables
# are the training scripts' vocabularies
d=$B/demo
mkdir -p "$d"
if "$LTCC" "$M/dedict.ltd" -o "$d/dedict.c" && "$LTCC" "$M/fortune.ltd" -o "$d/fortune.c" \
   && "$LTCC" "$M/dedict_dc.ltd" --prefix dedict_dc -o "$d/dedict_dc.c" \
   && $CC $CFLAGS_DRV -I"$d" -o "$d/demo" tools/demo.c "$d/dedict.c" "$d/dedict_dc.c" "$d/fortune.c" -lm; then
	"$d/demo" --vocab > "$d/vocab.c.txt"
	{ "$PY" $R/ref.py vocab dedict && "$PY" $R/ref.py vocab fortune; } > "$d/vocab.py.txt"
	if cmp -s "$d/vocab.c.txt" "$d/vocab.py.txt"; then
		ok "demo: builds; its character tables equal the training vocabularies"
	else
		bad "demo: its character tables differ from the training vocabularies"
	fi
else
	bad "demo: does not build"
fi
finish
