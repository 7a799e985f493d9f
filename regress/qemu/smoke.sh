#!/bin/sh
# smoke.sh — the QEMU targets against a native build of the same model.
#
#   regress/qemu/smoke.sh [MODEL...]        (default: mixed lm)
#
# For each model: ltcc -t generic --prefix m, then smoke_main.c built with
# the host's gcc and with run-target.sh for every target in $TARGETS
# (default: cortex-m4 cortex-m7 cortex-m55 riscv32), run under
# -icount shift=0. Every checksum must agree with the native one to a
# relative 1e-4; cortex-m4 runs twice and its instruction counts must be
# identical. Prints the instruction count of one decode step per target.
#
# Environment: LTCC (default build/ltcc), MODELS (default models/, with the
# weights from `make models`), OUT (default a fresh temporary directory),
# TARGETS.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
LTCC=${LTCC:-$root/build/ltcc}
MODELS=${MODELS:-$root/models}
TARGETS=${TARGETS:-cortex-m4 cortex-m7 cortex-m55 riscv32}
OUT=${OUT:-$(mktemp -d /tmp/ltcc-qemu-smoke.XXXXXX)}
[ $# -gt 0 ] || set -- mixed lm

# compare A B: every "enc"/"step" line, field by field; tolerance relative to
# the larger magnitude, and for the signed sum to the line's sum of |x|
compare() {
	awk '
	function abs(v) { return v < 0 ? -v : v }
	function max(a, b) { return a > b ? a : b }
	FNR == NR { if ($1 == "enc" || $1 == "step") ref[$1 " " $2] = $0; next }
	$1 == "enc" || $1 == "step" {
		key = $1 " " $2; seen++
		if (!(key in ref)) { print "  extra line: " $0; bad++; next }
		split(ref[key], r)
		for (i = 3; i <= 5; i++) {
			scale = i == 5 ? max(abs(r[3]), abs($3)) : max(abs(r[i]), abs($i))
			if (abs(r[i] - $i) > 1e-4 * scale) {
				print "  differs: " key " field " i - 2 ": " r[i] " vs " $i; bad++
			}
		}
	}
	END {
		n = 0; for (k in ref) n++
		if (seen != n) { print "  " seen " lines, native has " n; bad++ }
		exit bad > 0
	}' "$1" "$2"
}

fail=0
for model in "$@"; do
	d=$OUT/$model
	mkdir -p "$d"
	"$LTCC" "$MODELS/$model.ltd" -t generic --prefix m -o "$d/m.c"
	gcc -std=c99 -O2 -Wall -Wextra -Werror -I"$d" \
		"$here/smoke_main.c" "$d/m.c" -lm -o "$d/native"
	"$d/native" >"$d/native.out"
	echo "== $model: native"
	cat "$d/native.out"
	for t in $TARGETS; do
		runs=1
		[ "$t" = cortex-m4 ] && runs=2
		r=1
		while [ $r -le $runs ]; do
			if ! EXTRA_CFLAGS=-DRT_ICOUNT "$here/run-target.sh" --icount \
				"$t" "$d/$t" "$d/m.c" "$here/smoke_main.c" \
				>"$d/$t.$r.out" 2>"$d/$t.$r.err"; then
				echo "FAIL $model $t: exit status $? (run $r)"
				cat "$d/$t.$r.out" "$d/$t.$r.err"
				fail=1
			elif ! compare "$d/native.out" "$d/$t.$r.out"; then
				echo "FAIL $model $t: checksums differ from native (run $r)"
				fail=1
			else
				echo "ok   $model $t (run $r): $(grep '^icount' "$d/$t.$r.out")"
			fi
			r=$((r + 1))
		done
		if [ $runs = 2 ]; then
			a=$(grep '^icount' "$d/$t.1.out" || true)
			b=$(grep '^icount' "$d/$t.2.out" || true)
			if [ -z "$a" ] || [ "$a" != "$b" ]; then
				echo "FAIL $model $t: instruction counts differ between runs: '$a' '$b'"
				fail=1
			else
				echo "ok   $model $t: instruction count repeatable"
			fi
		fi
	done
done
[ $fail = 0 ] && echo "smoke: all targets agree with native (outputs in $OUT)"
exit $fail
