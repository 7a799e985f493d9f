#!/bin/sh
# run.sh — golden regression on the host: for every model in models/, write
# the reference outputs with PyTorch (tools/reference.py), compile the model
# with ltcc for each native target, build it warning-free with the flags the
# generated file names, run regress/driver.c over every case, and compare.
# Also checks that the object holds no allocator symbols and that a
# specialised target really uses its ISA.
# Usage: regress/run.sh [MODEL...]   (from the repo root, after make)
#        TARGETS="generic x86-avx2" selects targets; generic-ext (caller's
#        buffers, weights in a named section) and generic-nofuse (every
#        fusion pass off) and generic-panels (the weight matrices packed
#        in panels, as x86-avx2's and cortex-m55's are, read by generic's reference
#        kernels) are generic builds made another way; TARGET-w8
#        builds with --quantize w8 against `reference.py --quantize w8`;
#        TARGET-i8 with --quantize int8 against `reference.py --quantize
#        int8 --ties`, which settles near-tie roundings from the build's
#        own trace (see Ties in tools/reference.py): the build runs once
#        to write the trace, the reference then writes goldens for it.
#        LTCC=path picks the compiler (an ASan build), RB=dir the build
#        folder, CC the C compiler and GEN_CFLAGS extra flags for compiling
#        and linking the generated code and the driver (sanitizers).
set -u
PY=${PY:-/usr/bin/python3}
CC=${CC:-cc}
LTCC=${LTCC:-build/ltcc}
GEN_CFLAGS=${GEN_CFLAGS:-}
B=${RB:-build/regress}
G=regress/golden
models=${*:-"wmt iwslt lm mixed alm plm xenc czm"}
targets=${TARGETS:-"generic x86-avx2 generic-ext generic-nofuse generic-panels generic-w8 x86-avx2-w8 generic-i8 x86-avx2-i8"}
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass+1)); }
bad() { echo "[FAIL] $*"; fail=$((fail+1)); }
mkdir -p "$B" "$G"

# the instruction a target's kernels must contain (objdump mnemonic)
isa_insn() {
	case $1 in
	x86-avx2) echo vfmadd ;;
	x86-avx2-w8) echo vpmovsxbd ;;  # int8 weights widened in the vector kernel
	x86-avx2-i8) echo vpmaddwd ;;   # int16 multiply-adds
	*) echo "" ;;
	esac
}

# goldens DIR [--quantize w8]: the reference's outputs for model $m in DIR,
# made again when the weights or the reference changed
goldens() {
	gd=$1; shift
	mkdir -p "$gd"
	if [ ! -f "$gd/.$m.stamp" ] || [ "models/$m.safetensors" -nt "$gd/.$m.stamp" ] || [ tools/reference.py -nt "$gd/.$m.stamp" ]; then
		rm -f "$gd/$m"-*.golden
		"$PY" tools/reference.py "$@" "models/$m.json" "models/$m.safetensors" "$gd" >/dev/null || return 1
		touch "$gd/.$m.stamp"
	fi
}

for m in $models; do
	goldens "$G" || { bad "$m: reference failed"; continue; }
	# adaptive input/softmax models have no int8 build yet: ltcc refuses them
	adaptive=$(grep -lE '"(adaptive_input|adaptive_softmax)"' "models/$m.json")
	[ -z "$adaptive" ] && case " $targets " in
	*-w8\ *) goldens "$G/w8" --quantize w8 || { bad "$m: reference --quantize w8 failed"; continue; } ;;
	esac
	[ -z "$adaptive" ] && case " $targets " in
	*-i8\ *) goldens "$G/i8" --quantize int8 || { bad "$m: reference --quantize int8 failed"; continue; } ;;
	esac
	# the memory plan: arena within 5 % of its lower bound, 3x below naive
	"$LTCC" "models/$m.ltd" --report-json "$B/$m.report.json" >/dev/null
	num() { sed -n "s/^ *\"$1\": *\([0-9]*\),*$/\1/p" "$B/$m.report.json"; }
	arena=$(num arena_bytes) lower=$(num arena_lower_bound_bytes) naive=$(num arena_naive_bytes)
	if [ $((arena * 100)) -le $((lower * 105)) ] && [ $((naive)) -ge $((arena * 3)) ]; then
		ok "$m: arena $arena B, lower bound $lower B, naive $naive B"
	else
		bad "$m: arena $arena B against lower bound $lower B and naive $naive B"
	fi
	for t in $targets; do
		if [ "${t%-?8}" = x86-avx2 ] && ! grep -qw avx2 /proc/cpuinfo; then
			echo "[SKIP] $m/$t: this CPU has no AVX2"; continue
		fi
		d=$B/$t/$m
		mkdir -p "$d"
		case $t in *-w8|*-i8) if [ -n "$adaptive" ]; then
			rm -f "$d/m.c"
			if "$LTCC" "models/$m.ltd" -t "${t%-?8}" --quantize w8 -o "$d/m.c" 2>"$d/q.err"; then
				bad "$m/$t: ltcc quantized an adaptive model"
			elif grep -q "does not support adaptive" "$d/q.err" && [ ! -e "$d/m.c" ]; then
				ok "$m/$t: --quantize refused for an adaptive model, nothing written"
			else
				bad "$m/$t: unexpected refusal: $(cat "$d/q.err")"
			fi
			continue
		fi ;; esac
		# generic-ext: generic code, the caller's buffers, weights in a named section
		opts="-t $t"
		[ "$t" = generic-ext ] && opts="-t generic --external-buffers --section-weights .ltcc_weights"
		if [ "$t" = generic-panels ]; then
			sed 's/<kernels family="generic"/<kernels family="generic" panels="yes"/' targets/generic.xml >"$B/generic-panels.xml"
			opts="--target-file $B/generic-panels.xml"
		fi
		# TARGET-w8: int8 weights (--quantize w8), against the reference's w8 goldens
		gd=$G
		case $t in *-w8) opts="-t ${t%-w8} --quantize w8"; gd=$G/w8 ;; esac
		# TARGET-i8: --quantize int8, built with the quantized-row trace
		trace=
		case $t in *-i8) opts="-t ${t%-i8} --quantize int8"; trace="-DLTCC_QTRACE=m_qtrace -DQTRACE" ;; esac
		# generic-nofuse: every switchable fusion pass off, same goldens
		[ "$t" = generic-nofuse ] && opts="-t generic --no-fold-q-scale --no-fold-softmax --no-fuse-glu --no-fuse-residual-ln --no-fuse-ln-linear --no-zero-copy --no-stream-attention --no-fuse-dyn-taps"
		# shellcheck disable=SC2086
		if ! "$LTCC" "models/$m.ltd" $opts -o "$d/m.c" --prefix m; then
			bad "$m/$t: ltcc failed"; continue
		fi
		# the flags the generated file says it is built with
		flags=$(sed -n 's/^ \* build: *cc \(.*\) -c m\.c$/\1/p' "$d/m.c")
		# shellcheck disable=SC2086
		if ! $CC $flags $GEN_CFLAGS $trace -Wall -Wextra -pedantic -Wshadow -Wconversion -Wdouble-promotion -Werror -c "$d/m.c" -o "$d/m.o" \
		   || ! $CC -std=c99 -O2 $GEN_CFLAGS $trace -Wall -Wextra -Werror -I"$d" -c regress/driver.c -o "$d/driver.o" \
		   || ! $CC $GEN_CFLAGS -o "$d/run" "$d/m.o" "$d/driver.o" -lm; then
			bad "$m/$t: generated C does not build warning-free with: $flags"; continue
		fi
		if nm "$d/m.o" | grep -qwE 'U (malloc|calloc|realloc|free|aligned_alloc)'; then
			bad "$m/$t: generated code calls an allocator"
		else
			ok "$m/$t: no allocator symbols"
		fi
		case $t in generic-panels|x86-avx2)  # the matmuls read panels, so these goldens test them
			if grep -q "packed for the matmul" "$d/m.c" && grep -q "k_linear_pk(" "$d/m.c"; then
				ok "$m/$t: its matrices are packed in panels"
			else
				bad "$m/$t: no packed matrix"
			fi ;;
		esac
		if [ "$t" = generic-ext ]; then
			# no buffers of its own then: the default instance holds pointers
			if objdump -h "$d/m.o" | grep -q ".ltcc_weights" && ! nm "$d/m.o" | grep -qE " (arena|state)_buf$"; then
				ok "$m/$t: weights in .ltcc_weights, no static arena"
			else
				bad "$m/$t: section or external arena missing"
			fi
		fi
		insn=$(isa_insn "$t")
		if [ -n "$insn" ]; then
			if objdump -d "$d/m.o" | grep -q "$insn"; then ok "$m/$t: uses $insn"; else bad "$m/$t: no $insn in the object"; fi
		fi
		if [ -n "$trace" ]; then
			rm -rf "$d/trace" "$d/golden"; mkdir -p "$d/trace"
			QTRACE_DIR=$d/trace "$d/run" "$G/i8/$m"-*.golden >/dev/null
			if ! "$PY" tools/reference.py --quantize int8 --ties "$d/trace" "models/$m.json" \
			     "models/$m.safetensors" "$d/golden" >"$d/ties.log"; then
				bad "$m/$t: reference --ties failed"; continue
			fi
			grep "ties:" "$d/ties.log" | sed "s|^ *|[$t] $m: |"
			gd=$d/golden
		fi
		out=$("$d/run" "$gd/$m"-*.golden)
		n_all=$(ls "$gd/$m"-*.golden | wc -l)
		n_ok=$(echo "$out" | grep -c " ok ")
		echo "$out" | sed "s|^|[$t] |" | sed 's/^\(.* ok .*\)$/[PASS] \1/; t; s/^/[FAIL] /'
		pass=$((pass + n_ok)); fail=$((fail + n_all - n_ok))
	done
done
# greedy decoding with the adaptive softmax's tail skip picks what
# decode_step's full log-probabilities and an argmax pick, tail words
# included (bench/greedy_main.c)
for m in $models; do
	grep -q '"adaptive_softmax"' "models/$m.json" || continue
	d=$B/greedy/$m
	mkdir -p "$d"
	cuts=$("$PY" -c 'import json, sys; c = json.load(open(sys.argv[1])); s = c["adaptive_softmax"]["cutoffs"]; v = c["tgt_vocab"]; print(*(s + [v] * (v > s[-1])))' "models/$m.json")
	if "$LTCC" "models/$m.ltd" -t generic -o "$d/g.c" --prefix g \
	   && $CC -O2 -std=c99 $GEN_CFLAGS -Wall -Wextra -Werror -I"$d" bench/greedy_main.c "$d/g.c" -o "$d/run" -lm \
	   && out=$("$d/run" 1 12 $cuts) && echo "$out" | grep -q '"same_tokens": true' \
	   && ! echo "$out" | grep -qE '"(tail_picks|tails_computed)": 0,'; then
		ok "$m: greedy with the tail skip = decode_step + argmax: $out"
	else
		bad "$m: greedy with the tail skip: ${out:-did not build or run}"
	fi
done
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
