/* api.c — libFuzzer harness for the C API that ltcc generates, on the
 * model fuzz/tiny.ltd compiled twice (the Makefile does it):
 *   fz   every pass on, --external-buffers: arena and state are malloc'd
 *        at exactly FZ_ARENA_BYTES and FZ_STATE_BYTES, so ASan sees any
 *        access past the planned sizes; the arena is refilled with NaN
 *        before every call (it is scratch: nothing may survive in it), and
 *        the state with NaN at the start of each input (all of it must be
 *        written before it is read)
 *   fzn  every pass off, static buffers
 * and the decoder-only fuzz/tiny-lm.ltd the same two ways (fzl, fzln),
 * which takes every decode_step and reset too (tokens and positions of
 * its own).
 * The input is a sequence of calls (encode, decode_step, reset, greedy,
 * set_buffers with NULL), with arbitrary tokens and lengths. Both builds
 * get the same calls; the harness keeps its own model of the API state,
 * and checks each return code against the documented one (fz.h), that
 * logits and encoder outputs are finite, and that the two builds agree. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fz.h"
#include "fzl.h"
#include "fzln.h"
#include "fzn.h"

#define FAIL(...) do { fprintf(stderr, "api fuzz: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

typedef struct Rd { const uint8_t *p; size_t n; } Rd;

static uint8_t u8(Rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static int32_t u32(Rd *r)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | u8(r);
	return (int32_t)v;
}

/* a token: mostly in [0, vocab), sometimes just outside or far outside */
static int32_t token(Rd *r, int32_t vocab)
{
	uint8_t b = u8(r);
	if (b < 224)
		return b % vocab;
	switch (b & 7) {
	case 0: return -1;
	case 1: return vocab;
	case 2: return vocab + 1;
	case 3: return INT32_MIN;
	case 4: return INT32_MAX;
	case 5: return -vocab;
	default: return u32(r);
	}
}

/* a length: mostly in [1, max], sometimes 0, negative or too long */
static int32_t length(Rd *r, int32_t max)
{
	uint8_t b = u8(r);
	if (b < 200)
		return 1 + b % max;
	switch (b & 7) {
	case 0: return 0;
	case 1: return -1;
	case 2: return max + 1;
	case 3: return INT32_MIN;
	case 4: return INT32_MAX;
	case 5: return max;
	default: return u32(r);
	}
}

static float *arena_buf, *state_buf;
static size_t arena_n, state_n;
static int have_buffers;     /* fz_set_buffers given real buffers */
static int ready, pos;       /* what the API should be in */
static float *lm_arena, *lm_state;
static size_t lm_arena_n, lm_state_n;
static int lpos;             /* the language model's position */

static void poison(float *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = NAN;
}

static void *must_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

static void finite(const float *v, int n, const char *what)
{
	for (int i = 0; i < n; i++)
		if (!isfinite(v[i]))
			FAIL("%s[%d] = %g is not finite", what, i, (double)v[i]);
}

static void agree(const float *a, const float *b, int n, const char *what)
{
	for (int i = 0; i < n; i++)
		if (fabsf(a[i] - b[i]) > 1e-3f * (1.0f + fabsf(b[i])))
			FAIL("%s[%d]: all passes %.9g, no passes %.9g", what, i, (double)a[i], (double)b[i]);
}

/* The expected code of encode(src, n), src holding cap tokens. */
static int want_encode(const int32_t *src, int32_t n, int32_t cap)
{
	if (!have_buffers)
		return FZ_ERR_NO_BUFFERS;
	if (!src || n < 1 || n > FZ_MAX_SOURCE)
		return FZ_ERR_LENGTH;
	for (int32_t i = 0; i < n && i < cap; i++)
		if (src[i] < 0 || src[i] >= FZ_SRC_VOCAB)
			return FZ_ERR_TOKEN;
	return 0;
}

/* A source buffer holding exactly min(n, FZ_MAX_SOURCE + 1) tokens: an API
 * that reads past what it accepted runs off the allocation. NULL if the
 * input says so. */
static int32_t *source(Rd *r, int32_t n, int32_t *cap)
{
	*cap = n < 0 ? 0 : n > FZ_MAX_SOURCE + 1 ? FZ_MAX_SOURCE + 1 : n;
	if (u8(r) >= 248)
		return NULL;
	int32_t *src = must_alloc(sizeof(int32_t) * (size_t)*cap);
	for (int32_t i = 0; i < *cap; i++)
		src[i] = token(r, FZ_SRC_VOCAB);
	return src;
}

/* Both builds back to a known state: a valid encode. */
static void resync(void)
{
	int32_t s[3] = { 4, 5, 6 };
	poison(arena_buf, arena_n);
	if (fz_encode(s, 3) || fzn_encode(s, 3))
		FAIL("a valid encode failed");
	ready = 1;
	pos = 0;
}

/* Without buffers only the external build is called (the static one has
 * nothing to miss), and only the refusal is checked. */
static void do_encode(Rd *r)
{
	int32_t n = length(r, FZ_MAX_SOURCE), cap;
	int32_t *src = source(r, n, &cap);
	int want = want_encode(src, n, cap);
	poison(arena_buf, arena_n);
	int a = fz_encode(src, n), b = have_buffers ? fzn_encode(src, n) : want;
	if (a != want || b != want)
		FAIL("encode(n=%d): returned %d (all passes) and %d (no passes), expected %d", (int)n, a, b, want);
	if (a == 0) {
		ready = 1;
		pos = 0;
		finite(fz_encoder_output(), n * FZ_DIM, "encoder output");
		agree(fz_encoder_output(), fzn_encoder_output(), n * FZ_DIM, "encoder output");
	}
	free(src);
}

static void do_step(Rd *r)
{
	uint8_t how = u8(r);
	int32_t tok = token(r, FZ_VOCAB);
	float *la = how >= 240 ? NULL : must_alloc(sizeof(float) * FZ_VOCAB);
	float *lb = how >= 240 ? NULL : must_alloc(sizeof(float) * FZ_VOCAB);
	int want = !have_buffers ? FZ_ERR_NO_BUFFERS : !ready ? FZ_ERR_NO_SOURCE
		: tok < 0 || tok >= FZ_VOCAB ? FZ_ERR_TOKEN : pos >= FZ_MAX_TARGET ? FZ_ERR_FULL
		: !la ? FZ_ERR_LENGTH : 0;
	poison(arena_buf, arena_n);
	int a = fz_decode_step(tok, la), b = have_buffers ? fzn_decode_step(tok, lb) : want;
	if (a != want || b != want)
		FAIL("decode_step(%d) at position %d: returned %d (all passes) and %d (no passes), expected %d",
		     (int)tok, pos, a, b, want);
	if (a == 0) {
		pos++;
		finite(la, FZ_VOCAB, "logits");
		finite(lb, FZ_VOCAB, "logits (no passes)");
		agree(la, lb, FZ_VOCAB, "logits");
	}
	free(la);
	free(lb);

	/* the language model, same token */
	la = how >= 240 ? NULL : must_alloc(sizeof(float) * FZL_VOCAB);
	lb = how >= 240 ? NULL : must_alloc(sizeof(float) * FZL_VOCAB);
	want = !have_buffers ? FZL_ERR_NO_BUFFERS : tok < 0 || tok >= FZL_VOCAB ? FZL_ERR_TOKEN
		: lpos >= FZL_MAX_TARGET ? FZL_ERR_FULL : !la ? FZL_ERR_LENGTH : 0;
	poison(lm_arena, lm_arena_n);
	a = fzl_decode_step(tok, la);
	b = have_buffers ? fzln_decode_step(tok, lb) : want;
	if (a != want || b != want)
		FAIL("lm decode_step(%d) at position %d: returned %d (all passes) and %d (no passes), expected %d",
		     (int)tok, lpos, a, b, want);
	if (a == 0) {
		lpos++;
		finite(la, FZL_VOCAB, "lm logits");
		finite(lb, FZL_VOCAB, "lm logits (no passes)");
		agree(la, lb, FZL_VOCAB, "lm logits");
	}
	free(la);
	free(lb);
}

static void do_greedy(Rd *r)
{
	int32_t n = length(r, FZ_MAX_SOURCE), cap;
	int32_t *src = source(r, n, &cap);
	uint8_t b = u8(r);
	int32_t max_out = b < 128 ? b % (FZ_MAX_TARGET + 2) : b < 192 ? -(int32_t)(b & 3)
		: b < 250 ? (int32_t)(b % 16) : b == 250 ? INT32_MAX : INT32_MIN;
	int null_out = u8(r) >= 240;
	/* room for exactly what may be written */
	int32_t ocap = max_out < 0 ? 0 : max_out > FZ_MAX_TARGET ? FZ_MAX_TARGET : max_out;
	int32_t *oa = null_out ? NULL : must_alloc(sizeof(int32_t) * (size_t)ocap);
	int32_t *ob = null_out ? NULL : must_alloc(sizeof(int32_t) * (size_t)ocap);
	int enc = want_encode(src, n, cap);
	int want = enc ? enc : null_out && max_out > 0 ? FZ_ERR_LENGTH : 0;
	poison(arena_buf, arena_n);
	int a = fz_greedy(src, n, oa, max_out);
	int bb = have_buffers ? fzn_greedy(src, n, ob, max_out) : want;
	if (want < 0) {
		if (a != want || bb != want)
			FAIL("greedy(n=%d, max_out=%d): returned %d and %d, expected %d", (int)n, (int)max_out, a, bb, want);
		if (enc == 0)  /* failed after its encode: that happened */
			ready = 1, pos = 0;
	} else {
		int32_t lim = max_out < 0 ? 0 : max_out < FZ_MAX_TARGET ? max_out : FZ_MAX_TARGET;
		if (a < 0 || bb < 0 || a > lim || bb > lim)
			FAIL("greedy(n=%d, max_out=%d): returned %d and %d, expected 0..%d", (int)n, (int)max_out, a, bb, (int)lim);
		for (int i = 0; i < a; i++)
			if (oa[i] < 0 || oa[i] >= FZ_VOCAB || oa[i] == FZ_EOS)
				FAIL("greedy output[%d] = %d", i, (int)oa[i]);
		ready = 1;
		/* where the decoder stopped: at max_out, at max_target, or one past the EOS */
		pos = max_out <= 0 ? 0 : a == max_out || a == FZ_MAX_TARGET ? a : a + 1;
		/* the builds may break a near tie differently; then their
		 * caches differ, so start both over */
		if (a != bb || (a > 0 && memcmp(oa, ob, sizeof(int32_t) * (size_t)a)))
			resync();
	}
	free(src);
	free(oa);
	free(ob);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	arena_n = FZ_ARENA_BYTES / sizeof(float);
	state_n = FZ_STATE_BYTES / sizeof(float);
	arena_buf = must_alloc(FZ_ARENA_BYTES);
	state_buf = must_alloc(FZ_STATE_BYTES);
	lm_arena_n = FZL_ARENA_BYTES / sizeof(float);
	lm_state_n = FZL_STATE_BYTES / sizeof(float);
	lm_arena = must_alloc(FZL_ARENA_BYTES);
	lm_state = must_alloc(FZL_STATE_BYTES);
	/* before any buffers or source: the documented refusals */
	int32_t s[2] = { 4, 5 };
	float l[FZ_VOCAB];
	if (fz_encode(s, 2) != FZ_ERR_NO_BUFFERS || fz_decode_step(4, l) != FZ_ERR_NO_BUFFERS)
		FAIL("calls before fz_set_buffers do not return FZ_ERR_NO_BUFFERS");
	fz_reset();  /* without buffers: must not touch memory */
	if (fzn_decode_step(4, l) != FZN_ERR_NO_SOURCE)
		FAIL("decode_step before encode does not return FZN_ERR_NO_SOURCE");
	fz_set_buffers(arena_buf, state_buf);
	if (fz_decode_step(4, l) != FZ_ERR_NO_SOURCE)
		FAIL("decode_step before encode does not return FZ_ERR_NO_SOURCE");
	float ll[FZL_VOCAB];
	if (fzl_decode_step(4, ll) != FZL_ERR_NO_BUFFERS)
		FAIL("lm decode_step before fzl_set_buffers does not return FZL_ERR_NO_BUFFERS");
	fzl_reset();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Rd r = { data, size };
	/* a known start: buffers full of NaN, then a valid encode */
	fz_set_buffers(arena_buf, state_buf);
	have_buffers = 1;
	poison(state_buf, state_n);
	resync();
	/* the language model: its state full of NaN when it gets it, so its
	 * first step reads no history that set_buffers did not clear */
	poison(lm_state, lm_state_n);
	fzl_set_buffers(lm_arena, lm_state);
	fzln_reset();
	lpos = 0;
	for (int calls = 0; r.n && calls < 64; calls++) {
		switch (u8(&r) % 8) {
		case 0: case 1: do_encode(&r); break;
		case 2: case 3: case 4: do_step(&r); break;
		case 5:
			/* without buffers: must change nothing */
			fz_reset();
			fzl_reset();
			if (have_buffers) {
				fzn_reset();
				fzln_reset();
				pos = 0;
				lpos = 0;
			}
			break;
		case 6: do_greedy(&r); break;
		case 7:
			/* take the buffers away, or give them back: new buffers
			 * start over, so no decode_step before the next encode
			 * (that one once read a stale conv history) */
			have_buffers = !have_buffers;
			fz_set_buffers(have_buffers ? arena_buf : NULL, have_buffers ? state_buf : NULL);
			fzl_set_buffers(have_buffers ? lm_arena : NULL, have_buffers ? lm_state : NULL);
			if (have_buffers) {
				fzln_reset();  /* the language model starts over */
				lpos = 0;
				float l[FZ_VOCAB];
				int rc = fz_decode_step(FZ_EOS, l);
				if (rc != FZ_ERR_NO_SOURCE)
					FAIL("decode_step after fz_set_buffers returned %d, expected FZ_ERR_NO_SOURCE", rc);
				resync();
			}
			break;
		}
	}
	return 0;
}
