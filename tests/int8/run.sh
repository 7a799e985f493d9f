#!/bin/sh
# run.sh — every target's int8 matmul (k_linear_i8) against exact integer
# arithmetic (tests/int8/kern_i8.c): on the host for generic and x86-avx2,
# in QEMU for the embedded targets.
# Usage: tests/int8/run.sh [TARGET...]   (from the repo root, after make)
#        ICOUNT=1 also prints each embedded target's instructions per
#        multiply-add at 30x64->64, 30x200->200, 30x496->496.
set -u
LTCC=${LTCC:-build/ltcc}
B=${B:-build/int8}
targets=${*:-"generic x86-avx2 cortex-m4 cortex-m7 cortex-m55 riscv32"}
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass+1)); }
bad() { echo "[FAIL] $*"; fail=$((fail+1)); }

for t in $targets; do
	d=$B/$t
	rm -rf "$d"; mkdir -p "$d"
	if ! "$LTCC" models/mixed.ltd -t "$t" --quantize int8 --no-fit-check -o "$d/m.c" --prefix m; then
		bad "$t: ltcc failed"; continue
	fi
	case $t in
	generic|x86-avx2)
		if [ "$t" = x86-avx2 ] && ! grep -qw avx2 /proc/cpuinfo; then
			echo "[SKIP] $t: this CPU has no AVX2"; continue
		fi
		flags=$(sed -n 's/^ \* build: *cc \(.*\) -c m\.c$/\1/p' "$d/m.c")
		# shellcheck disable=SC2086
		if ! cc $flags -Wall -Wextra -Werror -I"$d" tests/int8/kern_i8.c -o "$d/kern_i8" -lm; then
			bad "$t: kern_i8.c does not build"; continue
		fi
		out=$("$d/kern_i8"); st=$? ;;
	*)
		ic=; [ -n "${ICOUNT:-}" ] && ic="--icount"
		out=$(EXTRA_CFLAGS="-I$d ${ICOUNT:+-DKI8_ICOUNT}" sh regress/qemu/run-target.sh $ic "$t" "$d" tests/int8/kern_i8.c 2>&1); st=$? ;;
	esac
	echo "$out" | sed "s|^|    [$t] |"
	if [ $st -eq 0 ] && echo "$out" | grep -q "^kern_i8: 400 of 400 trials bit-exact"; then
		ok "$t: k_linear_i8 bit-exact in 400 trials"
	else
		bad "$t: k_linear_i8 (exit $st)"
	fi
done
echo "int8 kernels: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
