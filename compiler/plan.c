/* plan.c — static memory planning.
 *
 * Requires: the fused IR. Guarantees: every activation buffer (not views)
 * gets an offset in one scratch arena such that two buffers live at the
 * same time never overlap; persistent state (caches, histories, cross K/V)
 * gets its own offsets in a separate state area. The encode and
 * decode-step programs never run at the same time, so they share the arena.
 *
 * Method: liveness intervals over each program's op order, then buffers
 * placed largest first at the lowest offset that fits beside the ones
 * already placed whose intervals intersect (greedy by size). */
#include <stdlib.h>
#include <string.h>
#include "ltcc.h"

static Tensor *root(Tensor *t) { return t->base ? t->base : t; }

static size_t size_of(const Tensor *t) { return (size_t)t->rows * (size_t)t->cols; }

static void touch(Tensor *t, int i, int prog)
{
	if (!t)
		return;
	t = root(t);
	if (t->kind != T_ACT)
		return;
	if (t->first < 0 || t->prog != prog) {
		t->first = i;
		t->prog = prog;
	}
	t->last = i;
}

static int by_size_desc(const void *a, const void *b)
{
	const Tensor *x = *(Tensor *const *)a, *y = *(Tensor *const *)b;
	size_t sx = size_of(x), sy = size_of(y);
	return sx < sy ? 1 : sx > sy ? -1 : (x->first > y->first) - (x->first < y->first);
}

static bool overlap_time(const Tensor *a, const Tensor *b)
{
	return a->prog == b->prog && a->first <= b->last && b->first <= a->last;
}

/* Place the program's buffers; returns the arena floats it needs. */
static size_t place(IR *ir, int prog, size_t *lower, size_t *naive)
{
	Tensor **bufs = malloc(sizeof(Tensor *) * (size_t)(ir->ntensors + 1));
	int n = 0;
	for (int i = 0; i < ir->ntensors; i++) {
		Tensor *t = ir->tensors[i];
		if (t->kind == T_ACT && !t->base && t->prog == prog && t->first >= 0)
			bufs[n++] = t;
	}
	qsort(bufs, (size_t)n, sizeof *bufs, by_size_desc);
	size_t top = 0;
	for (int i = 0; i < n; i++) {
		Tensor *t = bufs[i];
		size_t off = 0, sz = size_of(t);
		/* first fit: bump past any conflicting placed buffer, retry */
		for (bool moved = true; moved;) {
			moved = false;
			for (int j = 0; j < i; j++) {
				Tensor *u = bufs[j];
				if (overlap_time(t, u) && off < u->off + size_of(u) && u->off < off + sz) {
					off = u->off + size_of(u);
					moved = true;
				}
			}
		}
		t->off = off;
		if (off + sz > top)
			top = off + sz;
		*naive += sz;
	}
	/* the lower bound: the most floats live at any one op */
	Program *p = prog == 0 ? &ir->encode : &ir->step;
	for (int op = 0; op < p->nops; op++) {
		size_t live = 0;
		for (int i = 0; i < n; i++)
			if (bufs[i]->first <= op && op <= bufs[i]->last)
				live += size_of(bufs[i]);
		if (live > *lower)
			*lower = live;
	}
	free(bufs);
	return top;
}

void plan_memory(IR *ir)
{
	Program *progs[2] = { &ir->encode, &ir->step };
	for (int pi = 0; pi < 2; pi++)
		for (int i = 0; i < progs[pi]->nops; i++) {
			Op *o = progs[pi]->ops[i];
			for (int k = 0; k < OP_MAX_IN; k++)
				touch(o->in[k], i, pi);
			touch(o->out, i, pi);
		}
	size_t lower = 0, naive = 0;
	size_t a = place(ir, 0, &lower, &naive);
	size_t b = place(ir, 1, &lower, &naive);
	ir->arena_floats = a > b ? a : b;
	ir->arena_lower_bound = lower;
	ir->arena_naive = naive;
	/* state: laid out one after another, each aligned to 16 floats */
	size_t s = 0;
	for (int i = 0; i < ir->ntensors; i++) {
		Tensor *t = ir->tensors[i];
		if (t->kind == T_STATE && !t->base) {
			t->off = s;
			s += (size_of(t) + 15) / 16 * 16;
		}
	}
	ir->state_floats = s;
}
