/* plan.c — static memory planning.
 *
 * Requires: the fused IR. Guarantees: every activation buffer (not views)
 * gets an offset in one scratch arena such that two buffers live at the
 * same time never overlap; persistent state (caches, histories, cross K/V)
 * gets its own offsets in a separate state area. The encode and
 * decode-step programs never run at the same time, so they share the arena.
 *
 * Method: liveness intervals over each program's op order, then each buffer
 * placed at the lowest offset clear of the already placed buffers it is
 * live with (first fit), in several orders (by size, size x lifetime,
 * lifetime, first use); the smallest arena wins. */
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

/* Orders to try; ties fall back to the first use, so plans are stable. */
static int by_size(const Tensor *x, const Tensor *y)
{
	size_t sx = size_of(x), sy = size_of(y);
	return sx < sy ? 1 : sx > sy ? -1 : 0;
}
static int by_span(const Tensor *x, const Tensor *y) { return (y->last - y->first) - (x->last - x->first); }
static int by_first(const Tensor *x, const Tensor *y) { return x->first - y->first; }
static int by_area(const Tensor *x, const Tensor *y)
{
	double ax = (double)size_of(x) * (x->last - x->first + 1), ay = (double)size_of(y) * (y->last - y->first + 1);
	return ax < ay ? 1 : ax > ay ? -1 : 0;
}

static int (*order)(const Tensor *, const Tensor *);

static int cmp(const void *a, const void *b)
{
	const Tensor *x = *(Tensor *const *)a, *y = *(Tensor *const *)b;
	int c = order(x, y);
	return c ? c : (x->first > y->first) - (x->first < y->first);
}

static bool overlap_time(const Tensor *a, const Tensor *b)
{
	return a->prog == b->prog && a->first <= b->last && b->first <= a->last;
}

/* First fit in the given order: each buffer goes to the lowest offset
 * clear of every placed buffer it is live with. Returns the arena size. */
static size_t first_fit(Tensor **bufs, int n)
{
	size_t top = 0;
	for (int i = 0; i < n; i++) {
		Tensor *t = bufs[i];
		size_t off = 0, sz = size_of(t);
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
	}
	return top;
}

/* Place the program's buffers with the best of several orders; returns
 * the arena floats it needs. Also raises the lower bound to the most floats
 * live at any one op. */
static size_t place(IR *ir, int prog, size_t *lower)
{
	Tensor **stable = malloc(sizeof(Tensor *) * (size_t)(ir->ntensors + 1));
	Tensor **bufs = malloc(sizeof(Tensor *) * (size_t)(ir->ntensors + 1));
	size_t *best = malloc(sizeof(size_t) * (size_t)(ir->ntensors + 1));
	int n = 0;
	for (int i = 0; i < ir->ntensors; i++) {
		Tensor *t = ir->tensors[i];
		if (t->kind == T_ACT && !t->base && t->prog == prog && t->first >= 0)
			stable[n++] = t;
	}
	static int (*const orders[])(const Tensor *, const Tensor *) = { by_size, by_area, by_span, by_first };
	size_t top = 0;
	for (size_t k = 0; k < sizeof orders / sizeof orders[0]; k++) {
		memcpy(bufs, stable, sizeof(Tensor *) * (size_t)n);
		order = orders[k];
		qsort(bufs, (size_t)n, sizeof *bufs, cmp);
		size_t got = first_fit(bufs, n);
		if (k == 0 || got < top) {
			top = got;
			for (int i = 0; i < n; i++)
				best[i] = stable[i]->off;
		}
	}
	for (int i = 0; i < n; i++)
		stable[i]->off = best[i];
	Program *p = prog == 0 ? &ir->encode : &ir->step;
	for (int op = 0; op < p->nops; op++) {
		size_t live = 0;
		for (int i = 0; i < n; i++)
			if (stable[i]->first <= op && op <= stable[i]->last)
				live += size_of(stable[i]);
		if (live > *lower)
			*lower = live;
	}
	/* the plan must be sound whatever order won: check it, it is cheap */
	for (int i = 0; i < n; i++) {
		if (stable[i]->off + size_of(stable[i]) > top)
			die("plan: %s lies outside the arena", stable[i]->name);
		for (int j = i + 1; j < n; j++)
			if (overlap_time(stable[i], stable[j]) &&
			    stable[i]->off < stable[j]->off + size_of(stable[j]) &&
			    stable[j]->off < stable[i]->off + size_of(stable[i]))
				die("plan: %s and %s are live together and overlap", stable[i]->name, stable[j]->name);
	}
	free(best);
	free(bufs);
	free(stable);
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
	size_t lower = 0;
	size_t a = place(ir, 0, &lower);
	size_t b = place(ir, 1, &lower);
	ir->arena_floats = a > b ? a : b;
	ir->arena_lower_bound = lower;
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
