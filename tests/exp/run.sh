#!/bin/sh
# tests/exp/run.sh — the kernels' exp (k_exp, templates/generic) against
# the C library's, as ltcc emits it: a model that needs it is compiled, and
# exp_test.c includes the generated file. Built twice: for -t generic
# plainly, and for -t x86-avx2 with -mavx2 -mfma where this host has them,
# so that k_exp's fused multiply-add steps (those of the Cortex-M, RV32F
# and AVX2 builds) and the AVX2 k_exp8 are held to the same bound.
# Usage: tests/exp/run.sh   (from the repo root; LTCC=path, default build/ltcc)
set -u
LTCC=${LTCC:-build/ltcc}
CC=${CC:-cc}
W=$(mktemp -d "${TMPDIR:-/tmp}/ltcc-exp.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT INT TERM
pass=0 fail=0
variants="plain"
if grep -qw fma /proc/cpuinfo 2>/dev/null && grep -qw avx2 /proc/cpuinfo \
   && echo 'int main(void){return 0;}' > "$W/p.c" && $CC -mavx2 -mfma "$W/p.c" -o "$W/p" 2>/dev/null; then
	variants="plain avx2"
fi
for v in $variants; do
	flags="" target=generic
	[ "$v" = avx2 ] && flags="-mavx2 -mfma" target=x86-avx2
	mkdir -p "$W/$v"
	if ! "$LTCC" models/lm.ltd -t $target -o "$W/$v/m.c" --prefix m; then
		echo "[FAIL] exp ($v): ltcc failed"; fail=$((fail+1)); continue
	fi
	# shellcheck disable=SC2086
	if ! $CC -std=c99 -O2 $flags -Wall -Wextra -Werror -I"$W/$v" tests/exp/exp_test.c -o "$W/t" -lm; then
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
