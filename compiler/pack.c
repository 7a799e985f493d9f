/* pack.c — weight matrices in the order the target's matmuls stream them.
 *
 * A matmul whose weights are rows reduces each output over `in` inside a
 * vector and sums the lanes at the end; with the weights in panels of
 * PANEL rows stored column by column, a kernel instead broadcasts one input
 * and multiplies it into PANEL outputs at once, reading the panel front
 * to back (layout in ltcc.h). The weights are known here, so the order is
 * paid for once, at compile time, not on every call as a BLAS repacks.
 *
 * Only for targets that ask (<kernels panels="yes">), and only matrices
 * that every reader reads through a kernel with a _pk variant, at the
 * matrix's own shape: an embedding tied to the output stays in rows for
 * the lookup. Runs after compress.c and quant.c (their matrices are not
 * fp32 and stay as they are) and before emit.c, which writes t->data as
 * it finds it.
 *
 * Requires: every op's calls (kernels.c). Guarantees: a packed tensor
 * holds the same values, permuted, and Tensor.pk says how. */
#include <string.h>
#include "ltcc.h"

size_t pack_index(int rows, int cols, int part, int r, int i)
{
	size_t base = 0;
	if (r >= part) {  /* the second part, packed after the first */
		base = (size_t)part * (size_t)cols;
		r -= part;
		rows -= part;
	} else {
		rows = part;
	}
	int p = r - r % PANEL, w = rows - p < PANEL ? rows - p : PANEL;
	return base + (size_t)p * (size_t)cols + (size_t)i * (size_t)w + (size_t)(r - p);
}

/* The part this call packs its matrix argument in, or 0 when it cannot
 * read a packed one. */
static int call_part(const KCall *c, const Tensor *w)
{
	bool glu = c->k == K_linear_glu;
	if (c->k != K_linear && c->k != K_linear_ln && c->k != K_ln_linear && !glu)
		return 0;
	if (kern_arg(c, "in") != w->cols)
		return 0;
	if (glu)
		return 2 * kern_arg(c, "w") == w->rows ? w->rows / 2 : 0;
	return kern_arg(c, "out") == w->rows ? w->rows : 0;
}

/* part[id]: 0 not read yet, > 0 every reader so far packs it so, -1 some
 * reader wants rows */
static void note_reads(const Op *o, int *part)
{
	KCall calls[KERN_MAX_CALLS];
	int n = kern_calls(o, 0, calls);
	for (int k = 0; k < n; k++)
		for (int i = 0; i < calls[k].nargs; i++) {
			const KArg *a = &calls[k].a[i];
			const Tensor *t = a->w ? a->w : a->t;
			if (!t || t->kind != T_WEIGHT)
				continue;
			int want = a->w && !t->q && !t->cz ? call_part(&calls[k], t) : 0;
			int *p = &part[t->id];
			*p = want && (*p == 0 || *p == want) ? want : -1;
		}
}

static void pack(Tensor *t, int part)
{
	size_t n = (size_t)t->rows * (size_t)t->cols;
	float *d = arena_alloc(sizeof(float) * (n ? n : 1));
	for (int r = 0; r < t->rows; r++)
		for (int i = 0; i < t->cols; i++)
			d[pack_index(t->rows, t->cols, part, r, i)] = t->data[(size_t)r * (size_t)t->cols + (size_t)i];
	t->data = d;
	t->pk = part;
}

void pack_weights(IR *ir, const struct Target *tgt)
{
	if (!tgt->panels)
		return;
	int *part = arena_alloc(sizeof(int) * (size_t)(ir->ntensors ? ir->ntensors : 1));
	const Program *ps[2] = { &ir->encode, &ir->step };
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < ps[p]->nops; i++)
			note_reads(ps[p]->ops[i], part);
	for (int i = 0; i < ir->ntensors; i++)
		if (part[i] > 0)
			pack(ir->tensors[i], part[i]);
}
