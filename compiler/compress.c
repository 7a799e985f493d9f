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
 *   CZ_S4  the nonzero weights only, one byte each: high nibble = the step
 *          from the previous nonzero's flat position, minus one (the first
 *          steps from -1), low nibble = its codebook index. A gap over 16
 *          takes filler entries (step 16, the index of 0.0), and fillers
 *          run on past the last row's end, so a kernel walking a row always
 *          meets the entry that ends it (Deep Compression's relative
 *          indices, with the codebook index in the same byte). At most 16
 *          entries, 0.0 among them when a filler is needed inside. */
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

/* S4's stream into out (NULL: only count); its length in bytes. A filler
 * inside the matrix only follows a zero, so the codebook then has 0.0; one
 * past the end is never applied. */
static size_t s4_stream(const Tensor *t, const float *book, int nb, uint8_t *out)
{
	size_t n = (size_t)t->rows * (size_t)t->cols, len = 0;
	int zero = index_of(book, nb, 0.0f);
	uint8_t filler = (uint8_t)(15 << 4 | (zero < nb && book[zero] == 0.0f ? zero : 0));
	long long last = -1;
	for (size_t i = 0; i < n; i++) {
		if (t->data[i] == 0.0f)
			continue;
		for (; (long long)i - last > 16; last += 16, len++)
			if (out)
				out[len] = filler;
		if (out)
			out[len] = (uint8_t)(((long long)i - last - 1) << 4 | index_of(book, nb, t->data[i]));
		len++;
		last = (long long)i;
	}
	for (; last < (long long)n; last += 16, len++)  /* cross the last row's end */
		if (out)
			out[len] = filler;
	return len;
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
	size_t n = (size_t)t->rows * (size_t)t->cols, cb = sizeof(float) * (size_t)nb;
	size_t best = sizeof(float) * n, sz;
	CzFormat fmt = CZ_NONE;
	if ((sz = n + cb) < best)
		best = sz, fmt = CZ_D8;
	if (nb <= 16 && (sz = (n + 1) / 2 + cb) < best)
		best = sz, fmt = CZ_D4;
	size_t s4 = nb <= 16 ? s4_stream(t, book, nb, NULL) : 0;
	if (nb <= 16 && s4 + cb < best)
		best = s4 + cb, fmt = CZ_S4;
	if (fmt == CZ_NONE)
		return;
	t->cz_fmt = fmt;
	t->cz_bytes = fmt == CZ_S4 ? s4 : fmt == CZ_D4 ? (n + 1) / 2 : n;
	t->cz = arena_alloc(t->cz_bytes);
	t->cz_book = arena_alloc(cb);
	memcpy(t->cz_book, book, cb);
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
