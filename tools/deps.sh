#!/bin/sh
# deps.sh — make sure the Debian packages ltcc's build and tests need are
# here. As root it installs what is missing; otherwise it names the
# packages and the command, and fails.
#   sh tools/deps.sh          everything `make test` and `make bench` use
#   sh tools/deps.sh build    only what building ltcc and `make demo` use
missing=""
need() {  # need PACKAGE TEST...
	pkg=$1; shift
	"$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
need gcc            command -v gcc
need make           command -v make
need flex           command -v flex
need bison          command -v bison
need libjson-c-dev  test -f /usr/include/json-c/json.h
need libxml2-dev    test -f /usr/include/libxml2/libxml/parser.h
if [ "${1:-}" != build ]; then
need libcunit1-dev  test -f /usr/include/CUnit/Basic.h
need python3-numpy  /usr/bin/python3 -c "import numpy"
need python3-torch  /usr/bin/python3 -c "import torch"
# the sanitizer builds (make check-asan) and the libFuzzer harnesses
# (make fuzz, make check-fuzz): clang 14, its ASan/UBSan/libFuzzer runtimes
need clang               command -v clang
need libclang-rt-14-dev  dpkg -s libclang-rt-14-dev
# the generated header from C++ (tests/cxx; arm-none-eabi-g++ comes with
# gcc-arm-none-eabi, in runtime/packages.txt)
need g++                 command -v g++
# examples/firmware, built by tests/firmware with cmake/LtccModel.cmake
need cmake               command -v cmake
# the toolchains, emulators and data the target and real-model tests use,
# listed one package a line beside those tests
for list in runtime/packages.txt regress/real/packages.txt; do
	[ -f "$list" ] || continue
	for pkg in $(grep -v '^#' "$list"); do
		need "$pkg" dpkg -s "$pkg"
	done
done
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "deps: installing$missing"
	apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null \
		|| { echo "deps: apt-get install$missing failed" >&2; exit 1; }
	exit 0
fi
echo "deps: missing Debian packages:$missing" >&2
echo "deps: install them with: sudo apt-get install$missing" >&2
exit 1
