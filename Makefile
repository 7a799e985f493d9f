# ltcc — build, test, demo. Plain make; see README.md.
CC      ?= cc
CFLAGS  ?= -O2 -g
# project flags apart from CFLAGS, so `make CFLAGS=...` (sanitizers) keeps them
XCFLAGS  = -std=c11 -Wall -Wextra -Wpedantic -D_POSIX_C_SOURCE=200809L -I/usr/include/libxml2
LDLIBS   = -ljson-c -lxml2 -lm
PREFIX  ?= /usr/local
PY      ?= /usr/bin/python3
B        = build

SRCS = arena.c files.c diag.c check.c weights.c lower.c fuse.c plan.c emit.c report.c target.c testbench.c
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

install: $(B)/ltcc
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(B)/ltcc $(DESTDIR)$(PREFIX)/bin/ltcc

clean:
	rm -rf $(B) regress/golden $(MODELS:%=models/%.safetensors) $(MODELS:%=models/%.json)

.PHONY: all install clean

# ---- models, tests, demo ----
MODELS = wmt iwslt lm mixed

deps:
	@sh tools/deps.sh

# seeded random weights (and the reference's config) for the shipped models
# (a pattern rule with two targets makes both in one run)
models/%.safetensors models/%.json: tools/gen_models.py tools/st.py
	$(PY) tools/gen_models.py models $*
models: $(MODELS:%=models/%.safetensors) $(MODELS:%=models/%.json)

UNIT_OBJS = $(SRCS:%.c=$(B)/%.o) $(B)/lexer.o $(B)/parser.o $(B)/templates.o
$(B)/unit_tests: $(wildcard tests/unit/*.c) $(UNIT_OBJS)
	$(CC) $(CFLAGS) $(XCFLAGS) -Icompiler -I$(B) -o $@ $(wildcard tests/unit/*.c) $(UNIT_OBJS) -lcunit $(LDLIBS)

test: deps
	$(MAKE) all models
	$(MAKE) check

# the test suites, without the dependency step
check: $(B)/ltcc $(B)/unit_tests
	$(B)/unit_tests
	sh tests/err/run.sh
	sh tests/targets/run.sh
	sh tests/import/run.sh
	sh regress/run.sh
	sh regress/targets.sh
	LTCC=$(B)/ltcc B=$(B)/real sh regress/real/run.sh

# the two trained models (models/README.md) compiled and linked into one
# program: a few German words translated, a line of text generated
demo: deps
	$(MAKE) all
	@mkdir -p $(B)/demo
	$(B)/ltcc models/dedict.ltd -t generic -o $(B)/demo/dedict.c
	$(B)/ltcc models/fortune.ltd -t generic -o $(B)/demo/fortune.c
	$(CC) -std=c99 -O2 -Wall -Wextra -pedantic -I$(B)/demo -o $(B)/demo/demo \
		tools/demo.c $(B)/demo/dedict.c $(B)/demo/fortune.c -lm
	@echo "--- running $(B)/demo/demo ---"
	@$(B)/demo/demo

# measurements -> docs/benchmarks.md (a few minutes)
bench: deps
	$(MAKE) all
	$(PY) bench/bench.py

.PHONY: deps models test check demo bench
