#!/bin/sh
# targets.sh — golden regression on the embedded targets: for each target
# and each shipped model that fits it, ltcc writes the model and a testbench
# holding the golden cases (--emit-testbench), regress/qemu/run-target.sh
# builds both warning-free with the target's toolchain and runs them in QEMU
# (a hang is a failure), and the testbench's verdict decides. Also checks
# the object for the target's vector / FMA instructions.
# Usage: regress/targets.sh [TARGET...]   (from the repo root, after make
# and regress/run.sh, which writes the goldens)
set -u
B=build/targets
G=regress/golden
targets=${*:-"cortex-m4 cortex-m7 cortex-m55 riscv32"}
models=${MODELS:-"mixed lm iwslt wmt alm plm xenc czm"}
# and with --quantize w8, against regress/run.sh's w8 goldens
models_w8=${MODELS_W8:-"mixed lm czm"}
# and with --quantize int8: one run writes the quantized rows, from which
# the reference settles its near-tie roundings (reference.py --ties, see
# regress/run.sh), then a run against those goldens decides
models_i8=${MODELS_I8:-"mixed lm czm"}
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass+1)); }
bad() { echo "[FAIL] $*"; fail=$((fail+1)); }

# objdump, the instruction a target's kernels must contain, and the
# architecture objdump must be told (it decodes Helium only when told)
isa() {
	case $1 in
	cortex-m4|cortex-m7) echo "arm-none-eabi-objdump vfma.f32" ;;
	cortex-m55) echo "arm-none-eabi-objdump vfma.f32[[:space:]]+q armv8.1-m.main" ;;
	riscv32) echo "riscv64-unknown-elf-objdump fmadd.s" ;;
	esac
}

# run T M GOLDENS NAME LTCC-OPTION...: model M on target T in QEMU through
# its testbench, against the goldens in GOLDENS
run() {
	t=$1 m=$2 gd=$3 name=$4; shift 4
	d=$B/$t/$name
	keep=$(ls -d "$d/golden" "$d/trace" 2>/dev/null)
	[ -n "$keep" ] || { rm -rf "$d"; }
	mkdir -p "$d"
	if ! ls "$gd/$m"-*.golden >/dev/null 2>&1; then
		bad "$name/$t: no goldens (run regress/run.sh first)"; return 1
	fi
	gold=""
	for g in "$gd/$m"-*.golden; do gold="$gold --golden $g"; done
	# shellcheck disable=SC2086
	if ! build/ltcc "models/$m.ltd" -t "$t" --no-fit-check -o "$d/m.c" --prefix m --emit-testbench "$d" $gold "$@"; then
		bad "$name/$t: ltcc failed"; return 1
	fi
	out=$(sh regress/qemu/run-target.sh "$t" "$d" "$d/m.c" "$d/testbench.c" 2>&1)
	st=$?
	echo "$out" | sed "s|^|    [$t/$name] |"
	line=$(echo "$out" | grep "^testbench: ")
	if [ $st -eq 0 ] && [ -n "$line" ]; then
		ok "$name/$t: ${line#testbench: }"
	else
		bad "$name/$t: exit $st"; return 1
	fi
}

# run_i8 T M: model M with --quantize int8 on target T, against goldens
# the reference wrote from this build's own trace
run_i8() {
	t=$1 m=$2 d=$B/$1/$2-i8
	rm -rf "$d"; mkdir -p "$d/trace"
	gold=""
	for g in "$G/i8/$m"-*.golden; do gold="$gold --golden $g"; done
	# shellcheck disable=SC2086
	if ! build/ltcc "models/$m.ltd" -t "$t" --no-fit-check --quantize int8 -o "$d/m.c" --prefix m \
	     --emit-testbench "$d" $gold; then
		bad "$m-i8/$t: ltcc failed"; return 1
	fi
	if ! EXTRA_CFLAGS="-DLTCC_QTRACE=m_qtrace -DM_QTRACE" sh regress/qemu/run-target.sh "$t" "$d" \
	     "$d/m.c" "$d/testbench.c" 2>&1 | /usr/bin/python3 regress/qemu/qtrace.py "$d/trace" \
	   || ! /usr/bin/python3 tools/reference.py --quantize int8 --ties "$d/trace" "models/$m.json" \
	     "models/$m.safetensors" "$d/golden" >"$d/ties.log"; then
		bad "$m-i8/$t: no trace, or the reference failed on it"; return 1
	fi
	grep "ties:" "$d/ties.log" | sed "s|^ *|    [$t/$m-i8] |"
	run "$t" "$m" "$d/golden" "$m-i8" --quantize int8
}

for t in $targets; do
	for m in $models; do
		run "$t" "$m" "$G" "$m" || continue
		d=$B/$t/$m
		set -- $(isa "$t")
		elf=$(ls "$d"/*.elf 2>/dev/null | head -1)
		if [ -n "$elf" ] && "$1" -d ${3:+-m $3} "$elf" | grep -qE "$2"; then
			ok "$m/$t: the code uses $2"
		else
			bad "$m/$t: no $2 in the code"
		fi
	done
	for m in $models_w8; do
		run "$t" "$m" "$G/w8" "$m-w8" --quantize w8
	done
	for m in $models_i8; do
		run_i8 "$t" "$m"
	done
done
echo "targets: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
