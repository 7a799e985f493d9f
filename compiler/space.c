/* space.c — a search space: a .ltd whose values may be choices, and the
 * models it holds.
 *
 * Every choice `[a b c]` in the file is one dimension of the space; a
 * candidate picks one alternative in each (a genome: one index per
 * dimension) and is written out as a plain .ltd, which the ordinary
 * pipeline then checks and compiles. A few statements exist only in
 * spaces, inside a stack, to say what a .ltd would spell per branch:
 *
 *   split S;      the attention branch's share of D (0: conv only, 1: attention only)
 *   heads H;      both branches' heads
 *   conv KIND;    the conv branch: lightweight or dynamic
 *   glu yes|no;   the conv branch's GLU
 *   ffn_mult M [relu|gelu];   FFN width M * D
 *
 * `kernels [k1 k2 ...]`, a single choice, is one choice per layer. An
 * encoder whose `layers` comes out 0 is left out: the candidate is a
 * language model (the decoder's cross_attention and the model's
 * max_source, src_vocab and embeddings go with it). docs/search.md has the
 * whole language. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ltcc.h"

static const char *const search_keys[] = { "split", "heads", "conv", "glu", "ffn_mult" };
#define NSEARCH_KEYS 5

static bool is_search_key(const char *k)
{
	for (int i = 0; i < NSEARCH_KEYS; i++)
		if (!strcmp(k, search_keys[i]))
			return true;
	return false;
}

static const Node *kid(const Node *n, const char *key)
{
	for (const Node *k = n->kids; k; k = k->next)
		if (!strcmp(k->key, key))
			return k;
	return NULL;
}

/* A choice becomes a dimension, named for the CSV: "decoder.heads"; a
 * statement's second choice "decoder.branch.2". */
static bool add_dim(Space *sp, const char *what, const Value *c, const Node *stmt, const Node *stack, int layer)
{
	if (sp->ndim == SPACE_MAX_DIMS) {
		diag_error(c->loc, "a space may have at most %d choices", SPACE_MAX_DIMS);
		return false;
	}
	int same = 1;
	for (int i = 0; i < sp->ndim; i++)
		same += !strcmp(sp->dims[i].what, what) || !strncmp(sp->dims[i].what, arena_printf("%s.", what), strlen(what) + 1);
	if (same > 1)
		what = arena_printf("%s.%d", what, same);
	sp->dims[sp->ndim++] = (Dim){ what, c, stmt, stack, layer };
	sp->size *= c->nalts;
	return true;
}

/* The largest value `layers` can take in a stack, or -1 after reporting. */
static int max_layers(const Node *stack)
{
	const Node *l = kid(stack, "layers");
	const Value *v = l ? l->vals : NULL;
	if (!v || v->next) {
		diag_error(l ? l->loc : stack->loc, "a stack in a space needs 'layers N;' or 'layers [...];'");
		return -1;
	}
	int most = -1;
	for (const Value *a = v->kind == V_CHOICE ? v->alts : v; a; a = v->kind == V_CHOICE ? a->next : NULL)
		if (a->kind == V_INT && a->ival >= 0 && a->ival <= SPACE_MAX_LAYERS)
			most = a->ival > most ? (int)a->ival : most;
		else {
			diag_error(a->loc, "layers must be an integer from 0 to %d", SPACE_MAX_LAYERS);
			return -1;
		}
	return most;
}

/* A search statement's values, checked once here so a candidate cannot
 * fail on them: `what` accepts one alternative. */
static bool check_alts(const Node *n, bool (*ok)(const Value *), const char *what)
{
	const Value *v = n->vals;
	if (!v) {
		diag_error(n->loc, "'%s' needs a value", n->key);
		return false;
	}
	for (const Value *a = v->kind == V_CHOICE ? v->alts : v; a; a = v->kind == V_CHOICE ? a->next : NULL)
		if (!ok(a)) {
			diag_error(a->loc, "'%s' takes %s", n->key, what);
			return false;
		}
	return true;
}

static bool ok_share(const Value *a) { return (a->kind == V_INT || a->kind == V_NUM) && a->num >= 0 && a->num <= 1; }
static bool ok_heads(const Value *a) { return a->kind == V_INT && a->ival >= 1 && a->ival <= 64; }
static bool ok_conv(const Value *a) { return a->kind == V_IDENT && (!strcmp(a->s, "lightweight") || !strcmp(a->s, "dynamic")); }
static bool ok_yesno(const Value *a) { return a->kind == V_IDENT && (!strcmp(a->s, "yes") || !strcmp(a->s, "no")); }
static bool ok_mult(const Value *a) { return (a->kind == V_INT || a->kind == V_NUM) && a->num > 0 && a->num <= 64; }
static bool ok_kernel(const Value *a) { return a->kind == V_INT && a->ival >= 1 && a->ival <= 1023; }

static bool check_search_stmt(const Node *n)
{
	if (!strcmp(n->key, "split"))
		return check_alts(n, ok_share, "a share of D from 0 to 1");
	if (!strcmp(n->key, "heads"))
		return check_alts(n, ok_heads, "a head count from 1 to 64");
	if (!strcmp(n->key, "conv"))
		return check_alts(n, ok_conv, "lightweight or dynamic");
	if (!strcmp(n->key, "glu"))
		return check_alts(n, ok_yesno, "yes or no");
	const Value *act = n->vals ? n->vals->next : NULL;  /* ffn_mult M [relu|gelu] */
	if (act && (act->next || act->kind != V_IDENT || (strcmp(act->s, "relu") && strcmp(act->s, "gelu")))) {
		diag_error(act->loc, "expected 'ffn_mult M [relu|gelu];'");
		return false;
	}
	return check_alts(n, ok_mult, "a positive multiple of D, at most 64");
}

/* Does the stack make its branches from split, heads, conv and glu? */
static bool searching(const Node *stack)
{
	return kid(stack, "split") || kid(stack, "heads") || kid(stack, "conv") || kid(stack, "glu");
}

/* One stack's choices; its search statements checked. */
static bool walk_stack(Space *sp, const Node *stack)
{
	int most = max_layers(stack);
	if (most < 0)
		return false;
	bool explicit = false;
	for (const Node *n = stack->kids; n; n = n->next) {
		if (is_search_key(n->key) && !check_search_stmt(n))
			return false;
		explicit |= !strcmp(n->key, "branch") || !strcmp(n->key, "attention");
		if (n->has_block && !strcmp(n->key, "layer")) {
			diag_error(n->loc, "'layer I { ... }' overrides are not searched; say it in the stack's statements");
			return false;
		}
		bool per_layer = !strcmp(n->key, "kernels") && n->nvals == 1 && n->vals->kind == V_CHOICE;
		if (per_layer && !check_alts(n, ok_kernel, "kernel sizes from 1 to 1023"))
			return false;
		for (const Value *v = n->vals; v; v = v->next) {
			if (v->kind != V_CHOICE)
				continue;
			if (!per_layer) {
				if (!add_dim(sp, arena_printf("%s.%s", stack->key, n->key), v, n, stack, -1))
					return false;
				continue;
			}
			for (int l = 0; l < most; l++)
				if (!add_dim(sp, arena_printf("%s.kernel%d", stack->key, l), v, n, stack, l))
					return false;
		}
	}
	if (searching(stack) && explicit) {
		diag_error(stack->loc, "a stack either writes its branches or searches them (split, heads, conv, glu), not both");
		return false;
	}
	if (!searching(stack) && !explicit) {
		diag_error(stack->loc, "a stack in a space needs its branches: 'branch ...;' or the search statements split, heads, conv, glu");
		return false;
	}
	return true;
}

Space *space_load(const char *path)
{
	SrcFile *src = src_read(path);
	Node *root;
	if (!src || !ast_parse(src, &root))
		return NULL;
	if (!root || root->next || strcmp(root->key, "model") || root->nvals != 1 || root->vals->kind != V_IDENT ||
	    !root->has_block) {
		diag_error(root ? root->loc : (Loc){ src, 1, 1 }, "a space is one 'model NAME { ... }' whose values may be choices");
		return NULL;
	}
	Space *sp = arena_alloc(sizeof *sp);
	sp->path = path;
	sp->model = root;
	sp->name = root->vals->s;
	sp->size = 1;
	for (const Node *n = root->kids; n; n = n->next) {
		if (!strcmp(n->key, "weights")) {
			diag_error(n->loc, "a space has no weights: each candidate names its own NAME.safetensors");
			return NULL;
		}
		if (!strcmp(n->key, "encoder") || !strcmp(n->key, "decoder")) {
			if (!walk_stack(sp, n))
				return NULL;
			continue;
		}
		if (is_search_key(n->key)) {
			diag_error(n->loc, "'%s' belongs inside a stack (encoder or decoder)", n->key);
			return NULL;
		}
		for (const Value *v = n->vals; v; v = v->next)
			if (v->kind == V_CHOICE && !add_dim(sp, n->key, v, n, NULL, -1))
				return NULL;
	}
	if (!kid(root, "dim") || kid(root, "dim")->nvals != 1) {
		diag_error(root->loc, "a space needs 'dim D;' or 'dim [...];'");
		return NULL;
	}
	return sp;
}

/* ---- a candidate as .ltd text ---- */

typedef struct Pick {
	const Space *sp;
	const int *g;       /* the genome */
	long D;             /* as written; the check refuses one too large */
	bool lm;            /* the encoder came out with 0 layers, or there is none */
} Pick;

const Value *space_alt(const Space *sp, const int *g, int i)
{
	const Value *a = sp->dims[i].choice->alts;
	for (int k = 0; k < g[i]; k++)
		a = a->next;
	return a;
}

/* The value v stands for in this candidate. */
static const Value *pick(const Pick *p, const Value *v)
{
	if (v->kind != V_CHOICE)
		return v;
	for (int i = 0; i < p->sp->ndim; i++)
		if (p->sp->dims[i].choice == v && p->sp->dims[i].layer < 0)
			return space_alt(p->sp, p->g, i);
	die("choice without a dimension");
}

static const Value *stmt_value(const Pick *p, const Node *stack, const char *key)
{
	const Node *n = kid(stack, key);
	return n ? pick(p, n->vals) : NULL;
}

/* A searching stack's attention width: share * D, to a whole number of heads. */
static long attn_width(const Pick *p, const Node *stack)
{
	const Value *s = stmt_value(p, stack, "split"), *h = stmt_value(p, stack, "heads");
	double share = s ? s->num : 0.5;
	long H = h ? h->ival : 4;
	long A = (long)(share * (double)p->D / (double)H + 0.5) * H;
	return A < p->D ? A : p->D;
}

/* Has the stack a convolution branch? Not if it searches and its split
 * came out all attention: then its conv kind, GLU and kernels are moot. */
static bool has_conv(const Pick *p, const Node *stack)
{
	return !searching(stack) || attn_width(p, stack) < p->D;
}

/* A string as the .ltd lexer reads it back: only " and \\ escaped (a
 * string it read holds no newline). */
static const char *ltd_quote(const char *s)
{
	char *q = arena_alloc(2 * strlen(s) + 3), *d = q;
	*d++ = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			*d++ = '\\';
		*d++ = *s;
	}
	*d = '"';
	return q;
}

/* `key values;` with choices resolved. */
static char *put_stmt(const Pick *p, char *out, const char *indent, const Node *n)
{
	out = arena_printf("%s%s%s", out, indent, n->key);
	for (const Value *v = n->vals; v; v = v->next) {
		const Value *a = pick(p, v);
		out = arena_printf("%s %s", out, a->kind == V_STR ? ltd_quote(a->s) : a->s);
	}
	return arena_printf("%s;\n", out);
}

static const char *layer_kernel(const Pick *p, const Node *stack, int l)
{
	for (int i = 0; i < p->sp->ndim; i++)
		if (p->sp->dims[i].stack == stack && p->sp->dims[i].layer == l)
			return space_alt(p->sp, p->g, i)->s;
	die("no kernel dimension for layer %d", l);
}

/* The branches a searching stack's statements describe. */
static char *put_branches(const Pick *p, char *out, const Node *stack)
{
	const Value *h = stmt_value(p, stack, "heads");
	const Value *c = stmt_value(p, stack, "conv"), *g = stmt_value(p, stack, "glu");
	long H = h ? h->ival : 4, A = attn_width(p, stack);
	if (A > 0)
		out = arena_printf("%s    branch attn %ld heads %ld;\n", out, A, H);
	if (A < p->D)
		out = arena_printf("%s    branch %s %ld heads %ld%s;\n", out, c ? c->s : "dynamic", p->D - A, H,
				   g && !strcmp(g->s, "no") ? "" : " glu");
	return out;
}

static char *put_stack(const Pick *p, char *out, const Node *stack)
{
	int L = (int)stmt_value(p, stack, "layers")->ival;
	out = arena_printf("%s\n  %s {\n", out, stack->key);
	for (const Node *n = stack->kids; n; n = n->next) {
		if (is_search_key(n->key)) {
			if (!strcmp(n->key, "ffn_mult")) {
				const Value *m = pick(p, n->vals);
				out = arena_printf("%s    ffn %.0f%s%s;\n", out, floor(m->num * (double)p->D + 0.5), n->vals->next ? " " : "",
						   n->vals->next ? n->vals->next->s : "");
			}
			continue;
		}
		if ((!strcmp(n->key, "cross_attention") && p->lm) || (!strcmp(n->key, "kernels") && !has_conv(p, stack)))
			continue;
		if (!strcmp(n->key, "kernels") && n->nvals == 1 && n->vals->kind == V_CHOICE) {
			out = arena_printf("%s    kernels", out);
			for (int l = 0; l < L; l++)
				out = arena_printf("%s %s", out, layer_kernel(p, stack, l));
			out = arena_printf("%s;\n", out);
			continue;
		}
		out = put_stmt(p, out, "    ", n);
	}
	if (searching(stack))
		out = put_branches(p, out, stack);
	return arena_printf("%s  }\n", out);
}

/* Model-level statements an LM candidate leaves out. */
static bool encdec_only(const char *k)
{
	return !strcmp(k, "max_source") || !strcmp(k, "src_vocab") || !strcmp(k, "embeddings");
}

/* The candidate's width and kind, which the rest is read against. */
static Pick pick_of(const Space *sp, const int *g)
{
	Pick p = { sp, g, 0, true };
	const Node *enc = kid(sp->model, "encoder");
	p.D = pick(&p, kid(sp->model, "dim")->vals)->ival;
	p.lm = !enc || stmt_value(&p, enc, "layers")->ival == 0;
	return p;
}

char *space_render(const Space *sp, const int *g, const char *name)
{
	Pick p = pick_of(sp, g);
	char *out = arena_printf("# %s: a candidate of the space %s (ltcc search)\nmodel %s {\n  weights \"%s.safetensors\";\n",
				 name, sp->name, name, name);
	for (const Node *n = sp->model->kids; n; n = n->next) {
		if (!strcmp(n->key, "encoder") || !strcmp(n->key, "decoder")) {
			if (strcmp(n->key, "encoder") || !p.lm)
				out = put_stack(&p, out, n);
			continue;
		}
		if (p.lm && encdec_only(n->key))
			continue;
		out = put_stmt(&p, out, "  ", n);
	}
	return arena_printf("%s}\n", out);
}

/* Does candidate g look at dimension i? Not at what it does not have: a
 * layer beyond its depth, the convolution of an all-attention split, the
 * encoder (and cross attention) of a language model. */
bool space_dim_used(const Space *sp, const int *g, int i)
{
	Pick p = pick_of(sp, g);
	const Dim *d = &sp->dims[i];
	if (!d->stack)
		return !(p.lm && encdec_only(d->stmt->key));
	if (p.lm && (!strcmp(d->stack->key, "encoder") ? strcmp(d->stmt->key, "layers") != 0
						    : !strcmp(d->stmt->key, "cross_attention")))
		return false;
	bool conv_part = d->layer >= 0 || !strcmp(d->stmt->key, "conv") || !strcmp(d->stmt->key, "glu") ||
			 !strcmp(d->stmt->key, "kernels");
	if (conv_part && !has_conv(&p, d->stack))
		return false;
	return d->layer < 0 || d->layer < stmt_value(&p, d->stack, "layers")->ival;
}

/* Genomes that differ only where the candidate does not look are one
 * candidate: those indices go to 0. */
void space_canonical(const Space *sp, int *g)
{
	for (int i = 0; i < sp->ndim; i++)
		if (!space_dim_used(sp, g, i))
			g[i] = 0;
}

void space_random(const Space *sp, int *g, uint64_t *rng)
{
	for (int i = 0; i < sp->ndim; i++)
		g[i] = (int)(space_rand(rng) % (uint64_t)sp->dims[i].choice->nalts);
	space_canonical(sp, g);
}

uint64_t space_rand(uint64_t *s)
{
	/* splitmix64: seedable, the same on every platform */
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}
