#!/bin/sh
# run.sh — regression for the two trained models (models/dedict, models/fortune):
# the compiled C must give the same results as PyTorch on held-out data.
#   dedict:  m_greedy on NW held-out German words gives the same output ids as
#            tools/reference.py's greedy decoding for every word; exact match
#            and CER of both are printed (and equal).
#   fortune: bits per character with m_decode_step on NF held-out fortunes
#            within 1e-4 bits/char of tools/reference.py's.
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

# compile model $1 with --prefix m and link driver $2; prints nothing on success
build() {
	d=$B/$1
	mkdir -p "$d"
	"$LTCC" "$M/$1.ltd" -o "$d/m.c" --prefix m || { bad "$1: ltcc failed"; return 1; }
	flags=$(sed -n 's/^ \* build: *cc \(.*\) -c m\.c$/\1/p' "$d/m.c")
	if ! $CC $flags -Wall -Wextra -pedantic -Werror -c "$d/m.c" -o "$d/m.o" \
	   || ! $CC $CFLAGS_DRV -I"$d" -c "$R/$2.c" -o "$d/$2.o" \
	   || ! $CC -o "$d/$2" "$d/m.o" "$d/$2.o" -lm; then
		bad "$1: the generated C or $R/$2.c does not build warning-free"; return 1
	fi
	if nm "$d/m.o" | grep -qwE 'U (malloc|calloc|realloc|free|aligned_alloc)'; then
		bad "$1: generated code calls an allocator"
	else
		ok "$1: compiled ($(sed -n 's/^#define M_WEIGHT_BYTES *//p' "$d/m.h") weight bytes), no allocator symbols"
	fi
}

# compare model $1 (driver $2) with PyTorch on its first $3 held-out items
compare() {
	if ! "$PY" $R/ref.py "$1" "$M/$1.safetensors" "$B/$1.txt" "$3" > "$B/$1.ref.log"; then
		bad "$1: PyTorch reference failed"
		return
	fi
	out=$("$B/$1/$2" "$B/$1.txt")
	case $out in
	ok*) ok "$1: ${out#ok }" ;;
	*) bad "$1: ${out#FAIL }" ;;
	esac
}

build dedict translit && compare dedict translit "$NW"    # greedy decoding
build fortune lmbpc && compare fortune lmbpc "$NF"        # bits per character

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
