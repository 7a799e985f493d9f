#!/bin/sh
# run.sh — the generated header from C++: one driver (both.c) built as C
# and as C++ against the same compiled model must print the same logits,
# for an encoder-decoder model and an LM; and built with arm-none-eabi-g++
# for cortex-m4 it calls the model's unmangled C symbols and, run in QEMU,
# prints what the C build of the same driver prints there.
# Usage: tests/cxx/run.sh   (from the repo root, after make)
set -u
LTCC=${LTCC:-build/ltcc}
B=${B:-build/cxx}
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass+1)); }
bad() { echo "[FAIL] $*"; fail=$((fail+1)); }

for m in mixed lm; do
	d=$B/$m
	rm -rf "$d"; mkdir -p "$d"
	if ! "$LTCC" "models/$m.ltd" --quantize int8 -o "$d/m.c" --prefix m \
	   || ! cc -std=c99 -O2 -Wall -Wextra -Werror -c "$d/m.c" -o "$d/m.o" \
	   || ! cc -std=c99 -O2 -Wall -Wextra -Werror -I"$d" tests/cxx/both.c "$d/m.o" -o "$d/c" -lm \
	   || ! g++ -x c++ -std=c++11 -O2 -Wall -Wextra -Werror -I"$d" -c tests/cxx/both.c -o "$d/cxx.o" \
	   || ! g++ "$d/cxx.o" "$d/m.o" -o "$d/cxx" -lm; then
		bad "$m: the C++ driver does not build or link against the generated C"; continue
	fi
	if "$d/c" > "$d/c.out" && "$d/cxx" > "$d/cxx.out" && [ -s "$d/c.out" ] && cmp -s "$d/c.out" "$d/cxx.out"; then
		ok "$m: C and C++ drivers print the same $(wc -l < "$d/c.out") logits"
	else
		bad "$m: the C++ driver's output differs from the C driver's"
	fi
	# every byte of RAM in the header: the object's .data and .bss are
	# arena + state + STATIC_BYTES, give or take alignment padding
	printf '#include <stdio.h>\n#include "m.h"\nint main(void) { printf("%%lu\\n", (unsigned long)(M_ARENA_BYTES + M_STATE_BYTES + M_STATIC_BYTES)); return 0; }\n' > "$d/ram.c"
	if cc -I"$d" "$d/ram.c" -o "$d/ram" && said=$("$d/ram") \
	   && used=$(size "$d/m.o" | awk 'NR == 2 { print $2 + $3 }') && [ "$used" -ge "$said" ] && [ "$used" -le $((said + 64)) ]; then
		ok "$m: the header's RAM sizes ($said B) account for the object's .data and .bss ($used B)"
	else
		bad "$m: the header says ${said:-?} B of RAM, the object has ${used:-?} B of .data and .bss"
	fi
	mkdir -p "$d/m4"
	if ! "$LTCC" "models/$m.ltd" -t cortex-m4 --quantize int8 --no-fit-check -o "$d/m4/m.c" --prefix m; then
		bad "$m: ltcc failed for cortex-m4"; continue
	fi
	arch="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
	# shellcheck disable=SC2086
	if ! arm-none-eabi-g++ -x c++ -std=c++11 -O2 $arch -fno-exceptions -fno-rtti -Wall -Wextra -Werror \
	     -I"$d/m4" -c tests/cxx/both.c -o "$d/m4cxx.o" \
	   || ! arm-none-eabi-nm "$d/m4cxx.o" | grep -qE ' U m_decode_step$' \
	   || arm-none-eabi-nm "$d/m4cxx.o" | grep -q ' U _Z'; then
		bad "$m: arm-none-eabi-g++ build, or mangled model symbols"; continue
	fi
	# the same driver as C, through the usual QEMU build; then the C++
	# object linked with that build's model and runtime objects (by gcc:
	# it needs nothing of libstdc++, built without exceptions and RTTI)
	if ! cout=$(EXTRA_CFLAGS="-I$d/m4" sh regress/qemu/run-target.sh cortex-m4 "$d/m4" "$d/m4/m.c" tests/cxx/both.c); then
		bad "$m: the C driver does not run on cortex-m4"; continue
	fi
	rt=$(cd runtime/cortex-m && pwd)
	# shellcheck disable=SC2086
	if arm-none-eabi-gcc $arch --specs=rdimon.specs -nostartfiles -L"$rt" -Tmps2-an386.ld -Wl,--gc-sections \
	     -o "$d/m4cxx.elf" "$d/m4/rt-cortex-m4.o" "$d/m4/m-cortex-m4.o" "$d/m4cxx.o" -lm \
	   && xout=$(timeout 300 qemu-system-arm -M mps2-an386 -nographic -monitor none \
	             -semihosting-config enable=on,target=native -kernel "$d/m4cxx.elf" </dev/null) \
	   && [ -n "$xout" ] && [ "$xout" = "$cout" ]; then
		ok "$m: built with arm-none-eabi-g++, it runs on cortex-m4 (QEMU) and prints what the C build prints"
	else
		bad "$m: the arm-none-eabi-g++ build does not link, run, or print what the C build prints"
	fi
done
echo "cxx: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
