/* arena.c — compiler memory. Everything the compiler allocates lives until
 * exit, so one list of blocks, freed once, is all the bookkeeping needed. */
#include <stdlib.h>
#include <string.h>
#include "ltcc.h"

typedef struct Block {
	struct Block *next;
	size_t used, size;
	max_align_t data[];
} Block;

static Block *head;

/* Under AddressSanitizer (the fuzz and sanitizer builds in the Makefile)
 * every allocation is its own block of exactly the size asked for, so an
 * overrun of one object is caught at its end, not lost in a 1 MiB block. */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_EXACT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_EXACT 1
#endif
#endif

void *arena_alloc(size_t n)
{
#ifdef ARENA_EXACT
	Block *e = malloc(sizeof(Block) + n);
	if (!e)
		die("out of memory (%zu bytes)", n);
	e->next = head;
	e->used = e->size = n;
	head = e;
	return memset(e->data, 0, n);
#endif
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!head || head->size - head->used < n) {
		size_t size = n > (1u << 20) ? n : (1u << 20);
		Block *b = malloc(sizeof(Block) + size);
		if (!b)
			die("out of memory (%zu bytes)", n);
		b->next = head;
		b->used = 0;
		b->size = size;
		head = b;
	}
	void *p = (char *)head->data + head->used;
	head->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(arena_alloc(n), s, n);
}

char *arena_printf(const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = arena_alloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return s;
}

void arena_free_all(void)
{
	while (head) {
		Block *b = head;
		head = b->next;
		free(b);
	}
}
