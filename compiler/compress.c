/* compress.c — codebook matrices stored compressed (--compress auto).
 *
 * Requires: a fused IR (folds such as the q scaling already applied, as
 * quant.c does). Guarantees: every matrix a matmul reads (quant.c's
 * op_matmul_weight) whose values are at most CZ_MAX_BOOK distinct floats
 * (a pruned, weight-shared model's, tools/ltcc-compress) is stored as a
 * codebook and indices in the smallest of the formats below, when that is
 * smaller than fp32. Lossless: the kernels read exactly the given values
 * (0.0 and -0.0 are one entry). Models with an adaptive input or softmax
 * are left alone: their band kernels read fp32 rows.
 *
 * Formats (Tensor.cz_fmt, the kernels' `fmt` argument); the matrix is
 * walked flat, row after row, `cols` weights a row:
 *   CZ_D8  one byte per weight, its codebook index;
 *   CZ_D4  two per byte, the earlier weight in the low nibble (a row may
 *          start mid-byte when cols is odd); at most 16 entries;
 *   CZ_S4  the nonzero weights only, one byte each: high nibble s, low
 *          nibble i. i > 0: the weight cb[i], s + 1 positions after the
 *          previous entry's flat position (the first counts from -1); i =
 *          0, a skip: 16 (s + 1) positions on, over zeros, and cb[0] = 0.0
 *          (so a kernel may apply it as it does any entry). Skips run on
 *          past the last row's end, so a kernel walking a row always meets
 *          the entry that ends it. Deep Compression's relative indices, with
 *          the codebook index in the same byte; a skip spans up to 256
 *          zeros where a plain filler of step 16 would span 16 (at 88%
 *          sparsity that is a fifth fewer of them: measured on
 *          fortune_dc, 6356 against 7747). At most 16 entries, 0.0 first. */
#include <string.h>
#include "ltcc.h"

static int index_of(const float *book, int nb, float v)
{
	int lo = 0, hi = nb;  /* the first entry >= v */
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (book[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The sorted distinct values of t, or 0 if there are more than
 * CZ_MAX_BOOK: an fp32 matrix is turned down after a few hundred reads. */
static int codebook(const Tensor *t, float *book)
{
	size_t n = (size_t)t->rows * (size_t)t->cols;
	int nb = 0;
	for (size_t i = 0; i < n; i++) {
		float v = t->data[i] == 0.0f ? 0.0f : t->data[i];  /* -0.0 and 0.0: one entry */
		int k = index_of(book, nb, v);
		if (k < nb && book[k] == v)
			continue;
		if (nb == CZ_MAX_BOOK)
			return 0;
		memmove(book + k + 1, book + k, sizeof(float) * (size_t)(nb - k));
		book[k] = v;
		nb++;
	}
	return nb;
}

/* Skips from `last` until at most 16 positions before `to`, into out
 * (NULL: only count); their number. */
static size_t s4_skips(long long *last, long long to, uint8_t *out)
{
	size_t len = 0;
	while (to - *last > 16) {
		long long k = (to - *last - 1) / 16;  /* blocks of 16 that leave a step in [1, 16] */
		k = k > 16 ? 16 : k;
		if (out)
			out[len] = (uint8_t)((k - 1) << 4);
		len++;
		*last += 16 * k;
	}
	return len;
}

/* S4's stream into out (NULL: only count); its length in bytes. `book`
 * holds 0.0 first, then the nonzero values in order (nb in all). */
static size_t s4_stream(const Tensor *t, const float *book, int nb, uint8_t *out)
{
	size_t n = (size_t)t->rows * (size_t)t->cols, len = 0;
	long long last = -1;
	for (size_t i = 0; i < n; i++) {
		if (t->data[i] == 0.0f)
			continue;
		len += s4_skips(&last, (long long)i, out ? out + len : NULL);
		if (out)
			out[len] = (uint8_t)(((long long)i - last - 1) << 4 | (1 + index_of(book + 1, nb - 1, t->data[i])));
		len++;
		last = (long long)i;
	}
	/* skips to n or past it: the last row's end crossed (at least one) */
	return len + s4_skips(&last, (long long)n + 16, out ? out + len : NULL);
}

static void dense_stream(const Tensor *t, const float *book, int nb, bool four, uint8_t *out)
{
	size_t n = (size_t)t->rows * (size_t)t->cols;
	for (size_t i = 0; i < n; i++) {
		int k = index_of(book, nb, t->data[i]);
		if (!four)
			out[i] = (uint8_t)k;
		else
			out[i / 2] |= (uint8_t)(i % 2 ? k << 4 : k);
	}
}

/* Store t in its smallest format, if that beats fp32. */
static void compress(Tensor *t)
{
	float book[CZ_MAX_BOOK];
	int nb = codebook(t, book);
	if (nb == 0)
		return;
	size_t n = (size_t)t->rows * (size_t)t->cols, cb = sizeof(float) * (size_t)nb;  /* D8, D4 */
	size_t best = sizeof(float) * n, sz;
	CzFormat fmt = CZ_NONE;
	if ((sz = n + cb) < best)
		best = sz, fmt = CZ_D8;
	if (nb <= 16 && (sz = (n + 1) / 2 + cb) < best)
		best = sz, fmt = CZ_D4;
	/* S4's codebook: 0.0 first (added if the matrix has no zero), then the rest */
	float sbook[CZ_MAX_BOOK + 1] = { 0.0f };
	int z = index_of(book, nb, 0.0f), ns = 1;
	for (int k = 0; k < nb; k++)
		if (k != z || book[k] != 0.0f)
			sbook[ns++] = book[k];
	size_t s4 = ns <= 16 ? s4_stream(t, sbook, ns, NULL) : 0;
	if (ns <= 16 && (sz = s4 + sizeof(float) * (size_t)ns) < best)
		best = sz, fmt = CZ_S4;
	if (fmt == CZ_NONE)
		return;
	if (fmt == CZ_S4)
		memcpy(book, sbook, sizeof(float) * (size_t)(nb = ns));
	t->cz_fmt = fmt;
	t->cz_bytes = fmt == CZ_S4 ? s4 : fmt == CZ_D4 ? (n + 1) / 2 : n;
	t->cz = arena_alloc(t->cz_bytes);
	t->cz_book = arena_alloc(sizeof(float) * (size_t)nb);
	memcpy(t->cz_book, book, sizeof(float) * (size_t)nb);
	t->cz_nbook = nb;
	if (fmt == CZ_S4)
		s4_stream(t, book, nb, t->cz);
	else
		dense_stream(t, book, nb, fmt == CZ_D4, t->cz);
}

void compress_weights(IR *ir, bool on)
{
	if (!on || ir->ain || ir->aout)
		return;
	const Program *ps[2] = { &ir->encode, &ir->step };
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < ps[p]->nops; i++) {
			Tensor *w = op_matmul_weight(ps[p]->ops[i]);
			if (w && !w->cz)
				compress(w);
		}
}

const char *const cz_format_name[] = { [CZ_NONE] = "fp32", [CZ_D8] = "D8", [CZ_D4] = "D4", [CZ_S4] = "S4" };
