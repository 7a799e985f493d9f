#!/bin/sh
# run.sh — examples/firmware from scratch: CMake (cmake/LtccModel.cmake runs
# ltcc at build time) for Cortex-M4, then QEMU; its two instances' greedy
# outputs must be what tools/reference.py decodes for the same sources.
# A second build with nothing changed must not run ltcc again.
# Usage: tests/firmware/run.sh   (from the repo root, after make)
set -u
PY=${PY:-/usr/bin/python3}
LTCC=${LTCC:-build/ltcc}
B=${B:-build/firmware}
pass=0 fail=0
ok()  { echo "[PASS] $*"; pass=$((pass+1)); }
bad() { echo "[FAIL] $*"; fail=$((fail+1)); }
finish() { echo "firmware: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

abs_ltcc=$(cd "$(dirname "$LTCC")" && pwd)/$(basename "$LTCC")
rm -rf "$B"
if cmake -S examples/firmware -B "$B" -DCMAKE_TOOLCHAIN_FILE="$PWD/examples/firmware/cortex-m4.cmake" \
	 -DLTCC_EXECUTABLE="$abs_ltcc" >"$B.configure.log" 2>&1 \
   && cmake --build "$B" >"$B.build.log" 2>&1; then
	ok "examples/firmware: configured and built with CMake from scratch"
else
	bad "examples/firmware does not build"; tail -20 "$B.configure.log" "$B.build.log" 2>/dev/null; finish
fi
if cmake --build "$B" 2>&1 | grep -q "ltcc:"; then
	bad "a second build with nothing changed ran ltcc again"
else
	ok "a second build with nothing changed does not run ltcc"
fi

out=$(timeout 300 qemu-system-arm -M mps2-an386 -nographic -monitor none \
	-semihosting-config enable=on,target=native -kernel "$B/firmware.elf" </dev/null)
want=$("$PY" - <<'PY'
import sys
sys.path.insert(0, "regress/real")
import ref  # noqa: E402  (puts tools/ on the path)
import reference  # noqa: E402
import torch  # noqa: E402
torch.set_num_threads(1)
with torch.no_grad():
    cfg, _, model = ref.load("models/dedict.safetensors")
    for i, src in enumerate([[12, 7, 20, 9, 15, 6], [5, 18, 11, 4]]):  # examples/firmware/main.c
        gen, _ = reference.greedy_incremental(model, cfg, model.encode(src), [cfg["tokens"]["eos"]])
        print("instance %d:%s" % (i, "".join(" %d" % t for t in gen)))
PY
)
if [ -n "$want" ] && [ "$out" = "$want" ]; then
	ok "firmware in QEMU: both instances decode what the reference decodes"
else
	bad "firmware in QEMU printed"; echo "$out" | sed 's/^/    /'; echo "  reference:"; echo "$want" | sed 's/^/    /'
fi

# cmake/ltcc.mk: a plain Makefile builds a program from dedict.ltd, does
# nothing when run again, and reruns ltcc when the weights change
mk=$(mktemp -d)
cp models/dedict.ltd models/dedict.safetensors "$mk/"
cat > "$mk/main.c" <<'C'
#include <stdio.h>
#include "dedict.h"
int main(void)
{
	static const int32_t src[] = { 12, 7, 20, 9 };
	int32_t out[20];
	int n = dedict_greedy(src, 4, out, 20);
	printf("%d\n", n);
	return n < 0;
}
C
printf 'LTCC = %s\nLTCC_MODELS = dedict\ninclude %s/cmake/ltcc.mk\napp: main.o dedict.o\n\t$(CC) -o $@ $^ -lm\nmain.o: dedict.h\n' \
	"$abs_ltcc" "$PWD" > "$mk/Makefile"
if make --no-print-directory -s -C "$mk" app >/dev/null 2>&1 && "$mk/app" >/dev/null && make -q -C "$mk" app \
   && touch "$mk/dedict.safetensors" && make -C "$mk" app 2>&1 | grep -q -- "--prefix dedict"; then
	ok "cmake/ltcc.mk: builds, is up to date when run again, reruns ltcc when the weights change"
else
	bad "cmake/ltcc.mk"; make -C "$mk" app 2>&1 | tail -5 | sed 's/^/    /'
fi
rm -rf "$mk"

# make install puts the binary, man page, CMake module, runtime and docs
# under PREFIX; make uninstall takes exactly those away again
inst=$(mktemp -d)
if make -s install B="$(dirname "$abs_ltcc")" PREFIX="$inst" >/dev/null 2>&1 && [ -x "$inst/bin/ltcc" ] && [ -f "$inst/share/man/man1/ltcc.1" ] \
   && [ -f "$inst/share/ltcc/cmake/LtccModel.cmake" ] && [ -f "$inst/share/ltcc/ltcc.mk" ] \
   && [ -f "$inst/share/ltcc/runtime/cortex-m/startup.c" ] \
   && [ -f "$inst/share/doc/ltcc/ltd.md" ] && make -s uninstall B="$(dirname "$abs_ltcc")" PREFIX="$inst" >/dev/null 2>&1 \
   && [ -z "$(find "$inst" -type f)" ]; then
	ok "make install: binary, man page, CMake module, runtime, docs; make uninstall removes them"
else
	bad "make install / uninstall"; find "$inst" -type f | sed 's/^/    /'
fi
rm -rf "$inst"
finish
