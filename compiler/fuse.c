/* fuse.c — rewrites that move work from run time to compile time.
 *
 * Requires: the IR from lower_model; weights that a pass rewrites are
 * private to their op (lower.c binds them with weight_own). Guarantees:
 * the same numbers as before, within fp32 rounding. Each rewrite can be
 * switched off (FuseOpts) so its effect can be measured. */
#include <math.h>
#include <string.h>
#include "ltcc.h"

/* q = (x Wq^T + bq) * s  ==  x (s Wq)^T + s bq */
static void fold_q_scale(Op *o)
{
	Tensor *W = o->in[1], *b = o->in[2];
	size_t n = (size_t)W->rows * (size_t)W->cols;
	for (size_t i = 0; i < n; i++)
		W->data[i] *= o->scale;
	for (int i = 0; i < b->rows; i++)
		b->data[i] *= o->scale;
	W->note = arena_printf("scaled by %.9g (q-scaling folded)", o->scale);
	b->note = W->note;
	o->scale = 1.0f;
}

/* A lightweight conv's kernel is static: softmax it over K once, here.
 * Same arithmetic as the run-time kernel: max-subtracted exp, then divide. */
static void fold_light_softmax(Op *o)
{
	Tensor *w = o->in[1];
	for (int h = 0; h < w->rows; h++) {
		float *r = w->data + (size_t)h * (size_t)w->cols, mx = r[0], sum = 0.0f;
		for (int k = 1; k < w->cols; k++)
			mx = r[k] > mx ? r[k] : mx;
		for (int k = 0; k < w->cols; k++)
			sum += (r[k] = expf(r[k] - mx));
		for (int k = 0; k < w->cols; k++)
			r[k] /= sum;
	}
	w->note = "softmax over K folded at compile time";
	o->weight_softmax = false;
}

/* A scratch of `rows` rows shaped like `like`, for ops that work one row
 * or a pair of rows at a time. */
static Tensor *row_scratch(IR *ir, const Tensor *like, int rows, const char *suffix)
{
	Tensor *t = arena_alloc(sizeof *t);
	*t = *like;
	t->name = arena_printf("%s_%s", like->name, suffix);
	t->rows = rows;
	t->first = t->last = -1;
	ir_add_tensor(ir, t);
	return t;
}

static Tensor *pair_scratch(IR *ir, const Tensor *like) { return row_scratch(ir, like, 2, "pair"); }

static void drop_op(Program *p, int i)
{
	memmove(&p->ops[i], &p->ops[i + 1], sizeof(Op *) * (size_t)(p->nops - i - 1));
	p->nops--;
}

static Tensor *root_of(Tensor *t) { return t && t->base ? t->base : t; }

/* ---- use lists ----
 * Who reads and who writes each buffer (views count for the buffer they
 * live in), as op indices in program order, and how many views a buffer
 * has. The passes ask these lists "one producer, no other reader?"
 * instead of rescanning the program; a pass rebuilds them after each
 * rewrite it makes, since ops move. */
typedef struct Use {
	int *rd, nrd, *wr, nwr;
	int views;
} Use;

typedef struct Uses { Use *u; } Uses;

static void add_index(int **v, int *n, int i)
{
	if (*n && (*v)[*n - 1] == i)
		return;                 /* an op reading a buffer twice counts once */
	int *g = arena_alloc(sizeof(int) * (size_t)(*n + 1));
	if (*n)
		memcpy(g, *v, sizeof(int) * (size_t)*n);
	g[(*n)++] = i;
	*v = g;
}

static Uses uses_of(const IR *ir, const Program *p)
{
	Uses U = { arena_alloc(sizeof(Use) * (size_t)(ir->ntensors + 1)) };
	for (int i = 0; i < ir->ntensors; i++)
		if (ir->tensors[i]->base)
			U.u[ir->tensors[i]->base->id].views++;
	for (int j = 0; j < p->nops; j++) {
		const Op *o = p->ops[j];
		for (int k = 0; k < OP_MAX_IN; k++)
			if (o->in[k]) {
				Use *u = &U.u[root_of(o->in[k])->id];
				add_index(&u->rd, &u->nrd, j);
			}
		if (o->out) {
			Use *u = &U.u[root_of(o->out)->id];
			add_index(&u->wr, &u->nwr, j);
		}
	}
	return U;
}

static const Use *use(const Uses *U, Tensor *t) { return &U->u[root_of(t)->id]; }

/* Whether one of the indices lies in [a, b]. */
static bool any_in(const int *v, int n, int a, int b)
{
	for (int i = 0; i < n; i++)
		if (v[i] >= a && v[i] <= b)
			return true;
	return false;
}

/* The only index in the list is i (or the list is empty). */
static bool none_but(const int *v, int n, int i) { return n == 0 || (n == 1 && v[0] == i); }

/* Split: COPY of a column slice into a buffer of its own, which only
 * reads follow, while the slice's buffer is not written: the readers read
 * the slice in place. */
static bool drop_split_copy(const Uses *U, Program *p, int i)
{
	Op *c = p->ops[i];
	Tensor *d = c->out, *src = c->in[0];
	const Use *ud = use(U, d), *us = use(U, src);
	if (d->base || ud->views || !none_but(ud->wr, ud->nwr, i))
		return false;
	int last = ud->nrd ? ud->rd[ud->nrd - 1] : i;
	if (last < i || any_in(us->wr, us->nwr, i + 1, last))
		return false;
	for (int j = i + 1; j <= last; j++)
		for (int k = 0; k < OP_MAX_IN; k++)
			if (p->ops[j]->in[k] == d)
				p->ops[j]->in[k] = src;
	drop_op(p, i);
	return true;
}

/* Concat: COPY (or ADD) of a buffer that one linear wrote and nothing
 * else reads into a column slice: the linear writes (or adds into) the
 * slice itself, provided nothing touches the slice's buffer in between. */
static bool drop_concat_copy(const Uses *U, Program *p, int i)
{
	Op *c = p->ops[i];
	Tensor *s = c->in[0];
	const Use *us = use(U, s), *ud = use(U, c->out);
	if (s->base || us->views || !none_but(us->rd, us->nrd, i) || us->nwr != 1 || us->wr[0] > i)
		return false;
	int prod = us->wr[0];
	Op *l = p->ops[prod];
	if (l->kind != OP_LINEAR || l->act != ACT_NONE || l->scale != 1.0f || l->out_at_pos)
		return false;
	if (any_in(ud->rd, ud->nrd, prod + 1, i - 1) || any_in(ud->wr, ud->nwr, prod + 1, i - 1))
		return false;
	l->out = c->out;
	l->kind = c->kind == OP_ADD ? OP_LINEAR_ACC : OP_LINEAR;
	drop_op(p, i);
	return true;
}

/* LSRA's channel split and concat cost nothing: each branch reads its
 * slice of the layer input and writes its slice of the output in place. */
static int fuse_zero_copy(IR *ir, Program *p)
{
	int n = 0;
	Uses U = uses_of(ir, p);
	for (int i = 0; i < p->nops; i++) {
		Op *o = p->ops[i];
		if (o->kind != OP_COPY && o->kind != OP_ADD)
			continue;
		bool gone = o->in[0]->base ? o->kind == OP_COPY && drop_split_copy(&U, p, i)
					   : drop_concat_copy(&U, p, i);
		if (gone) {
			U = uses_of(ir, p);
			n++;
			i--;
		}
	}
	return n;
}

/* Attention one query row at a time with a running maximum and sum (the
 * kernel's online softmax): the heads x rows x keys score map goes. */
static int fuse_stream_attn(Program *p)
{
	int n = 0;
	for (int i = 0; i < p->nops; i++)
		if (p->ops[i]->kind == OP_ATTN && p->ops[i]->in[3]) {
			p->ops[i]->in[3] = NULL;
			n++;
		}
	return n;
}

/* Dynamic conv: the LINEAR that made every row's taps g Ww^T, read only
 * by the conv, moves into the conv, which computes one row's taps at a
 * time into a (1, H*K) scratch: the (n, H*K) buffer goes. */
static int fuse_dyn_taps(IR *ir, Program *p)
{
	int n = 0;
	Uses U = uses_of(ir, p);
	for (int i = 0; i < p->nops; i++) {
		Op *c = p->ops[i];
		if (c->kind != OP_CONV_DYN || !c->taps_in)
			continue;
		Tensor *taps = c->in[3];
		const Use *ut = use(&U, taps), *ug = use(&U, c->in[0]);
		if (taps->base || ut->views || !none_but(ut->rd, ut->nrd, i) || ut->nwr != 1 || ut->wr[0] >= i)
			continue;
		int prod = ut->wr[0];
		Op *l = p->ops[prod];
		if (l->kind != OP_LINEAR || l->in[0] != c->in[0] || l->in[2] || l->act != ACT_NONE || l->scale != 1.0f)
			continue;
		if (any_in(ug->wr, ug->nwr, prod + 1, i - 1))  /* g must be unchanged until the conv */
			continue;
		c->in[1] = l->in[1];
		c->in[3] = row_scratch(ir, taps, 1, "row");
		c->taps_in = false;
		drop_op(p, prod);
		U = uses_of(ir, p);
		i--;
		n++;
	}
	return n;
}

/* linear1 (x -> u, 2w wide) followed by GLU (u -> g) becomes one op that
 * computes two rows of u at a time into a small scratch and gates them at
 * once: u, rows x 2w floats, is never stored. Ops stay in place; the GLU
 * becomes the fused op and the linear is dropped. */
static int fuse_linear_glu(IR *ir, Program *p)
{
	int n = 0;
	for (int i = 0; i + 1 < p->nops; i++) {
		Op *l = p->ops[i], *g = p->ops[i + 1];
		/* a decoder step has one row: its u is smaller than the pair scratch */
		if (l->kind != OP_LINEAR || g->kind != OP_GLU || g->in[0] != l->out || l->scale != 1.0f ||
		    l->act != ACT_NONE || l->rows != RW_N)
			continue;
		Tensor *tmp = pair_scratch(ir, l->out);
		g->kind = OP_LINEAR_GLU;
		g->in[0] = l->in[0];
		g->in[1] = l->in[1];
		g->in[2] = l->in[2];
		g->in[3] = tmp;
		drop_op(p, i);
		n++;
	}
	return n;
}

/* Post-norm: the producers of y (a layer's branch outputs, or fc2) write
 * into y, then x = LN(x + y). Instead they add straight into x's columns
 * (the same arithmetic, x + s), and the last one normalises each pair of
 * rows as soon as it has written them: y is never stored and the extra
 * pass over x is gone. Legal because each producer reads its inputs
 * before it writes, and the branches read and write disjoint columns. */
static int fuse_residual_ln(IR *ir, Program *p)
{
	int n = 0;
	Uses U = uses_of(ir, p);
	for (int i = 0; i < p->nops; i++) {
		Op *a = p->ops[i];
		if (a->kind != OP_ADD_LN || a->in[1]->base || a->in[0]->base)
			continue;
		Tensor *x = a->in[0], *y = a->in[1];
		const Use *uy = use(&U, y);
		if (!none_but(uy->rd, uy->nrd, i) || uy->nwr == 0)   /* someone else reads y */
			continue;
		bool ok = true;
		for (int w = 0; w < uy->nwr; w++) {
			const Op *o = p->ops[uy->wr[w]];
			if (o->kind != OP_LINEAR || uy->wr[w] > i || o->act != ACT_NONE || o->scale != 1.0f)
				ok = false;
		}
		if (!ok)
			continue;
		int last = uy->wr[uy->nwr - 1];
		for (int w = 0; w < uy->nwr; w++) {
			Op *o = p->ops[uy->wr[w]];
			Tensor *v = arena_alloc(sizeof *v);
			*v = *o->out;
			v->base = x;
			v->stride = x->stride;
			v->name = arena_printf("%s_c%d", x->name, v->col0);
			v->first = v->last = -1;
			ir_add_tensor(ir, v);
			o->out = v;
			o->kind = OP_LINEAR_ACC;
			if (uy->wr[w] == last) {
				o->kind = OP_LINEAR_ACC_LN;
				o->in[3] = a->in[2];
				o->in[4] = a->in[3];
			}
		}
		drop_op(p, i);
		U = uses_of(ir, p);
		i--;
		n++;
	}
	return n;
}

/* Pre-norm: xn = LN(x) read by exactly one linear (the FFN's fc1) becomes
 * one op that normalises two rows at a time into a small scratch and feeds
 * them to the matmul: the (n, D) copy xn is never stored. */
static int fuse_ln_linear(IR *ir, Program *p)
{
	int n = 0;
	Uses U = uses_of(ir, p);
	for (int i = 0; i + 1 < p->nops; i++) {
		Op *a = p->ops[i], *l = p->ops[i + 1];
		Tensor *xn = a->out;
		if (a->kind != OP_LN || xn == a->in[0] || xn->base || l->kind != OP_LINEAR || l->in[0] != xn ||
		    l->scale != 1.0f || l->rows != RW_N)
			continue;
		const Use *ux = use(&U, xn);
		if (!none_but(ux->rd, ux->nrd, i + 1))
			continue;
		Tensor *tmp = pair_scratch(ir, xn);
		l->kind = OP_LN_LINEAR;
		l->in[0] = a->in[0];
		l->in[3] = a->in[1];
		l->in[4] = a->in[2];
		l->in[5] = tmp;
		drop_op(p, i);
		U = uses_of(ir, p);
		n++;
	}
	return n;
}

static void fuse_one(IR *ir, Program *p, const FuseOpts *f)
{
	if (f->zero_copy)
		fuse_zero_copy(ir, p);
	if (f->stream_attn)
		fuse_stream_attn(p);
	if (f->dyn_taps_row)
		fuse_dyn_taps(ir, p);
	if (f->ln_linear)
		fuse_ln_linear(ir, p);
	if (f->residual_ln)
		fuse_residual_ln(ir, p);
	if (f->linear_glu)
		fuse_linear_glu(ir, p);
	for (int i = 0; i < p->nops; i++) {
		Op *o = p->ops[i];
		if (o->kind == OP_LINEAR && o->scale != 1.0f && f->fold_q_scale)
			fold_q_scale(o);
		if (o->kind == OP_CONV_LIGHT && o->weight_softmax && f->fold_light_softmax)
			fold_light_softmax(o);
	}
}

/* Every pass on: ltcc's default, and what ltcc search prices. */
const FuseOpts fuse_all = { .zero_copy = true, .stream_attn = true, .dyn_taps_row = true, .fold_q_scale = true,
			    .fold_light_softmax = true, .linear_glu = true, .residual_ln = true, .ln_linear = true };

void fuse_program(IR *ir, const FuseOpts *f)
{
	fuse_one(ir, &ir->encode, f);
	fuse_one(ir, &ir->step, f);
}
