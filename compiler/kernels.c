/* kernels.c — which kernel calls compute each op, with their arguments.
 *
 * The one place that maps the IR onto templates/: emit.c prints these
 * calls and pulls in the kernels they name, report.c sums their
 * multiply-adds (KERNEL_TABLE in ltcc.h). An argument is its C text and,
 * for sizes, its value, so both read the same call. */
#include <string.h>
#include "ltcc.h"

const char *const kern_name[K_COUNT] = {
#define X(id, params, macs, work) "k_" #id,
	KERNEL_TABLE(X)
#undef X
};

const char *const kern_params[K_COUNT] = {
#define X(id, params, macs, work) params,
	KERNEL_TABLE(X)
#undef X
};

/* ---- arguments ---- */

const char *kern_rows(Rows r)
{
	switch (r) {
	case RW_ONE: return "1";
	case RW_N: return "n";
	case RW_POS1: return "st_pos + 1";
	case RW_SRC: return "st_src_n";
	}
	die("bad rows");
}

/* Rows at length T: a decoder step is one row, at position T - 1. */
static double rows_at(Rows r, int T) { return r == RW_ONE ? 1 : T; }

const char *kern_ref(const Tensor *t, bool at_pos)
{
	if (!t)
		return "0";
	const char *s = t->kind == T_WEIGHT ? t->name
		      : t->base ? arena_printf("(%s + %d)", t->base->name, t->col0) : t->name;
	if (at_pos)
		s = arena_printf("(%s + (long)st_pos * %d)", s, t->stride);
	return s;
}

static KArg I(int v) { return (KArg){ .c = arena_printf("%d", v), .v = v }; }
static KArg S(const char *c) { return (KArg){ .c = c }; }
static KArg T_(const Tensor *t) { KArg a = S(kern_ref(t, false)); a.t = t; return a; }
static KArg TS(const Tensor *t, const char *c) { KArg a = S(c); a.t = t; return a; }  /* text into t */
static KArg F(float v) { return S(emit_float_text(v)); }
static KArg R(Rows r, int T) { return (KArg){ .c = kern_rows(r), .v = rows_at(r, T) }; }

/* A weight matrix a kernel multiplies by: quantized (--quantize w8 or
 * int8), it becomes two arguments, int8 rows and their scales, and the call
 * goes to the kernel's _w8 variant, or its _i8 variant when the input rows
 * are quantized too (that one's last argument is the scratch qx). */
static KArg MAT(const Tensor *t) { KArg a = T_(t); a.w = t; return a; }

/* A packed matrix (pack.c): the kernel's _pk variant, which reads panels. */
static Kernel pk_variant(Kernel k)
{
	switch (k) {
	case K_linear: return K_linear_pk;
	case K_linear_ln: return K_linear_ln_pk;
	case K_ln_linear: return K_ln_linear_pk;
	case K_linear_glu: return K_linear_glu_pk;
	default: die("%s has no packed-matrix variant", kern_name[k]);
	}
}

static Kernel quant_variant(Kernel k, bool act8)
{
	switch (k) {
	case K_linear: return act8 ? K_linear_i8 : K_linear_w8;
	case K_linear_ln: return act8 ? K_linear_ln_i8 : K_linear_ln_w8;
	case K_ln_linear: return act8 ? K_ln_linear_i8 : K_ln_linear_w8;
	case K_linear_glu: return act8 ? K_linear_glu_i8 : K_linear_glu_w8;
	case K_conv_dyn: return act8 ? K_conv_dyn_i8 : K_conv_dyn_w8;
	case K_embed: return K_embed_w8;  /* a lookup: no input rows to quantize */
	default: die("%s has no int8-weight variant", kern_name[k]);
	}
}

/* A codebook matrix (compress.c): three arguments, its stream, codebook
 * and format, and the call goes to the kernel's _cz variant. */
static Kernel cz_variant(Kernel k)
{
	switch (k) {
	case K_linear: return K_linear_cz;
	case K_linear_ln: return K_linear_ln_cz;
	case K_ln_linear: return K_ln_linear_cz;
	case K_linear_glu: return K_linear_glu_cz;
	case K_conv_dyn: return K_conv_dyn_cz;
	case K_embed: return K_embed_cz;
	default: die("%s has no codebook-matrix variant", kern_name[k]);
	}
}

static bool ends_with_qx(Kernel k)
{
	size_t n = strlen(kern_params[k]);
	return n > 3 && !strcmp(kern_params[k] + n - 3, " qx");
}

/* Append a call; the argument count must be the table's. */
#define CALL(id, ...) push(out, &n, K_##id, (KArg[]){ __VA_ARGS__ }, \
			   (int)(sizeof((KArg[]){ __VA_ARGS__ }) / sizeof(KArg)))

static int arity(Kernel k)
{
	int n = 1;
	for (const char *p = kern_params[k]; *p; p++)
		n += *p == ' ';
	return n;
}

static void push(KCall *out, int *n, Kernel k, const KArg *a, int nargs)
{
	if (nargs != arity(k) || *n == KERN_MAX_CALLS)
		die("%s called with %d arguments, its table entry has %d", kern_name[k], nargs, arity(k));
	KCall *c = &out[(*n)++];
	c->k = k;
	c->nargs = 0;
	for (int i = 0; i < nargs; i++) {
		if (a[i].w && a[i].w->cz) {
			c->k = cz_variant(k);
			c->a[c->nargs++] = S(a[i].w->name);
			c->a[c->nargs++] = S(arena_printf("%s_cb", a[i].w->name));
			c->a[c->nargs++] = I(a[i].w->cz_fmt);
		} else if (a[i].w && a[i].w->pk) {
			c->k = pk_variant(k);
			c->a[c->nargs++] = a[i];
		} else if (a[i].w && a[i].w->q) {
			c->k = quant_variant(k, a[i].w->act8);
			c->a[c->nargs++] = S(a[i].w->name);
			c->a[c->nargs++] = S(arena_printf("%s_s", a[i].w->name));
		} else {
			c->a[c->nargs++] = a[i];
		}
	}
	if (c->k != k && ends_with_qx(c->k) && c->nargs < KERN_MAX_ARGS)
		c->a[c->nargs++] = S("qx");
	if (c->nargs != arity(c->k))
		die("%s: %d arguments, its table entry has %d", kern_name[c->k], c->nargs, arity(c->k));
}

static int act_code(Act a) { return a == ACT_RELU ? 1 : a == ACT_GELU ? 2 : 0; }

/* ---- ops ---- */

/* A decoder step's conv: its taps (static, or from this step's g), then
 * the weighted sum over the history. */
static int conv_step_calls(const Op *o, KCall *out)
{
	int n = 0, w = o->out->cols, hk = o->heads * o->kernel;
	const Tensor *x = o->in[0];
	bool dyn = o->kind == OP_CONV_DYN;
	KArg taps = T_(o->in[1]);
	if (dyn || o->weight_softmax) {
		taps = T_(o->in[3]);
		if (dyn && !o->taps_in)  /* else an earlier LINEAR wrote them */
			CALL(linear, I(1), I(w), I(hk), T_(x), I(x->stride), MAT(o->in[1]), S("0"), taps, I(hk),
			     F(1.0f), I(0), I(0));
		else if (!dyn)
			CALL(copy, I(1), I(hk), T_(o->in[1]), I(hk), taps, I(hk), I(0));
		if (o->weight_softmax)
			CALL(softmax_rows, I(o->heads), I(o->kernel), taps);
	}
	if (o->in[2])
		CALL(conv_step, I(w), I(o->heads), I(o->kernel), T_(x), T_(o->in[2]), taps, T_(o->out));
	else  /* K = 1: no history */
		CALL(conv_row, I(0), I(1), I(w), I(o->heads), I(1), I(0), T_(x), I(x->stride), taps, T_(o->out));
	return n;
}

static int conv_calls(const Op *o, int T, KCall *out)
{
	int n = 0, w = o->out->cols;
	const Tensor *x = o->in[0];
	if (o->step)
		return conv_step_calls(o, out);
	if (o->taps_in)
		CALL(conv_dyn_taps, R(o->rows, T), I(w), I(o->heads), I(o->kernel), I(o->pad), T_(x), I(x->stride),
		     T_(o->in[3]), T_(o->out), I(o->out->stride), I(o->weight_softmax));
	else if (o->kind == OP_CONV_DYN)
		CALL(conv_dyn, R(o->rows, T), I(w), I(o->heads), I(o->kernel), I(o->pad), T_(x), I(x->stride),
		     MAT(o->in[1]), T_(o->out), I(o->out->stride), T_(o->in[3]), I(o->weight_softmax));
	else
		CALL(conv_light, R(o->rows, T), I(w), I(o->heads), I(o->kernel), I(o->pad), T_(x), I(x->stride),
		     T_(o->in[1]), T_(o->out), I(o->out->stride), T_(o->in[3]), I(o->weight_softmax));
	return n;
}

static int attn_calls(const Op *o, int T, KCall *out)
{
	int n = 0;
	const Tensor *q = o->in[0], *k = o->in[1], *v = o->in[2];
	if (o->in[3])
		CALL(attention_map, R(o->rows, T), R(o->krows, T), I(o->heads), I(q->cols / o->heads), T_(q),
		     I(q->stride), T_(k), I(k->stride), T_(v), I(v->stride), T_(o->out), I(o->out->stride), T_(o->in[3]));
	else
		CALL(attention, R(o->rows, T), R(o->krows, T), I(o->heads), I(q->cols / o->heads), T_(q),
		     I(q->stride), T_(k), I(k->stride), T_(v), I(v->stride), T_(o->out), I(o->out->stride));
	return n;
}

/* The first token's position: pad + 1, a decoder step's st_pos on; "0"
 * for an embedding without positions (its omega is 0 too). */
static const char *first_pos(const Op *o)
{
	if (o->pos0 < 0)
		return "0";
	return arena_printf("%d%s", o->pos0, o->rows == RW_ONE ? " + st_pos" : "");
}

/* One call per band, each the whole embedding of a token of that band:
 * its row, projected up to D and scaled. The emitter picks one by the
 * token's band. */
static int embed_adaptive_calls(const Op *o, KCall *out)
{
	int n = 0;
	const Adaptive *a = o->ad->a;
	const Tensor *y = o->out;
	for (int b = 0; b < a->nband; b++) {
		const Tensor *E = o->ad->E[b];
		CALL(linear, I(1), I(a->dim[b]), I(y->cols),
		     TS(E, arena_printf("(%s + (long)(token - %d) * %d)", E->name, b ? a->cut[b - 1] : 0, a->dim[b])),
		     I(a->dim[b]), MAT(o->ad->P[b]), S("0"), T_(y), I(y->cols), F(o->scale), I(0), I(0));
	}
	return n;
}

/* The head: its words into logits, the cluster logits apart, one
 * log-softmax over both; then per tail three calls: the projection down,
 * the words' logits, their log-softmax plus the cluster's log-probability.
 * The emitter may skip a tail's three (greedy decoding). */
static int adaptive_out_calls(const Op *o, KCall *out)
{
	int n = 0;
	const AdaptiveIR *ad = o->ad;
	const Adaptive *a = ad->a;
	const Tensor *x = o->in[0], *h = ad->h, *cls = ad->cls;
	int O = x->cols, c0 = a->cut[0], nt = a->nband - 1;
	CALL(linear, I(1), I(O), I(c0), T_(x), I(x->stride), MAT(ad->E[0]), S("0"), S("logits"), I(c0), F(1.0f), I(0), I(0));
	CALL(linear, I(1), I(O), I(nt), T_(x), I(x->stride), MAT(ad->P[0]), S("0"), T_(cls), I(nt), F(1.0f), I(0), I(0));
	CALL(log_softmax2, I(c0), S("logits"), I(nt), T_(cls));
	for (int b = 1; b < a->nband; b++) {
		int lo = a->cut[b - 1], size = a->cut[b] - lo, d = a->dim[b];
		const char *part = arena_printf("(logits + %d)", lo);
		if (ad->ptrans)
			CALL(linear_t, I(1), I(O), I(d), T_(x), MAT(ad->P[b]), T_(h));
		else
			CALL(linear, I(1), I(O), I(d), T_(x), I(x->stride), MAT(ad->P[b]), S("0"), T_(h), I(d), F(1.0f), I(0), I(0));
		CALL(linear, I(1), I(d), I(size), T_(h), I(d), MAT(ad->E[b]), S("0"), S(part), I(size), F(1.0f), I(0), I(0));
		CALL(log_softmax_add, I(size), S(part), S(arena_printf("%s[%d]", kern_ref(cls, false), b - 1)));
	}
	return n;
}

int kern_calls(const Op *o, int T, KCall out[KERN_MAX_CALLS])
{
	int n = 0;
	const Tensor *x = o->in[0], *y = o->out;
	KArg rows = R(o->rows, T);
	switch (o->kind) {
	case OP_LINEAR:
	case OP_LINEAR_ACC:
		CALL(linear, rows, I(x->cols), I(y->cols), T_(x), I(x->stride), MAT(o->in[1]), T_(o->in[2]),
		     S(kern_ref(y, o->out_at_pos)), I(y->stride), F(o->scale), I(act_code(o->act)),
		     I(o->kind == OP_LINEAR_ACC));
		break;
	case OP_LOGITS:  /* into the caller's logits */
		CALL(linear, I(1), I(x->cols), I(o->in[1]->rows), T_(x), I(x->cols), MAT(o->in[1]), S("0"), S("logits"),
		     I(o->in[1]->rows), F(1.0f), I(0), I(0));
		break;
	case OP_LINEAR_ACC_LN: {
		const Tensor *r = y->base ? y->base : y;
		CALL(linear_ln, rows, I(x->cols), I(y->cols), T_(x), I(x->stride), MAT(o->in[1]), T_(o->in[2]),
		     S(r->name), I(r->stride), I(y->col0), I(r->cols), T_(o->in[3]), T_(o->in[4]));
		break;
	}
	case OP_LN_LINEAR:
		CALL(ln_linear, rows, I(x->cols), I(y->cols), T_(x), I(x->stride), MAT(o->in[1]), T_(o->in[2]),
		     T_(y), I(y->stride), I(act_code(o->act)), T_(o->in[3]), T_(o->in[4]), T_(o->in[5]));
		break;
	case OP_LINEAR_GLU:
		CALL(linear_glu, rows, I(x->cols), I(y->cols), T_(x), I(x->stride), MAT(o->in[1]), T_(o->in[2]),
		     T_(y), I(y->stride), T_(o->in[3]));
		break;
	case OP_GLU:
		CALL(glu, rows, I(y->cols), T_(x), I(x->stride), T_(y), I(y->stride));
		break;
	case OP_ATTN:
		return attn_calls(o, T, out);
	case OP_CONV_LIGHT:
	case OP_CONV_DYN:
		return conv_calls(o, T, out);
	case OP_CONV_HIST:
		CALL(conv_push, I(y->cols), I(o->kernel), T_(x), T_(y));
		break;
	case OP_COPY:
	case OP_ADD:
		CALL(copy, rows, I(x->cols), T_(x), I(x->stride), T_(y), I(y->stride), I(o->kind == OP_ADD));
		break;
	case OP_ADD_LN:
		CALL(add_layernorm, rows, I(x->cols), T_(x), I(x->stride), T_(o->in[1]), I(o->in[1]->stride),
		     T_(o->in[2]), T_(o->in[3]), I(1));
		break;
	case OP_LN:
		if (y == x)  /* in place: a final norm */
			CALL(add_layernorm, rows, I(x->cols), T_(x), I(x->stride), S("0"), I(0), T_(o->in[1]),
			     T_(o->in[2]), I(0));
		else
			CALL(layernorm, rows, I(x->cols), T_(x), I(x->stride), T_(y), I(y->stride), T_(o->in[1]),
			     T_(o->in[2]));
		break;
	case OP_EMBED:  /* a step embeds `token` at st_pos; positions start at pad + 1 */
		CALL(embed, rows, I(y->cols), S(o->rows == RW_ONE ? "&token" : "src"), S(first_pos(o)), MAT(x),
		     F(o->scale), S(o->pos0 < 0 ? "0" : "pos_omega"), T_(y));
		break;
	case OP_POS:
		if (x)  /* learned: the table's row 0 is the first position */
			CALL(copy, rows, I(y->cols), TS(x, kern_ref(x, o->in_at_pos)), I(x->stride), T_(y), I(y->stride), I(1));
		else
			CALL(posenc, rows, I(y->cols), S(first_pos(o)), S("pos_omega"), T_(y));
		break;
	case OP_EMBED_ADAPTIVE:
		return embed_adaptive_calls(o, out);
	case OP_ADAPTIVE_OUT:
		return adaptive_out_calls(o, out);
	case OP_COUNT:
		die("no kernel for op %d", o->kind);
	}
	return n;
}

/* ---- multiply-adds ---- */

double kern_arg(const KCall *c, const char *name)
{
	const char *p = kern_params[c->k];
	size_t len = strlen(name);
	for (int i = 0; *p; i++) {
		size_t w = strcspn(p, " ");
		if (w == len && !strncmp(p, name, len))
			return c->a[i].v;
		p += w + (p[w] == ' ');
	}
	die("%s has no parameter %s", kern_name[c->k], name);
}

double kern_macs(const KCall *c)
{
#define A(name) kern_arg(c, name)
	switch (c->k) {
#define X(id, params, macs, work) case K_##id: return (double)(macs);
	KERNEL_TABLE(X)
#undef X
	case K_COUNT: break;
	}
#undef A
	die("bad kernel");
}

double kern_work(const KCall *c)
{
#define A(name) kern_arg(c, name)
	switch (c->k) {
#define X(id, params, macs, work) case K_##id: return (double)(work);
	KERNEL_TABLE(X)
#undef X
	case K_COUNT: break;
	}
#undef A
	die("bad kernel");
}
