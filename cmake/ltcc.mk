# ltcc.mk — a Make fragment: NAME.c and NAME.h from NAME.ltd with ltcc.
#
#   LTCC_MODELS = wmt                # the .ltd files, without .ltd
#   LTCC_TARGET = cortex-m4          # default generic
#   LTCC_FLAGS  = --quantize int8    # more ltcc options
#   include /usr/local/share/ltcc/ltcc.mk
#   app: main.o wmt.o
#
# ltcc writes NAME.d (-MD), so NAME.c is made again when the .ltd, its
# weights or the target file change, and only then; an unchanged header
# keeps its time stamp. LTCC_CFLAGS holds the target's compile flags
# (ltcc --print-cflags), for the objects built from NAME.c.
LTCC        ?= ltcc
LTCC_TARGET ?= generic
LTCC_FLAGS  ?=
LTCC_CFLAGS := $(shell $(LTCC) --print-cflags -t $(LTCC_TARGET))

%.c %.h: %.ltd
	$(LTCC) $< -t $(LTCC_TARGET) --prefix $* -o $*.c -MD $(LTCC_FLAGS)

$(LTCC_MODELS:%=%.o): %.o: %.c
	$(CC) $(LTCC_CFLAGS) -c $< -o $@

-include $(LTCC_MODELS:%=%.d)
