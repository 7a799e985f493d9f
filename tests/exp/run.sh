#!/bin/sh
# tests/exp/run.sh — the kernels' exp (k_exp, templates/generic) against
# the C library's, as ltcc emits it: a model that needs it is compiled, and
# exp_test.c includes the generated file.
# Usage: tests/exp/run.sh   (from the repo root; LTCC=path, default build/ltcc)
set -u
LTCC=${LTCC:-build/ltcc}
CC=${CC:-cc}
W=$(mktemp -d "${TMPDIR:-/tmp}/ltcc-exp.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT INT TERM
if ! "$LTCC" models/lm.ltd -t generic -o "$W/m.c" --prefix m \
   || ! $CC -std=c99 -O2 -Wall -Wextra -Werror -I"$W" tests/exp/exp_test.c -o "$W/t" -lm; then
	echo "[FAIL] exp: could not build the test"; echo "exp: 0 passed, 1 failed"; exit 1
fi
if out=$("$W/t"); then
	echo "$out" | sed 's/^/[PASS] /'; echo "exp: 1 passed, 0 failed"
else
	echo "$out" | sed 's/^/[FAIL] /'; echo "exp: 0 passed, 1 failed"; exit 1
fi
