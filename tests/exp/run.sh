#!/bin/sh
# tests/exp/run.sh — the kernels' exp (k_exp, templates/generic) against
# the C library's, as ltcc emits it: a model that needs it is compiled, and
# exp_test.c includes the generated file. Built twice: plainly, and with
# -mfma where this x86 host has FMA, so that k_exp's fused multiply-add
# steps (those of the Cortex-M, RV32F and AVX2 builds) are held to the same
# bound.
# Usage: tests/exp/run.sh   (from the repo root; LTCC=path, default build/ltcc)
set -u
LTCC=${LTCC:-build/ltcc}
CC=${CC:-cc}
W=$(mktemp -d "${TMPDIR:-/tmp}/ltcc-exp.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT INT TERM
pass=0 fail=0
variants="plain"
if grep -qw fma /proc/cpuinfo 2>/dev/null && echo 'int main(void){return 0;}' > "$W/p.c" \
   && $CC -mfma "$W/p.c" -o "$W/p" 2>/dev/null; then
	variants="plain fma"
fi
if ! "$LTCC" models/lm.ltd -t generic -o "$W/m.c" --prefix m; then
	echo "[FAIL] exp: ltcc failed"; echo "exp: 0 passed, 1 failed"; exit 1
fi
for v in $variants; do
	flags=""
	[ "$v" = fma ] && flags="-mfma"
	# shellcheck disable=SC2086
	if ! $CC -std=c99 -O2 $flags -Wall -Wextra -Werror -I"$W" tests/exp/exp_test.c -o "$W/t" -lm; then
		echo "[FAIL] exp ($v): could not build the test"; fail=$((fail+1)); continue
	fi
	if out=$("$W/t"); then
		echo "$out" | sed "s/^/[PASS] ($v) /"; pass=$((pass+1))
	else
		echo "$out" | sed "s/^/[FAIL] ($v) /"; fail=$((fail+1))
	fi
done
echo "exp: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
