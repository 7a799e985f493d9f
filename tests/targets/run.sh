#!/bin/sh
# run.sh — target descriptions that must be refused, each with its expected
# diagnostic in NAME.err beside it, and the fit check. Every refusal exits 1
# and leaves no output file. From the repo root, after make.
set -u
LTCC=${LTCC:-build/ltcc}
dir=tests/targets
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() {  # check NAME EXPECTED_STATUS COMMAND...
	name=$1 want=$2; shift 2
	rm -f "$tmp"/m.*
	"$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ "$st" != "$want" ]; then
		echo "[FAIL] $name: exit $st, expected $want"; cat "$tmp/err"; fail=$((fail+1)); return
	fi
	if [ -f "$dir/$name.err" ] && ! diff -u "$dir/$name.err" "$tmp/err"; then
		echo "[FAIL] $name: diagnostics differ"; fail=$((fail+1)); return
	fi
	if [ "$want" != 0 ] && ls "$tmp"/m.* >/dev/null 2>&1; then
		echo "[FAIL] $name: output left behind"; fail=$((fail+1)); rm -f "$tmp"/m.*; return
	fi
	echo "[PASS] $name"; pass=$((pass+1))
}
for x in xxe bomb malformed missing-memory bad-bool bad-panels unknown-family scalar-without-fpu unknown-kernel-price price-twice negative-price; do
	check "$x" 1 timeout 20 "$LTCC" models/mixed.ltd --target-file "$dir/$x.xml" -o "$tmp/m.c"
done
check tiny-mcu 1 "$LTCC" models/mixed.ltd --target-file "$dir/tiny-mcu.xml" -o "$tmp/m.c"
check tiny-mcu-no-fit-check 0 "$LTCC" models/mixed.ltd --target-file "$dir/tiny-mcu.xml" --no-fit-check -o "$tmp/m.c"
check wmt-on-cortex-m4 1 "$LTCC" models/wmt.ltd -t cortex-m4 -o "$tmp/m.c"
# the same model in int8 weights (--quantize w8): 3.1 MB, it fits
check wmt-w8-on-cortex-m4 0 "$LTCC" models/wmt.ltd -t cortex-m4 --quantize w8 -o "$tmp/m.c"
# and in int8 (--quantize int8): the same flash, RAM plus the int8 input rows
check wmt-int8-on-cortex-m4 0 "$LTCC" models/wmt.ltd -t cortex-m4 --quantize int8 -o "$tmp/m.c"
check unknown-target 2 "$LTCC" models/mixed.ltd -t z80 -o "$tmp/m.c"
check list-targets 0 "$LTCC" --list-targets
for t in generic x86-avx2 cortex-m4 cortex-m7 cortex-m55 riscv32; do
	grep -q "^$t " "$tmp/out" && { echo "[PASS] listed $t"; pass=$((pass+1)); } || { echo "[FAIL] $t not listed"; fail=$((fail+1)); }
done
# --print-cflags: what the generated file's "build:" line says, per target
for t in generic x86-avx2 cortex-m4 cortex-m7 cortex-m55 riscv32; do
	"$LTCC" models/mixed.ltd -t "$t" --no-fit-check -o "$tmp/m.c" --prefix m >/dev/null 2>&1
	want=$(sed -n 's/^ \* build: *cc \(.*\) -c m\.c$/\1/p' "$tmp/m.c")
	align=$(sed -n 's/.*<memory align="\([0-9]*\)".*/\1/p' "targets/$t.xml")
	if grep -q "^#define M_ALIGN  *$align " "$tmp/m.h" && grep -q "aligned($align)" "$tmp/m.c"; then
		echo "[PASS] align $t: M_ALIGN $align, and the buffers get it"; pass=$((pass+1))
	else
		echo "[FAIL] align $t: M_ALIGN or the attribute is not the target's $align"; fail=$((fail+1))
	fi
	got=$("$LTCC" --print-cflags -t "$t")
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		echo "[PASS] print-cflags $t"; pass=$((pass+1))
	else
		echo "[FAIL] print-cflags $t: '$got', the generated file says '$want'"; fail=$((fail+1))
	fi
done
check print-cflags-with-model 2 "$LTCC" --print-cflags models/mixed.ltd
echo "targets: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
