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
# Also: the objects hold no allocator symbols, and the demo's character
# tables equal the training scripts' vocabularies.
# The PyTorch side (regress/real/ref.py) is computed here from the
# safetensors and the Debian data packages (regress/real/packages.txt).
# Usage (from the repo root, after make): sh regress/real/run.sh
#   LTCC=path/to/ltcc  PY=python  CC=cc  B=build dir  M=models dir  NW=500  NF=200
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

# compare MODEL DRIVER VARIANT N [REF-OPTION...]: the build against PyTorch
# (ref.py with the same quantization) on the first N held-out items; the
# driver's line is kept in $B/MODEL-VARIANT.out
compare() {
	m=$1 drv=$2 v=$3 n=$4
	shift 4
	if ! "$PY" $R/ref.py "$@" "$m" "$M/$m.safetensors" "$B/$m-$v.txt" "$n" > "$B/$m-$v.ref.log"; then
		bad "$m-$v: PyTorch reference failed"
		return
	fi
	out=$("$B/$m-$v/$drv" "$B/$m-$v.txt")
	echo "$out" > "$B/$m-$v.out"
	case $out in
	ok*) ok "$m-$v: ${out#ok }" ;;
	*) bad "$m-$v: ${out#FAIL }" ;;
	esac
}

# field N of a driver's line (after the word WORD)
after() { sed -n "s/.*$2 \([0-9.]*\).*/\1/p" "$B/$1.out"; }

build dedict translit fp32 && compare dedict translit fp32 "$NW"             # greedy decoding
build fortune lmbpc fp32 && compare fortune lmbpc fp32 "$NF"                 # bits per character
build dedict translit w8 --quantize w8 && compare dedict translit w8 "$NW" --quantize w8
build fortune lmbpc w8 --quantize w8 && compare fortune lmbpc w8 "$NF" --quantize w8

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

# the demo: builds with both models under their own prefixes; its tables
# are the training scripts' vocabularies
d=$B/demo
mkdir -p "$d"
if "$LTCC" "$M/dedict.ltd" -o "$d/dedict.c" && "$LTCC" "$M/fortune.ltd" -o "$d/fortune.c" \
   && $CC $CFLAGS_DRV -I"$d" -o "$d/demo" tools/demo.c "$d/dedict.c" "$d/fortune.c" -lm; then
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
