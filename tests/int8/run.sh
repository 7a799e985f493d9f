#!/bin/sh
# run.sh — every target's int8 matmul (k_linear_i8) against exact integer
# arithmetic (tests/int8/kern_i8.c): on the host for generic and x86-avx2,
# in QEMU for the embedded targets; and a model shape GCC once refused.
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

# A model whose int8 file GCC 12 once refused at -Werror on RV32 (a clone of
# k_i8_dot14 with its length constant made the tail loop look like an
# overflow): found by tools/ltcc-calibrate's random models; built, weightless,
# for each embedded target.
cat > "$B/rand.ltd" <<'LTD'
model rand {
  weights "rand.safetensors";
  dim 128;
  vocab 64;
  max_target 32;
  decoder {
    layers 2;
    norm post;
    ffn 128 relu;
    branch attn 128 heads 8;
  }
}
LTD
for t in $targets; do
	case $t in generic|x86-avx2) continue ;; esac
	d=$B/$t-rand
	mkdir -p "$d"
	if "$LTCC" "$B/rand.ltd" --weightless -t "$t" --quantize int8 -o "$d/b.c" --prefix b &&
		sh regress/qemu/run-target.sh --build-only "$t" "$d" "$d/b.c" bench/icount_main.c > "$d/build.log" 2>&1; then
		ok "$t: an attention-only D=128 model builds at -Werror"
	else
		bad "$t: an attention-only D=128 model: $(grep -m1 error "$d/build.log")"
	fi
done
echo "int8 kernels: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
