# ltcc — build, test, demo. Plain make; see README.md.
CC      ?= cc
CFLAGS  ?= -O2 -g
# project flags apart from CFLAGS, so `make CFLAGS=...` (sanitizers) keeps them
XCFLAGS  = -std=c11 -Wall -Wextra -Wpedantic -D_POSIX_C_SOURCE=200809L -I/usr/include/libxml2
LDLIBS   = -ljson-c -lxml2 -lm
PREFIX  ?= /usr/local
PY      ?= /usr/bin/python3
B        = build

SRCS = arena.c files.c diag.c check.c weights.c lower.c fuse.c compress.c quant.c pack.c plan.c kernels.c emit.c report.c cost.c space.c search.c target.c testbench.c
OBJS = $(SRCS:%.c=$(B)/%.o) $(B)/lexer.o $(B)/parser.o $(B)/templates.o

all: $(B)/ltcc

$(B)/ltcc: $(OBJS) $(B)/main.o
	$(CC) $(CFLAGS) $(XCFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%.o: compiler/%.c compiler/ltcc.h $(B)/parser.h | $(B)
	$(CC) $(CFLAGS) $(XCFLAGS) -Icompiler -I$(B) -c -o $@ $<

$(B)/parser.c $(B)/parser.h: compiler/parser.y | $(B)
	bison -Wall --defines=$(B)/parser.h -o $(B)/parser.c $<

$(B)/lexer.c: compiler/lexer.l | $(B)
	flex -o $@ $<

# generated code: relaxed warnings (flex's own output is not -Wpedantic clean)
$(B)/lexer.o: $(B)/lexer.c $(B)/parser.h compiler/ltcc.h
	$(CC) $(CFLAGS) $(XCFLAGS) -Wno-unused-function -Wno-sign-compare -Icompiler -I$(B) -c -o $@ $<
$(B)/parser.o: $(B)/parser.c compiler/ltcc.h
	$(CC) $(CFLAGS) $(XCFLAGS) -Icompiler -I$(B) -c -o $@ $<

# kernels, target descriptions and their schema are embedded in ltcc
$(B)/templates.c: tools/embed.sh $(wildcard templates/*/kernels.c) $(wildcard targets/*.xml) targets/target.rng | $(B)
	sh tools/embed.sh > $@
$(B)/templates.o: $(B)/templates.c compiler/ltcc.h
	$(CC) $(CFLAGS) $(XCFLAGS) -Wno-overlength-strings -Icompiler -c -o $@ $<

$(B):
	mkdir -p $(B)

# the binary, its man page, the CMake module, the bare-metal runtime and
# the docs; uninstall removes exactly these
SHARE = $(DESTDIR)$(PREFIX)/share
install: $(B)/ltcc
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/man/man1 $(SHARE)/ltcc/cmake $(SHARE)/doc/ltcc \
		$(SHARE)/ltcc/runtime/cortex-m $(SHARE)/ltcc/runtime/riscv32
	install -m 755 $(B)/ltcc $(DESTDIR)$(PREFIX)/bin/ltcc
	install -m 644 docs/ltcc.1 $(SHARE)/man/man1/ltcc.1
	install -m 644 cmake/LtccModel.cmake $(SHARE)/ltcc/cmake/
	install -m 644 cmake/ltcc.mk $(SHARE)/ltcc/
	install -m 644 runtime/README.md runtime/rt.h $(SHARE)/ltcc/runtime/
	install -m 644 runtime/cortex-m/* $(SHARE)/ltcc/runtime/cortex-m/
	install -m 644 runtime/riscv32/* $(SHARE)/ltcc/runtime/riscv32/
	install -m 644 README.md docs/ltd.md docs/robustness.md docs/benchmarks.md docs/search.md $(SHARE)/doc/ltcc/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ltcc $(SHARE)/man/man1/ltcc.1
	rm -rf $(SHARE)/ltcc $(SHARE)/doc/ltcc

clean:
	rm -rf $(B) regress/golden $(MODELS:%=models/%.safetensors) $(MODELS:%=models/%.json)

.PHONY: all install uninstall clean

# ---- models, tests, demo ----
MODELS = wmt iwslt lm mixed alm plm xenc czm

deps:
	@sh tools/deps.sh
deps-build:
	@sh tools/deps.sh build

# seeded random weights (and the reference's config) for the shipped models
# (a pattern rule with two targets makes both in one run)
models/%.safetensors models/%.json: tools/gen_models.py tools/st.py
	$(PY) tools/gen_models.py models $*
models: $(MODELS:%=models/%.safetensors) $(MODELS:%=models/%.json)

UNIT_OBJS = $(SRCS:%.c=$(B)/%.o) $(B)/lexer.o $(B)/parser.o $(B)/templates.o
# the compiler without main(), for the fuzz harnesses
$(B)/libltcc.a: $(UNIT_OBJS)
	rm -f $@
	ar rcs $@ $^
$(B)/unit_tests: $(wildcard tests/unit/*.c) $(UNIT_OBJS)
	$(CC) $(CFLAGS) $(XCFLAGS) -Icompiler -I$(B) -o $@ $(wildcard tests/unit/*.c) $(UNIT_OBJS) -lcunit $(LDLIBS)

test: deps
	$(MAKE) all models
	$(MAKE) check

# the test suites, without the dependency step; then the same suites
# against an ASan+UBSan build of ltcc (the golden one also builds the
# generated code with the sanitizers), and each fuzz harness over its
# regression inputs and for FUZZ_CHECK_SECONDS
check: $(B)/ltcc $(B)/unit_tests
	$(B)/unit_tests
	sh tests/err/run.sh
	sh tests/targets/run.sh
	sh tests/robust/run.sh
	sh tests/import/run.sh
	sh tests/int8/run.sh
	sh tests/compress/run.sh
	sh tests/search/run.sh
	sh tests/exp/run.sh
	sh tests/cxx/run.sh
	sh tests/ctx/run.sh
	sh tests/firmware/run.sh
	sh tests/readme/run.sh
	sh regress/run.sh
	sh regress/targets.sh
	LTCC=$(B)/ltcc B=$(B)/real sh regress/real/run.sh
	$(MAKE) check-asan
	$(MAKE) check-fuzz

# ---- sanitizers: ltcc built with clang's ASan and UBSan in $(SB) ----
SAN_CC     ?= clang
SAN_FLAGS   = -fsanitize=address,undefined -fno-sanitize-recover=all
SB          = $(B)/asan
asan:
	@$(MAKE) --no-print-directory B=$(SB) CC=$(SAN_CC) CFLAGS="-O1 -g -fno-omit-frame-pointer $(SAN_FLAGS)" \
		$(SB)/ltcc $(SB)/unit_tests
check-asan: asan
	$(SB)/unit_tests
	LTCC=$(SB)/ltcc sh tests/err/run.sh
	LTCC=$(SB)/ltcc sh tests/targets/run.sh
	LTCC=$(SB)/ltcc sh tests/robust/run.sh
	# (the test driver's own buffers are left to exit: no leak check there)
	ASAN_OPTIONS=detect_leaks=0 LTCC=$(SB)/ltcc RB=$(SB)/regress CC=$(SAN_CC) GEN_CFLAGS="$(SAN_FLAGS)" \
		TARGETS="generic generic-nofuse generic-w8 generic-i8" sh regress/run.sh

# ---- fuzzing: libFuzzer harnesses in fuzz/ (fuzz/README.md), built in $(FB)
# with the compiler's objects instrumented (-fsanitize=fuzzer-no-link) ----
FUZZ_CC      ?= clang
FB            = $(B)/fuzz
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN)
HARNESSES     = ltd weights target api model
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 20
FUZZ_BINS     = $(HARNESSES:%=$(FB)/%)

# the sub-make builds the compiler's objects into $(FB)/obj; then the harnesses
fuzz-build: $(B)/ltcc
	@$(MAKE) --no-print-directory B=$(FB)/obj CC=$(FUZZ_CC) \
		CFLAGS="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link" $(FB)/obj/libltcc.a
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

$(FB)/ltd $(FB)/target $(FB)/weights $(FB)/model: $(FB)/%: fuzz/%.c fuzz/fuzz.h compiler/ltcc.h $(FB)/obj/libltcc.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(XCFLAGS) -Icompiler \
		-DFUZZ_TINY_LTD='"$(CURDIR)/fuzz/tiny.ltd"' -o $@ $< $(FB)/obj/libltcc.a $(LDLIBS)

# the api harness links tiny.ltd compiled by ltcc twice: every pass on with
# the caller's buffers (fz), every pass off (fzn)
NOFUSE = --no-fold-q-scale --no-fold-softmax --no-fuse-glu --no-fuse-residual-ln --no-fuse-ln-linear \
	--no-zero-copy --no-stream-attention --no-fuse-dyn-taps
$(FB)/gen/fz.c: fuzz/tiny.ltd fuzz/tiny.safetensors $(B)/ltcc
	@mkdir -p $(FB)/gen
	$(B)/ltcc fuzz/tiny.ltd --prefix fz --external-buffers -o $@
$(FB)/gen/fzn.c: fuzz/tiny.ltd fuzz/tiny.safetensors $(B)/ltcc
	@mkdir -p $(FB)/gen
	$(B)/ltcc fuzz/tiny.ltd --prefix fzn $(NOFUSE) -o $@
# (the kernels' loop compares are not worth tracing: 60 % of the time)
$(FB)/gen/%.o: $(FB)/gen/%.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp \
		-std=c99 -Wall -Wextra -Werror -c -o $@ $<
# and the decoder-only tiny-lm.ltd the same two ways (fzl, fzln)
$(FB)/gen/fzl.c: fuzz/tiny-lm.ltd fuzz/tiny-lm.safetensors $(B)/ltcc
	@mkdir -p $(FB)/gen
	$(B)/ltcc fuzz/tiny-lm.ltd --prefix fzl --external-buffers -o $@
$(FB)/gen/fzln.c: fuzz/tiny-lm.ltd fuzz/tiny-lm.safetensors $(B)/ltcc
	@mkdir -p $(FB)/gen
	$(B)/ltcc fuzz/tiny-lm.ltd --prefix fzln $(NOFUSE) -o $@
API_GEN = $(FB)/gen/fz.o $(FB)/gen/fzn.o $(FB)/gen/fzl.o $(FB)/gen/fzln.o
$(FB)/api: fuzz/api.c $(API_GEN)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -std=c99 -Wall -Wextra -Werror -I$(FB)/gen \
		-o $@ fuzz/api.c $(API_GEN) -lm

# every harness for FUZZ_SECONDS, growing the corpus in $(FB)/corpus
fuzz: fuzz-build
	FB=$(FB) sh fuzz/run.sh -t $(FUZZ_SECONDS) -c $(FB)/corpus $(HARNESSES)
# every regression input once, then every harness for FUZZ_CHECK_SECONDS
check-fuzz: fuzz-build
	FB=$(FB) sh fuzz/run.sh -t $(FUZZ_CHECK_SECONDS) $(HARNESSES)

# the two trained models (models/README.md) compiled and linked into one
# program: a few German words translated (by dedict and by its compressed
# version, models/dedict_dc), a line of text generated
demo: deps-build
	$(MAKE) all
	@mkdir -p $(B)/demo
	$(B)/ltcc models/dedict.ltd -t generic -o $(B)/demo/dedict.c
	$(B)/ltcc models/fortune.ltd -t generic -o $(B)/demo/fortune.c
	$(B)/ltcc models/dedict_dc.ltd -t generic --prefix dedict_dc -o $(B)/demo/dedict_dc.c
	$(CC) -std=c99 -O2 -Wall -Wextra -pedantic -I$(B)/demo -o $(B)/demo/demo \
		tools/demo.c $(B)/demo/dedict.c $(B)/demo/dedict_dc.c $(B)/demo/fortune.c -lm
	@echo "--- running $(B)/demo/demo ---"
	@$(B)/demo/demo

# measurements -> docs/benchmarks.md (a few minutes)
bench: deps
	$(MAKE) all
	$(PY) bench/bench.py

.PHONY: deps deps-build models test check demo bench asan check-asan fuzz-build fuzz check-fuzz
