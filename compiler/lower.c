/* lower.c — from the checked Model to the IR: two programs of primitive
 * ops, `encode` (whole source sequence at once) and `decode_step` (one
 * target token, with persistent K/V caches and conv histories).
 *
 * Requires: a Model from check_model and its WeightFile. Guarantees: every
 * parameter is bound to a weight tensor of the right shape (errors name the
 * tensor and the .ltd statement that needs it) and every activation has a
 * shape.
 *
 * The lowering is the plain one, what a framework would run: each branch
 * copies its channel slice out and its result back (split and concat),
 * attention stores its score map, dynamic conv stores every row's taps.
 * fuse.c removes each of these, one pass apiece, so that each can be
 * switched off and measured. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ltcc.h"

const char *const op_name[OP_COUNT] = {
#define X(name, doc) #name,
	OP_TABLE(X)
#undef X
};
const char *const op_doc[OP_COUNT] = {
#define X(name, doc) doc,
	OP_TABLE(X)
#undef X
};

typedef struct Lower {
	IR *ir;
	WeightFile *wf;
	Program *prog;
	const char *block;   /* current block name for new ops */
	const char *what;
	Loc loc;
	bool failed;
} Lower;

/* ---- tensors ---- */

static Tensor *add_tensor(Lower *L, TensorKind kind, const char *name, int rows, int cols)
{
	IR *ir = L->ir;
	Tensor *t = arena_alloc(sizeof *t);
	t->kind = kind;
	t->name = name;
	t->rows = rows;
	t->cols = cols;
	t->stride = cols;
	t->loc = L->loc;
	t->first = t->last = -1;
	ir_add_tensor(ir, t);
	return t;
}

void ir_add_tensor(IR *ir, Tensor *t)
{
	t->id = ir->ntensors;
	ARENA_PUSH(ir->tensors, ir->ntensors, ir->cap, t);
}

static Tensor *act(Lower *L, const char *name, int rows, int cols)
{
	return add_tensor(L, T_ACT, name, rows, cols);
}

static Tensor *state(Lower *L, const char *name, int rows, int cols)
{
	return add_tensor(L, T_STATE, name, rows, cols);
}

/* Columns [c0, c0+cols) of `base`, sharing its storage. */
static Tensor *view(Lower *L, Tensor *base, int c0, int cols)
{
	if (c0 == 0 && cols == base->cols)
		return base;
	Tensor *t = add_tensor(L, base->kind, arena_printf("%s_c%d", base->name, c0), base->rows, cols);
	t->base = base;
	t->col0 = c0;
	t->stride = base->stride;
	return t;
}

static const char *shape_str(const int64_t *s, int nd)
{
	char buf[128] = "(";
	for (int i = 0; i < nd; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%lld", i ? ", " : "", (long long)s[i]);
	strcat(buf, nd == 1 ? ",)" : ")");
	return arena_strdup(buf);
}

static bool weight_id_taken(const IR *ir, const char *id)
{
	for (int i = 0; i < ir->ntensors; i++)
		if (ir->tensors[i]->kind == T_WEIGHT && ir->tensors[i]->name && !strcmp(ir->tensors[i]->name, id))
			return true;
	return false;
}

/* A short C identifier for a fairseq tensor name:
 * encoder.layers.0.self_attn.branches.1.linear1.weight -> w_enc0_b1_linear1_w.
 * The full name stays in the comment above the array. */
static const char *weight_id(const IR *ir, const char *name)
{
	static const char *const rw[][2] = {
		{ "encoder.layers.", "enc" }, { "decoder.layers.", "dec" },
		{ "self_attn.branches.", "b" }, { "self_attn_layer_norm.", "attn_norm_" },
		{ "encoder_attn_layer_norm.", "cross_norm_" }, { "final_layer_norm.", "ffn_norm_" },
		{ "encoder_attn.", "cross_" }, { "self_attn.", "attn_" }, { "_proj.", "_" },
		{ "weight_linear.", "taps_" }, { "embed_tokens.", "embed_" }, { "layer_norm.", "final_norm_" },
		{ "encoder.", "enc_" }, { "decoder.", "dec_" },
	};
	char buf[512] = "w_";
	const char *p = name;
	while (*p && strlen(buf) < sizeof buf - 40) {
		size_t k = 0;
		for (; k < sizeof rw / sizeof rw[0]; k++)
			if (!strncmp(p, rw[k][0], strlen(rw[k][0])))
				break;
		if (k < sizeof rw / sizeof rw[0]) {
			strcat(buf, rw[k][1]);
			p += strlen(rw[k][0]);
			/* a layer or branch index is followed by '.', which becomes '_' */
		} else {
			size_t n = strlen(buf);
			buf[n] = !strcmp(p, "weight") ? 'w' : !strcmp(p, "bias") ? 'b' : *p;
			buf[n + 1] = 0;
			if (!strcmp(p, "weight") || !strcmp(p, "bias"))
				break;
			p++;
		}
	}
	for (char *q = buf; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
			*q = '_';
	/* unusual prefixes can map two names to one identifier: number them */
	const char *id = arena_strdup(buf);
	for (int k = 2; weight_id_taken(ir, id); k++)
		id = arena_printf("%s_%d", buf, k);
	return id;
}

static Tensor *bind_rows(Lower *L, const char *name, int d0, int d1, bool alt, int r0, int r1);

/* Bind the weight tensor `name` with shape (d0, d1), or (d0,) when d1 = 0.
 * `alt` also accepts (d0, 1, d1): a lightweight conv's (H,1,K). */
static Tensor *weight3(Lower *L, const char *name, int d0, int d1, bool alt)
{
	for (int i = 0; i < L->ir->ntensors; i++) {
		Tensor *t = L->ir->tensors[i];
		if (t->kind == T_WEIGHT && !strcmp(t->src, name) && !t->note)
			return t;
	}
	return bind_rows(L, name, d0, d1, alt, 0, d0);
}

/* Rows [r0, r1) of the weight `name`, checked whole as weight3 does; d0 < 0
 * takes any number of rows from r1 up (a position table is as long as its
 * training allowed). A part gets its own identifier and a note. */
static Tensor *bind_rows(Lower *L, const char *name, int d0, int d1, bool alt, int r0, int r1)
{
	WTensor *w = wf_find(L->wf, name);
	int64_t want[3] = { d0, d1 };
	int nd = d1 ? 2 : 1;
	if (!w && L->wf->synth)
		w = wf_synth(L->wf, name, d0 < 0 ? r1 : d0, d1);
	if (!w) {
		diag_error(L->loc, "missing tensor '%s' (shape %s) in %s", name, shape_str(want, nd), L->wf->path);
		L->failed = true;
		return NULL;
	}
	w->used = true;
	bool ok = w->ndim == nd && (d0 < 0 ? w->shape[0] >= r1 : w->shape[0] == d0) && (nd == 1 || w->shape[1] == d1);
	if (!ok && alt)
		ok = w->ndim == 3 && w->shape[0] == d0 && w->shape[1] == 1 && w->shape[2] == d1;
	if (!ok) {
		if (d0 < 0)  /* a position table */
			diag_error(L->loc, "tensor '%s' has shape %s; positions %d to %d need at least %d rows of %d",
				   name, shape_str(w->shape, w->ndim), r0, r1 - 1, r1, d1);
		else
			diag_error(L->loc, "tensor '%s' has shape %s, expected %s", name,
				   shape_str(w->shape, w->ndim), shape_str(want, nd));
		L->failed = true;
		return NULL;
	}
	for (int64_t i = 0; i < w->numel; i++)
		if (!isfinite(w->data[i])) {
			diag_error(L->loc, "tensor '%s' holds a non-finite value at index %lld", name, (long long)i);
			L->failed = true;
			return NULL;
		}
	int cols = d1 ? d1 : 1;
	bool part = r0 > 0 || r1 < w->shape[0];
	Tensor *t = add_tensor(L, T_WEIGHT, NULL, r1 - r0, cols);
	t->src = arena_strdup(name);
	size_t n = (size_t)(r1 - r0) * (size_t)cols;
	t->data = arena_alloc(sizeof(float) * (n ? n : 1));
	memcpy(t->data, w->data + (size_t)r0 * (size_t)cols, sizeof(float) * n);
	t->name = weight_id(L->ir, part ? arena_printf("%s_rows%d", name, r0) : name);
	if (part)
		t->note = arena_printf("its rows %d to %d", r0, r1 - 1);
	return t;
}

/* A tensor a fairseq state dict holds twice, under a tied module's name
 * too: accepted when it is the same, never stored twice. */
static void alias(Lower *L, const char *name, const Tensor *orig)
{
	WTensor *w = wf_find(L->wf, name);
	if (!w || !orig)
		return;
	w->used = true;
	if (w->numel != (int64_t)orig->rows * orig->cols || memcmp(w->data, orig->data, sizeof(float) * (size_t)w->numel)) {
		diag_error(L->loc, "tensor '%s' should be tied to '%s' but differs from it", name, orig->src);
		L->failed = true;
	}
}

static Tensor *weight(Lower *L, const char *name, int d0, int d1)
{
	return weight3(L, name, d0, d1, false);
}

/* A weight that a pass may rewrite: its own copy, never shared. */
static Tensor *weight_own(Lower *L, const char *name, int d0, int d1, bool alt)
{
	Tensor *t = weight3(L, name, d0, d1, alt);
	if (t)
		t->note = "";  /* marks it private: not returned to other binders */
	return t;
}

/* ---- ops ---- */

static Op *op(Lower *L, OpKind k, Rows rows, Tensor *out)
{
	Program *p = L->prog;
	Op *o = arena_alloc(sizeof *o);
	o->kind = k;
	o->rows = rows;
	o->out = out;
	o->block = L->block;
	o->what = L->what;
	o->loc = L->loc;
	ARENA_PUSH(p->ops, p->nops, p->cap, o);
	return o;
}

/* y = act(x W^T + b) * scale; or y += ... when acc. Binds PREFIX.weight/.bias. */
static Op *linear(Lower *L, Rows rows, Tensor *x, const char *pfx, int out_dim, Tensor *y, bool acc, bool own)
{
	Tensor *W = own ? weight_own(L, arena_printf("%sweight", pfx), out_dim, x->cols, false)
			: weight(L, arena_printf("%sweight", pfx), out_dim, x->cols);
	Tensor *b = own ? weight_own(L, arena_printf("%sbias", pfx), out_dim, 0, false)
			: weight(L, arena_printf("%sbias", pfx), out_dim, 0);
	Op *o = op(L, acc ? OP_LINEAR_ACC : OP_LINEAR, rows, y);
	o->in[0] = x;
	o->in[1] = W;
	o->in[2] = b;
	o->scale = 1.0f;
	return o;
}

/* y = x W^T with no bias: fairseq's project_in_dim / project_out_dim. */
static Op *linear_nb(Lower *L, Rows rows, Tensor *x, const char *wname, int out_dim, Tensor *y)
{
	Op *o = op(L, OP_LINEAR, rows, y);
	o->in[0] = x;
	o->in[1] = weight(L, wname, out_dim, x->cols);
	o->scale = 1.0f;
	return o;
}

static void set_block(Lower *L, const char *block, const char *what, Loc loc)
{
	L->block = block;
	L->what = what;
	L->loc = loc;
}

/* ---- attention: self (full or step) and cross ---- */

typedef enum { FULL, STEP } Mode;

/* Multi-head attention of width w on input `in`, output into `y`.
 * pfx names q_proj/k_proj/v_proj/out_proj. In STEP mode the keys and
 * values go to caches at row pos; cross attention reads precomputed ones. */
static void attention(Lower *L, Mode mode, const char *nm, Tensor *in, int w, int heads,
		      const char *pfx, Tensor *y, bool acc, Tensor *kc, Tensor *vc, Rows krows)
{
	const Model *m = L->ir->m;
	Rows rows = mode == FULL ? RW_N : RW_ONE;
	int r = mode == FULL ? m->max_source : 1;
	Tensor *q = act(L, arena_printf("%s_q", nm), r, w);
	Op *oq = linear(L, rows, in, arena_printf("%sq_proj.", pfx), w, q, false, true);
	oq->scale = 1.0f / sqrtf((float)(w / heads));   /* fairseq scales q after its bias */
	Tensor *k = kc, *v = vc;
	if (!kc) {  /* self attention: compute this step's (or all) keys and values */
		k = mode == FULL ? act(L, arena_printf("%s_k", nm), r, w) : state(L, arena_printf("%s_kcache", nm), m->max_target, w);
		v = mode == FULL ? act(L, arena_printf("%s_v", nm), r, w) : state(L, arena_printf("%s_vcache", nm), m->max_target, w);
		linear(L, rows, in, arena_printf("%sk_proj.", pfx), w, k, false, false)->out_at_pos = mode == STEP;
		linear(L, rows, in, arena_printf("%sv_proj.", pfx), w, v, false, false)->out_at_pos = mode == STEP;
		krows = mode == FULL ? RW_N : RW_POS1;
	}
	Tensor *a = act(L, arena_printf("%s_ctx", nm), r, w);
	Op *o = op(L, OP_ATTN, rows, a);
	o->in[0] = q;
	o->in[1] = k;
	o->in[2] = v;
	/* the score map, heads x rows x keys: the streaming pass drops it */
	o->in[3] = act(L, arena_printf("%s_scores", nm), heads * r, krows == RW_POS1 ? m->max_target : m->max_source);
	o->heads = heads;
	o->krows = krows;
	linear(L, rows, a, arena_printf("%sout_proj.", pfx), w, y, acc, false);
}

/* ---- the convolution branch ---- */

static void conv_branch(Lower *L, Mode mode, const char *nm, Tensor *in, const Branch *b,
			const char *pfx, Tensor *y, bool acc, bool weight_softmax)
{
	const Model *m = L->ir->m;
	Rows rows = mode == FULL ? RW_N : RW_ONE;
	int r = mode == FULL ? m->max_source : 1, w = b->width, H = b->heads, K = b->kernel;
	Tensor *u = act(L, arena_printf("%s_u", nm), r, b->glu ? 2 * w : w);
	linear(L, rows, in, arena_printf("%slinear1.", pfx), u->cols, u, false, false);
	Tensor *g = u;
	if (b->glu) {
		g = act(L, arena_printf("%s_g", nm), r, w);
		Op *o = op(L, OP_GLU, rows, g);
		o->in[0] = u;
	}
	Tensor *hist = mode == STEP && K > 1 ? state(L, arena_printf("%s_hist", nm), K - 1, w) : NULL;
	Tensor *o_ = act(L, arena_printf("%s_conv", nm), r, w);
	Op *c;
	if (b->kind == BR_LIGHT) {
		c = op(L, OP_CONV_LIGHT, rows, o_);
		c->in[1] = weight_own(L, arena_printf("%sweight", pfx), H, K, true);
		c->in[3] = act(L, arena_printf("%s_taps", nm), 1, H * K);  /* run-time softmax */
	} else {
		/* every row's taps, g Ww^T (no bias), into an (r, H*K) buffer */
		Tensor *taps = act(L, arena_printf("%s_taps", nm), r, H * K);
		Op *tl = op(L, OP_LINEAR, rows, taps);
		tl->in[0] = g;
		tl->in[1] = weight(L, arena_printf("%sweight_linear.weight", pfx), H * K, w);
		tl->scale = 1.0f;
		c = op(L, OP_CONV_DYN, rows, o_);
		c->in[3] = taps;
		c->taps_in = true;
	}
	c->in[0] = g;
	c->in[2] = hist;
	c->heads = H;
	c->kernel = K;
	/* the encoder centres the kernel, an even one a step to the left of
	 * centre as fairseq pads it ((K-1)/2 before, K/2 after); the decoder
	 * is causal */
	c->pad = mode == FULL ? (K - 1) / 2 : K - 1;
	c->step = mode == STEP;
	c->weight_softmax = weight_softmax;
	if (hist) {
		Op *h = op(L, OP_CONV_HIST, RW_ONE, hist);
		h->in[0] = g;
		h->kernel = K;
	}
	linear(L, rows, o_, arena_printf("%slinear2.", pfx), w, y, acc, false);
}

/* ---- norms and residuals ---- */

static void add_ln(Lower *L, Rows rows, Tensor *x, Tensor *y, const char *pfx)
{
	int D = x->cols;
	Op *o = op(L, OP_ADD_LN, rows, x);
	o->in[0] = x;
	o->in[1] = y;
	o->in[2] = weight(L, arena_printf("%sweight", pfx), D, 0);
	o->in[3] = weight(L, arena_printf("%sbias", pfx), D, 0);
}

static Tensor *ln(Lower *L, Rows rows, Tensor *x, const char *pfx, Tensor *out)
{
	int D = x->cols;
	Op *o = op(L, OP_LN, rows, out);
	o->in[0] = x;
	o->in[1] = weight(L, arena_printf("%sweight", pfx), D, 0);
	o->in[2] = weight(L, arena_printf("%sbias", pfx), D, 0);
	return out;
}

/* ---- one layer ---- */

/* x <- layer(x). Post-norm: x = LN(x + SA(x)), ...; pre-norm: x = x + SA(LN(x)).
 * In pre-norm the branch outputs accumulate straight into x's slices. */
static void layer(Lower *L, Mode mode, const Stack *s, int li, Tensor *x, bool is_dec)
{
	const Model *m = L->ir->m;
	const Layer *ly = &s->layers[li];
	Rows rows = mode == FULL ? RW_N : RW_ONE;
	int r = mode == FULL ? m->max_source : 1, D = m->dim;
	const char *ln_ = is_dec ? "dec" : "enc";
	const char *lp = ly->prefix;
	bool pre = s->pre_norm;

	Tensor *in = x, *y = x;
	if (pre) {
		set_block(L, arena_printf("%s%d_norm1", ln_, li), "pre-norm of the self-attention block", ly->loc);
		in = ln(L, rows, x, arena_printf("%sself_attn_layer_norm.", lp), act(L, arena_printf("%s%d_xn", ln_, li), r, D));
	} else {
		y = act(L, arena_printf("%s%d_y", ln_, li), r, D);
	}
	for (int b = 0; b < ly->nbranch; b++) {
		const Branch *br = &ly->br[b];
		const char *nm = arena_printf("%s%d_b%d", ln_, li, b);
		const char *pfx = arena_printf("%s%s", lp, br->prefix);
		Tensor *bin = view(L, in, br->c0, br->width);
		Tensor *bout = view(L, y, br->c0, br->width);
		Tensor *slice = bout;
		bool split = bin != in;   /* a plain layer has one branch over all D */
		if (br->kind == BR_ATTN)
			set_block(L, arena_printf("%s%d_attn%d", ln_, li, b),
				  arena_printf("%s attention, %d heads, channels [%d, %d)", ly->plain ? "self" : "branch",
					       br->heads, br->c0, br->c0 + br->width), br->loc);
		else
			set_block(L, arena_printf("%s%d_conv%d", ln_, li, b),
				  arena_printf("%s conv K=%d%s, %d heads, channels [%d, %d)",
					       br->kind == BR_DYN ? "dynamic" : "lightweight", br->kernel,
					       br->glu ? " with GLU" : "", br->heads, br->c0, br->c0 + br->width), br->loc);
		if (split) {  /* the branch's own copy of its slice, and its own output */
			Tensor *src = bin;
			bin = act(L, arena_printf("%s_in", nm), r, br->width);
			op(L, OP_COPY, rows, bin)->in[0] = src;
			bout = act(L, arena_printf("%s_out", nm), r, br->width);
		}
		if (br->kind == BR_ATTN)
			attention(L, mode, nm, bin, br->width, br->heads, pfx, bout, pre && !split, NULL, NULL, RW_N);
		else
			conv_branch(L, mode, nm, bin, br, pfx, bout, pre && !split, s->weight_softmax);
		if (split)  /* the concat, or in pre-norm the residual add of this slice */
			op(L, pre ? OP_ADD : OP_COPY, rows, slice)->in[0] = bout;
	}
	if (!pre) {
		set_block(L, arena_printf("%s%d_norm1", ln_, li), "residual and LayerNorm after self-attention", ly->loc);
		add_ln(L, rows, x, y, arena_printf("%sself_attn_layer_norm.", lp));
	}

	if (is_dec && !m->is_lm) {
		int li_ = li;
		set_block(L, arena_printf("dec%d_cross", li_),
			  arena_printf("encoder-decoder attention, %d heads", s->cross_heads), s->loc);
		Tensor *cin = x, *cy = x;
		if (pre)
			cin = ln(L, rows, x, arena_printf("%sencoder_attn_layer_norm.", lp), act(L, arena_printf("dec%d_xn2", li), r, D));
		else
			cy = act(L, arena_printf("dec%d_y2", li), r, D);
		Tensor *kc = NULL, *vc = NULL;
		for (int i = 0; i < L->ir->ntensors; i++) {
			Tensor *t = L->ir->tensors[i];
			if (t->kind == T_STATE && !strcmp(t->name, arena_printf("dec%d_cross_k", li)))
				kc = t;
			if (t->kind == T_STATE && !strcmp(t->name, arena_printf("dec%d_cross_v", li)))
				vc = t;
		}
		attention(L, mode, arena_printf("dec%d_cross", li), cin, D, s->cross_heads,
			  arena_printf("%sencoder_attn.", lp), cy, pre, kc, vc, RW_SRC);
		if (!pre)
			add_ln(L, rows, x, cy, arena_printf("%sencoder_attn_layer_norm.", lp));
	}

	set_block(L, arena_printf("%s%d_ffn", ln_, li), arena_printf("feed-forward %d -> %d -> %d", D, s->ffn, D), s->loc);
	Tensor *fin = pre ? ln(L, rows, x, arena_printf("%sfinal_layer_norm.", lp), act(L, arena_printf("%s%d_xn3", ln_, li), r, D)) : x;
	Tensor *h = act(L, arena_printf("%s%d_h", ln_, li), r, s->ffn);
	linear(L, rows, fin, arena_printf("%sfc1.", lp), s->ffn, h, false, false)->act = s->act;
	if (pre) {
		linear(L, rows, h, arena_printf("%sfc2.", lp), D, x, true, false);
	} else {
		Tensor *f = act(L, arena_printf("%s%d_f", ln_, li), r, D);
		linear(L, rows, h, arena_printf("%sfc2.", lp), D, f, false, false);
		add_ln(L, rows, x, f, arena_printf("%sfinal_layer_norm.", lp));
	}
}

/* ---- the ends: embeddings, positions, output ---- */

/* x += the stack's positions: sinusoids computed on the fly, or rows
 * pad+1.. of a learned table (fairseq's LearnedPositionalEmbedding), of
 * which only the max_len rows a sequence can reach are kept. */
static void positions(Lower *L, const Stack *s, Rows rows, Tensor *x, int max_len)
{
	const Model *m = L->ir->m;
	if (s->pos == POS_NONE)
		return;
	Tensor *table = NULL;
	L->loc = s->pos_loc;
	if (s->pos == POS_LEARNED)
		table = bind_rows(L, arena_printf("%sembed_positions.weight", s->prefix), -1, m->dim, false,
				  m->pad + 1, m->pad + 1 + max_len);
	else
		L->ir->sinusoids = true;
	if (L->failed)
		return;
	bool dec = rows == RW_ONE;
	set_block(L, dec ? "dec_positions" : "enc_positions", s->pos == POS_LEARNED ? "learned positions" :
		  "sinusoidal positions", s->loc);
	Op *o = op(L, OP_POS, rows, x);
	o->in[0] = table;
	o->in_at_pos = rows == RW_ONE;
	o->pos0 = m->pad + 1;
}

/* x = sqrt(D) * E[tok], through project_in_dim when E is narrower or wider
 * than D, then the positions. Sinusoids at width D go in the same pass. */
static void embed(Lower *L, const Stack *s, Rows rows, Tensor *E, Tensor *x, int max_len)
{
	const Model *m = L->ir->m;
	bool dec = rows == RW_ONE;
	Tensor *e = E->cols == m->dim ? x : act(L, dec ? "dec_e" : "enc_e", x->rows, E->cols);
	bool fused = s->pos == POS_SINUSOIDAL && e == x;
	Op *o = op(L, OP_EMBED, rows, e);
	o->in[0] = E;
	o->scale = sqrtf((float)m->dim);
	o->pos0 = fused ? m->pad + 1 : -1;
	if (fused) {
		L->ir->sinusoids = true;
		return;
	}
	if (e != x) {
		set_block(L, dec ? "dec_project_in" : "enc_project_in",
			  arena_printf("project_in_dim: %d -> %d, no bias", E->cols, m->dim), s->loc);
		linear_nb(L, rows, e, arena_printf("%sproject_in_dim.weight", s->prefix), m->dim, x);
	}
	positions(L, s, rows, x, max_len);
}

/* fairseq's AdaptiveInput: band b's embedding (rows, dim_b) and its
 * bias-free projection up to D. */
static AdaptiveIR *bind_adaptive_input(Lower *L)
{
	const Model *m = L->ir->m;
	const Adaptive *a = &m->ain;
	AdaptiveIR *ad = arena_alloc(sizeof *ad);
	ad->a = a;
	L->loc = a->loc;
	for (int b = 0; b < a->nband && !L->failed; b++) {
		const char *p = arena_printf("%sembed_tokens.embeddings.%d.", m->dec.prefix, b);
		ad->E[b] = weight(L, arena_printf("%s0.weight", p), a->cut[b] - (b ? a->cut[b - 1] : 0), a->dim[b]);
		ad->P[b] = weight(L, arena_printf("%s1.weight", p), m->dim, a->dim[b]);
	}
	return ad;
}

/* fairseq's AdaptiveSoftmax: the head (its words, then one logit per tail
 * cluster, from one matrix or, tied, from the input's band 0 and
 * class_proj), then per tail a projection down and its words' matrix,
 * tied to the input's band when the model ties them. */
static AdaptiveIR *bind_adaptive_softmax(Lower *L, const AdaptiveIR *in)
{
	const Model *m = L->ir->m;
	const Adaptive *a = &m->aout;
	const char *sp = arena_printf("%sadaptive_softmax.", m->dec.prefix);
	int O = m->dec.out_dim, nt = a->nband - 1, c0 = a->cut[0];
	AdaptiveIR *ad = arena_alloc(sizeof *ad);
	ad->a = a;
	ad->ptrans = a->tied_proj;
	L->loc = a->loc;
	if (a->tied) {
		ad->E[0] = in->E[0];
		alias(L, arena_printf("%shead.word_proj.weight", sp), in->E[0]);
		ad->P[0] = weight(L, arena_printf("%shead.class_proj.weight", sp), nt, O);
	} else {
		const char *h = arena_printf("%shead.weight", sp);
		ad->E[0] = bind_rows(L, h, c0 + nt, O, false, 0, c0);
		ad->P[0] = L->failed ? NULL : bind_rows(L, h, c0 + nt, O, false, c0, c0 + nt);
	}
	for (int b = 1; b < a->nband && !L->failed; b++) {
		const char *tp = arena_printf("%stail.%d.", sp, b - 1);
		int size = a->cut[b] - a->cut[b - 1];
		if (a->tied) {
			ad->E[b] = in->E[b];
			alias(L, arena_printf("%s2.weight", tp), in->E[b]);
		} else {
			ad->E[b] = weight(L, arena_printf("%s2.weight", tp), size, a->dim[b]);
		}
		if (a->tied_proj) {
			ad->P[b] = in->P[b];
			alias(L, arena_printf("%s0.weight", tp), in->P[b]);
		} else {
			ad->P[b] = weight(L, arena_printf("%s0.weight", tp), a->dim[b], O);
		}
	}
	return ad;
}

/* The decoder's output: project_out_dim when the output width differs
 * from D, then the logits (or an adaptive softmax's log-probabilities). */
static void output(Lower *L, Tensor *x)
{
	IR *ir = L->ir;
	const Model *m = ir->m;
	const Stack *s = &m->dec;
	if (s->out_dim != m->dim) {
		set_block(L, "dec_project_out", arena_printf("project_out_dim: %d -> %d, no bias", m->dim, s->out_dim), s->loc);
		Tensor *y = act(L, "dec_y", 1, s->out_dim);
		linear_nb(L, RW_ONE, x, arena_printf("%sproject_out_dim.weight", s->prefix), s->out_dim, y);
		x = y;
	}
	if (ir->aout) {
		const Adaptive *a = &m->aout;
		int hd = 1;
		for (int b = 1; b < a->nband; b++)
			hd = a->dim[b] > hd ? a->dim[b] : hd;
		set_block(L, "output", arena_printf("adaptive softmax: %d head words, %d tail clusters%s", a->cut[0],
						    a->nband - 1, a->tied ? " (tied to the adaptive input)" : ""), a->loc);
		Op *o = op(L, OP_ADAPTIVE_OUT, RW_ONE, NULL);
		o->in[0] = x;
		o->in[1] = ir->aout->h = act(L, "dec_tail_h", 1, hd);
		o->in[2] = ir->aout->cls = act(L, "dec_clusters", 1, a->nband - 1);
		o->ad = ir->aout;
		return;
	}
	set_block(L, "output", m->tied_output ? "logits = x E^T (tied)" : "logits = x W_out^T", m->loc);
	Op *o = op(L, OP_LOGITS, RW_ONE, NULL);
	o->in[0] = x;
	o->in[1] = ir->out_w;
}

/* ---- whole programs ---- */

static void lower_encoder(Lower *L)
{
	IR *ir = L->ir;
	const Model *m = ir->m;
	const Stack *s = &m->enc;
	L->prog = &ir->encode;
	set_block(L, "embed", "token embedding and positions", m->loc);
	Tensor *x = act(L, "enc_x", m->max_source, m->dim);
	embed(L, s, RW_N, ir->enc_embed, x, m->max_source);
	for (int i = 0; i < s->nlayers && !L->failed; i++)
		layer(L, FULL, s, i, x, false);
	if (s->final_norm) {
		set_block(L, "enc_final_norm", "final LayerNorm of the encoder", s->loc);
		ln(L, RW_N, x, arena_printf("%slayer_norm.", s->prefix), x);
	}
	ir->enc_out = x;
	/* Every decoder layer's cross-attention keys and values, once per source. */
	for (int i = 0; i < m->dec.nlayers && !L->failed; i++) {
		const char *lp = m->dec.layers[i].prefix;
		set_block(L, arena_printf("dec%d_cross_kv", i), "encoder-decoder keys and values, once per source", m->dec.loc);
		Tensor *kc = state(L, arena_printf("dec%d_cross_k", i), m->max_source, m->dim);
		Tensor *vc = state(L, arena_printf("dec%d_cross_v", i), m->max_source, m->dim);
		linear(L, RW_N, x, arena_printf("%sencoder_attn.k_proj.", lp), m->dim, kc, false, false);
		linear(L, RW_N, x, arena_printf("%sencoder_attn.v_proj.", lp), m->dim, vc, false, false);
	}
}

static void lower_decoder(Lower *L)
{
	IR *ir = L->ir;
	const Model *m = ir->m;
	const Stack *s = &m->dec;
	L->prog = &ir->step;
	set_block(L, "embed", "token embedding and position", m->loc);
	Tensor *x = act(L, "dec_x", 1, m->dim);
	if (ir->ain) {
		Op *e = op(L, OP_EMBED_ADAPTIVE, RW_ONE, x);
		e->ad = ir->ain;
		e->scale = sqrtf((float)m->dim);
		positions(L, s, RW_ONE, x, m->max_target);
	} else {
		embed(L, s, RW_ONE, ir->dec_embed, x, m->max_target);
	}
	for (int i = 0; i < s->nlayers && !L->failed; i++)
		layer(L, STEP, s, i, x, true);
	if (s->final_norm) {
		set_block(L, "dec_final_norm", "final LayerNorm of the decoder", s->loc);
		ln(L, RW_ONE, x, arena_printf("%slayer_norm.", s->prefix), x);
	}
	output(L, x);
}

static int add_weight(const Tensor *w[OP_MAX_W], int n, const Tensor *t)
{
	if (!t || t->kind != T_WEIGHT)
		return n;
	for (int i = 0; i < n; i++)
		if (w[i] == t)
			return n;
	w[n] = t;
	return n + 1;
}

int op_weights(const Op *o, const Tensor *w[OP_MAX_W])
{
	int n = 0;
	for (int k = 0; k < OP_MAX_IN; k++)
		n = add_weight(w, n, o->in[k]);
	for (int b = 0; o->ad && b < o->ad->a->nband; b++) {
		n = add_weight(w, n, o->ad->E[b]);
		n = add_weight(w, n, o->ad->P[b]);
	}
	return n;
}

IR *lower_model(const Model *m, WeightFile *wf)
{
	IR *ir = arena_alloc(sizeof *ir);
	Lower L = { .ir = ir, .wf = wf };
	ir->m = m;
	ir->encode.name = "encode";
	ir->step.name = "decode_step";
	L.loc = m->loc;
	const char *dp = m->dec.prefix;
	if (!m->is_lm)
		ir->enc_embed = weight(&L, arena_printf("%sembed_tokens.weight", m->enc.prefix), m->src_vocab, m->dim);
	if (m->shared_embed) {
		ir->dec_embed = ir->enc_embed;
		/* fairseq saves the shared matrix under both names: accept the copy */
		WTensor *alias = wf_find(wf, arena_printf("%sembed_tokens.weight", dp));
		if (alias)
			alias->used = true;
	} else if (m->ain.on) {
		ir->ain = bind_adaptive_input(&L);
	} else {
		ir->dec_embed = weight(&L, arena_printf("%sembed_tokens.weight", dp), m->tgt_vocab, m->dec.in_dim);
	}
	if (m->aout.on && !L.failed)
		ir->aout = bind_adaptive_softmax(&L, ir->ain);
	else if (!m->aout.on)
		ir->out_w = m->tied_output ? ir->dec_embed
					   : weight(&L, arena_printf("%sembed_out", dp), m->tgt_vocab, m->dec.out_dim);
	if (L.failed)
		return NULL;
	if (!m->is_lm)
		lower_encoder(&L);
	lower_decoder(&L);
	if (L.failed)
		return NULL;
	for (int i = 0; i < wf->n; i++) {
		const char *n = wf->t[i].name;
		size_t len = strlen(n);
		/* fairseq bookkeeping entries carry no parameters */
		bool bookkeeping = (len >= 8 && !strcmp(n + len - 8, ".version")) || strstr(n, "_float_tensor");
		if (!wf->t[i].used && !bookkeeping)
			diag_warning((Loc){ m->loc.file, 0, 0 }, "tensor '%s' in %s is not used by the model", n, wf->path);
	}
	for (int i = 0; i < ir->ntensors; i++) {
		Tensor *t = ir->tensors[i];
		size_t sz = (size_t)t->rows * (size_t)t->cols;
		if (t->kind == T_WEIGHT)
			ir->weight_bytes += sizeof(float) * sz;
		/* the naive plan, for comparison: every activation of the unfused
		 * program in its own buffer */
		if (t->kind == T_ACT && !t->base)
			ir->arena_naive += sz;
	}
	return ir;
}
