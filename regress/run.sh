#!/bin/sh
# run.sh — golden regression: for every model in models/, write the
# reference outputs with PyTorch (tools/reference.py), compile the model
# with ltcc, build it with regress/driver.c, and compare every case.
# Also checks the generated object holds no allocator symbols.
# Usage: regress/run.sh [MODEL...]   (from the repo root, after make)
set -u
PY=${PY:-/usr/bin/python3}
CC=${CC:-cc}
B=build/regress
G=regress/golden
models=${*:-"wmt iwslt lm mixed"}
pass=0 fail=0
mkdir -p "$B" "$G"
for m in $models; do
	d=$B/$m
	mkdir -p "$d"
	if [ ! -f "$G/.$m.stamp" ] || [ "models/$m.safetensors" -nt "$G/.$m.stamp" ] || [ tools/reference.py -nt "$G/.$m.stamp" ]; then
		rm -f "$G/$m"-*.golden
		"$PY" tools/reference.py "models/$m.json" "models/$m.safetensors" "$G" >/dev/null || { echo "[FAIL] $m: reference failed"; fail=$((fail+1)); continue; }
		touch "$G/.$m.stamp"
	fi
	if ! build/ltcc "models/$m.ltd" -t generic -o "$d/m.c" --prefix m; then
		echo "[FAIL] $m: ltcc failed"; fail=$((fail+1)); continue
	fi
	if ! $CC -std=c99 -O2 -Wall -Wextra -pedantic -Werror -c "$d/m.c" -o "$d/m.o" \
	   || ! $CC -std=c99 -O2 -Wall -Wextra -Werror -I"$d" -c regress/driver.c -o "$d/driver.o" \
	   || ! $CC -o "$d/run" "$d/m.o" "$d/driver.o" -lm; then
		echo "[FAIL] $m: generated C does not build warning-free"; fail=$((fail+1)); continue
	fi
	if nm "$d/m.o" | grep -qwE 'U (malloc|calloc|realloc|free|aligned_alloc)'; then
		echo "[FAIL] $m: generated code calls an allocator"; fail=$((fail+1))
	else
		echo "[PASS] $m: no allocator symbols"; pass=$((pass+1))
	fi
	out=$("$d/run" "$G/$m"-*.golden)
	echo "$out" | while IFS= read -r line; do
		case "$line" in *" ok "*) echo "[PASS] $line";; *) echo "[FAIL] $line";; esac
	done
	n_ok=$(echo "$out" | grep -c " ok ")
	n_all=$(ls "$G/$m"-*.golden | wc -l)
	pass=$((pass + n_ok)); fail=$((fail + n_all - n_ok))
done
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
