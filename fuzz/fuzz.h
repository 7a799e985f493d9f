/* fuzz.h — what every libFuzzer harness in fuzz/ shares: diagnostics go to
 * /dev/null, and the compiler's global state (error count, arena) is reset
 * around each input, so one input cannot change what the next one does.
 * die() aborts, which libFuzzer reports as a crash: an internal bug. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ltcc.h"

static FILE *fz_devnull;

static inline void fz_begin(void)
{
	if (!fz_devnull) {
		fz_devnull = fopen("/dev/null", "w");
		if (!fz_devnull)
			abort();
	}
	diag_set_stream(fz_devnull);
	diag_reset();
}

static inline void fz_end(void)
{
	arena_free_all();
	diag_reset();
}

/* A copy of data[0..size) with a NUL after it (malloc'd, the caller frees). */
static inline char *fz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* Built-in target NAME copied out of the compiler's arena (which fz_end
 * frees), for harnesses that keep targets across inputs; aborts if absent. */
static inline char *fz_strdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

static inline Target fz_keep_target(const char *name)
{
	Target *t = tgt_find(name);
	if (!t)
		abort();
	Target c = *t;
	c.name = fz_strdup(t->name);
	c.description = fz_strdup(t->description);
	c.file = fz_strdup(t->file);
	c.arch = fz_strdup(t->arch);
	c.cflags = fz_strdup(t->cflags);
	c.family = fz_strdup(t->family);
	return c;
}

#endif
