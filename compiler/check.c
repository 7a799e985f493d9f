/* check.c — from the statement tree to a validated Model.
 *
 * Requires: a tree from ast_parse. Guarantees: every key is known and
 * defined once, every value has the right type and range, and the shapes
 * are possible (branch widths sum to D, heads divide widths, adaptive
 * bands cut the vocabulary and keep a width).
 * Errors point at the statement or the value at fault. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ltcc.h"

/* ---- value helpers ---- */

static Value *nth(const Node *n, int i)
{
	Value *v = n->vals;
	while (v && i-- > 0)
		v = v->next;
	return v;
}

/* Past-the-end location of a statement, for "expected a value" errors. */
static Loc after_key(const Node *n)
{
	Loc l = n->loc;
	l.col += (int)strlen(n->key);
	return l;
}

static bool want_count(const Node *n, int lo, int hi)
{
	if (n->nvals < lo) {
		diag_error(after_key(n), "'%s' needs %d value%s", n->key, lo, lo == 1 ? "" : "s");
		return false;
	}
	if (hi >= 0 && n->nvals > hi) {
		/* on a later line, the extra value is most likely the next
		 * statement's key, run on by a missing ';' */
		Loc extra = nth(n, hi)->loc;
		int prev = hi ? nth(n, hi - 1)->loc.line : n->loc.line;
		if (extra.line > prev)
			diag_error(extra, "too many values for '%s' (missing ';' at the end of line %d?)", n->key, prev);
		else
			diag_error(extra, "too many values for '%s'", n->key);
		return false;
	}
	if (n->has_block) {
		diag_error(n->loc, "'%s' takes no block", n->key);
		return false;
	}
	return true;
}

static bool int_in(const Value *v, const char *what, long lo, long hi, int *out)
{
	if (v->kind != V_INT) {
		diag_error(v->loc, "%s must be an integer", what);
		return false;
	}
	/* quote the source text: strtol saturates values beyond a long */
	if (v->ival < lo || v->ival > hi) {
		if (hi != 1L << 30)
			diag_error(v->loc, "%s must be between %ld and %ld, not %s", what, lo, hi, v->s);
		else if (v->ival < lo)
			diag_error(v->loc, "%s must be at least %ld, not %s", what, lo, v->s);
		else
			diag_error(v->loc, "%s must be at most %ld, not %s", what, hi, v->s);
		return false;
	}
	*out = (int)v->ival;
	return true;
}

#define BIG (1L << 30)

/* `key N;` */
static bool get_int(const Node *n, long lo, int *out)
{
	return want_count(n, 1, 1) && int_in(n->vals, n->key, lo, BIG, out);
}

/* One identifier out of a list; returns its index or -1. */
static int ident_of(const Value *v, const char *what, const char *const *choices)
{
	if (v->kind == V_IDENT)
		for (int i = 0; choices[i]; i++)
			if (strcmp(v->s, choices[i]) == 0)
				return i;
	char list[256] = "";
	for (int i = 0; choices[i]; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'",
			 i ? (choices[i + 1] ? ", " : " or ") : "", choices[i]);
	diag_error(v->loc, "%s must be %s", what, list);
	return -1;
}

static const char *const yes_no[] = { "no", "yes", NULL };

static bool get_flag(const Node *n, bool *out)
{
	if (!want_count(n, 1, 1))
		return false;
	int i = ident_of(n->vals, n->key, yes_no);
	*out = i == 1;
	return i >= 0;
}

/* ---- duplicate detection: each key once per block ---- */

static const Node *seen_before(const Node *first, const Node *n)
{
	for (const Node *p = first; p != n; p = p->next)
		if (strcmp(p->key, n->key) == 0)
			return p;
	return NULL;
}

static bool once(const Node *first, const Node *n)
{
	const Node *p = seen_before(first, n);
	if (!p)
		return true;
	diag_error(n->loc, "duplicate definition of '%s'", n->key);
	diag_note(p->loc, "first defined here");
	return false;
}

static void unknown(const Node *n, const char *where)
{
	diag_error(n->loc, "unknown key '%s' in %s", n->key, where);
}

/* ---- branches ---- */

static const char *const branch_kinds[] = { "attn", "lightweight", "dynamic", NULL };

/* branch KIND WIDTH heads H [glu] [kernel K] [prefix "s"] */
static bool parse_branch(const Node *n, Branch *b)
{
	if (n->has_block) {
		diag_error(n->loc, "'branch' takes no block");
		return false;
	}
	if (n->nvals < 4) {
		diag_error(after_key(n), "'branch' needs a kind, a width and 'heads N'");
		return false;
	}
	Value *v = n->vals;
	int k = ident_of(v, "branch kind", branch_kinds);
	if (k < 0)
		return false;
	b->kind = (BranchKind)k;
	b->loc = n->loc;
	v = v->next;
	if (!int_in(v, "branch width", 1, BIG, &b->width))
		return false;
	for (v = v->next; v; v = v->next) {
		if (v->kind != V_IDENT) {
			diag_error(v->loc, "expected a branch option ('heads', 'glu', 'kernel' or 'prefix')");
			return false;
		}
		const char *o = v->s;
		bool conv_only = strcmp(o, "glu") == 0 || strcmp(o, "kernel") == 0;
		if (conv_only && b->kind == BR_ATTN) {
			diag_error(v->loc, "'%s' applies to convolution branches only", o);
			return false;
		}
		if (strcmp(o, "glu") == 0) {
			b->glu = true;
			continue;
		}
		if (strcmp(o, "heads") && strcmp(o, "kernel") && strcmp(o, "prefix")) {
			diag_error(v->loc, "unknown branch option '%s'", o);
			return false;
		}
		Value *a = v->next;
		if (!a) {
			diag_error(v->loc, "'%s' needs a value", o);
			return false;
		}
		if (strcmp(o, "prefix") == 0) {
			if (a->kind != V_STR) {
				diag_error(a->loc, "prefix must be a string");
				return false;
			}
			b->prefix = a->s;
		} else if (strcmp(o, "heads") == 0) {
			if (!int_in(a, "heads", 1, BIG, &b->heads))
				return false;
		} else {
			if (!int_in(a, "kernel size", 1, BIG, &b->kernel))
				return false;
			b->kloc = a->loc;
		}
		v = a;
	}
	if (!b->heads) {
		diag_error(n->loc, "branch needs 'heads N'");
		return false;
	}
	if (b->width % b->heads) {
		diag_error(nth(n, 1)->loc, "branch width %d is not divisible by its %d heads",
			   b->width, b->heads);
		return false;
	}
	return true;
}

/* A layer's branch list from its statements; returns -1 on error,
 * 0 when the block states none (the stack's default applies), 1 when set. */
static int parse_branches(const Node *kids, Layer *L)
{
	int found = 0;
	for (const Node *n = kids; n; n = n->next) {
		bool is_branch = strcmp(n->key, "branch") == 0;
		bool is_plain = strcmp(n->key, "attention") == 0;
		if (!is_branch && !is_plain)
			continue;
		if (L->plain || (is_plain && L->nbranch)) {
			diag_error(n->loc, "a plain 'attention' layer has no other branches");
			return -1;
		}
		if (L->nbranch == MAX_BRANCHES) {
			diag_error(n->loc, "more than %d branches", MAX_BRANCHES);
			return -1;
		}
		Branch *b = &L->br[L->nbranch++];
		found = 1;
		if (is_branch) {
			if (!parse_branch(n, b))
				return -1;
			continue;
		}
		/* attention heads H: fairseq's MultiheadAttention over all channels */
		L->plain = true;
		b->kind = BR_ATTN;
		b->loc = n->loc;
		if (!want_count(n, 2, 2))
			return -1;
		if (n->vals->kind != V_IDENT || strcmp(n->vals->s, "heads")) {
			diag_error(n->vals->loc, "expected 'heads N'");
			return -1;
		}
		if (!int_in(n->vals->next, "heads", 1, BIG, &b->heads))
			return -1;
	}
	return found;
}

/* ---- stacks ---- */

static const char *const pos_kinds[] = { "sinusoidal", "learned", "none", NULL };

/* `positions sinusoidal | learned | none;` */
static bool get_positions(const Node *n, PosKind *out, Loc *at)
{
	int i = want_count(n, 1, 1) ? ident_of(n->vals, "positions", pos_kinds) : -1;
	if (i >= 0) {
		*out = (PosKind)i;
		*at = n->loc;
	}
	return i >= 0;
}

static const char *const norms[] = { "post", "pre", NULL };
static const char *const acts[] = { "relu", "gelu", NULL };


/* What a stack block says about the stack itself (layers, norm, ffn,
 * kernels, prefix, cross_attention); the statements it found are
 * returned through `st`. False after reporting. */
typedef struct StackStmts { const Node *kernels, *layers, *cross; } StackStmts;

static bool stack_settings(const Node *blk, Stack *s, bool is_dec, StackStmts *st)
{
	const char *where = is_dec ? "decoder" : "encoder";
	bool ok = true;
	for (const Node *n = blk->kids; n; n = n->next) {
		const char *k = n->key;
		if (!strcmp(k, "branch") || !strcmp(k, "attention") || !strcmp(k, "layer"))
			continue;
		if (!once(blk->kids, n)) {
			ok = false;
			continue;
		}
		if (!strcmp(k, "layers")) {
			st->layers = n;
			ok &= get_int(n, 1, &s->nlayers);
			if (s->nlayers > 256) {
				diag_error(n->vals->loc, "at most 256 layers");
				ok = false;
			}
		} else if (!strcmp(k, "norm")) {
			int i = want_count(n, 1, 1) ? ident_of(n->vals, "norm", norms) : -1;
			s->pre_norm = i == 1;
			ok &= i >= 0;
		} else if (!strcmp(k, "final_norm")) {
			ok &= get_flag(n, &s->final_norm);
		} else if (!strcmp(k, "weight_softmax")) {
			ok &= get_flag(n, &s->weight_softmax);
		} else if (!strcmp(k, "ffn")) {
			if (!want_count(n, 1, 2) || !int_in(n->vals, "ffn width", 1, BIG, &s->ffn)) {
				ok = false;
			} else if (n->nvals == 2) {
				int i = ident_of(n->vals->next, "activation", acts);
				s->act = i == 1 ? ACT_GELU : ACT_RELU;
				ok &= i >= 0;
			}
		} else if (!strcmp(k, "kernels")) {
			st->kernels = n;
			if (n->has_block || n->nvals == 0) {
				diag_error(n->loc, "'kernels' needs one size per layer");
				ok = false;
			}
		} else if (!strcmp(k, "prefix")) {
			if (want_count(n, 1, 1) && n->vals->kind == V_STR)
				s->prefix = n->vals->s;
			else {
				if (n->nvals == 1)
					diag_error(n->vals->loc, "prefix must be a string");
				ok = false;
			}
		} else if (!strcmp(k, "positions")) {
			ok &= get_positions(n, &s->pos, &s->pos_loc);
		} else if ((!strcmp(k, "input_dim") || !strcmp(k, "output_dim")) && is_dec) {
			ok &= get_int(n, 1, k[0] == 'i' ? &s->in_dim : &s->out_dim);
		} else if (!strcmp(k, "cross_attention") && is_dec) {
			st->cross = n;
			if (!want_count(n, 2, 2) || n->vals->kind != V_IDENT || strcmp(n->vals->s, "heads")) {
				if (n->nvals >= 1)
					diag_error(n->vals->loc, "expected 'heads N'");
				ok = false;
			} else {
				ok &= int_in(n->vals->next, "heads", 1, BIG, &s->cross_heads);
			}
		} else {
			unknown(n, where);
			ok = false;
		}
	}
	return ok;
}

/* The encoder-decoder attention exists exactly when there is an encoder,
 * and its heads divide the width. */
static bool stack_cross(const Node *blk, const Stack *s, const Model *m, bool is_dec, const Node *cross)
{
	if (is_dec && !m->is_lm && !cross) {
		diag_error(blk->loc, "decoder of an encoder-decoder model needs 'cross_attention heads N'");
		return false;
	}
	if (is_dec && m->is_lm && cross) {
		diag_error(cross->loc, "a decoder-only model has no cross attention");
		return false;
	}
	if (cross && m->dim % s->cross_heads) {
		diag_error(cross->vals->next->loc, "model width %d is not divisible by %d cross-attention heads",
			   m->dim, s->cross_heads);
		return false;
	}
	return true;
}

/* Per-layer kernel sizes: one for all layers, or one per layer. */
typedef struct Kernels { int n, k[256]; Loc loc[256]; } Kernels;

static bool stack_kernels(const Node *kernels, const Stack *s, Kernels *K)
{
	K->n = 0;
	if (!kernels)
		return true;
	for (Value *v = kernels->vals; v; v = v->next) {
		int at = K->n < 255 ? K->n : 255;
		if (!int_in(v, "kernel size", 1, BIG, &K->k[at]))
			return false;
		K->loc[at] = v->loc;
		if (K->n < 255)
			K->n++;
	}
	if (K->n != 1 && K->n < s->nlayers) {
		diag_error(kernels->loc, "'kernels' lists %d sizes for %d layers", K->n, s->nlayers);
		return false;
	}
	if (K->n > s->nlayers && K->n != 1)
		diag_warning(nth(kernels, s->nlayers)->loc,
			     "'kernels' lists %d sizes for %d layers; the extra ones are ignored", K->n, s->nlayers);
	return true;
}

/* One `layer I { ... }`: its own branches and/or prefix over the default. */
static bool layer_override(const Node *blk, const Node *n, Stack *s, const Layer *dflt)
{
	int idx;
	if (!n->has_block || n->nvals != 1) {
		diag_error(n->loc, "expected 'layer INDEX { ... }'");
		return false;
	}
	if (!int_in(n->vals, "layer index", 0, s->nlayers - 1, &idx))
		return false;
	for (const Node *p = blk->kids; p != n; p = p->next)
		if (!strcmp(p->key, "layer") && p->nvals == 1 && p->vals->kind == V_INT && p->vals->ival == idx) {
			diag_error(n->loc, "duplicate definition of layer %d", idx);
			diag_note(p->loc, "first defined here");
			return false;
		}
	Layer L = {0};
	L.loc = n->loc;
	int got = parse_branches(n->kids, &L);
	if (got < 0)
		return false;
	for (const Node *q = n->kids; q; q = q->next) {
		if (!strcmp(q->key, "branch") || !strcmp(q->key, "attention"))
			continue;
		if (!strcmp(q->key, "prefix")) {
			if (!once(n->kids, q) || !want_count(q, 1, 1))
				return false;
			if (q->vals->kind != V_STR) {
				diag_error(q->vals->loc, "prefix must be a string");
				return false;
			}
			L.prefix = q->vals->s;
			continue;
		}
		unknown(q, "layer");
		return false;
	}
	if (got == 0) {  /* only a prefix: keep the default branches */
		const char *p = L.prefix;
		L = *dflt;
		L.prefix = p;
		L.loc = n->loc;
	}
	s->layers[idx] = L;
	return true;
}

/* Fill in what the defaults leave open in layer i (prefixes, channel
 * slices, kernel sizes) and check its shapes. */
static bool finish_layer(const Node *blk, Stack *s, const Model *m, bool is_dec, int i,
			 const Kernels *K, bool have_kernels)
{
	const char *where = is_dec ? "decoder" : "encoder";
	Layer *L = &s->layers[i];
	if (!L->prefix)
		L->prefix = arena_printf("%slayers.%d.", s->prefix, i);
	if (L->nbranch == 0) {
		diag_error(blk->loc, "%s layer %d has no branches (add 'branch ...' or 'attention heads N')", where, i);
		return false;
	}
	int c0 = 0;
	for (int b = 0; b < L->nbranch; b++) {
		Branch *br = &L->br[b];
		if (L->plain) {
			br->width = m->dim;
			if (m->dim % br->heads) {
				diag_error(br->loc, "model width %d is not divisible by %d heads", m->dim, br->heads);
				return false;
			}
		}
		br->c0 = c0;
		c0 += br->width;
		if (!br->prefix)
			br->prefix = L->plain ? "self_attn." : arena_printf("self_attn.branches.%d.", b);
		if (br->kind != BR_ATTN && !br->kernel) {
			if (!have_kernels) {
				diag_error(br->loc, "convolution branch needs a kernel size ('kernel K' here or 'kernels' in the %s)", where);
				return false;
			}
			br->kernel = K->k[K->n == 1 ? 0 : i];
			br->kloc = K->loc[K->n == 1 ? 0 : i];
		}
	}
	if (c0 != m->dim) {
		diag_error(L->br[0].loc, "%s layer %d: branch widths sum to %d, but the model width is %d",
			   where, i, c0, m->dim);
		return false;
	}
	return true;
}

/* An `encoder { ... }` or `decoder { ... }` block: the stack's settings,
 * its default branches, the per-layer overrides, then every layer filled
 * in and checked. */
static bool check_stack(const Node *blk, Stack *s, Model *m, bool is_dec)
{
	const char *where = is_dec ? "decoder" : "encoder";
	Layer dflt = {0};
	StackStmts st = {0};
	Kernels K;
	bool ok = true;
	s->present = true;
	s->loc = blk->loc;
	s->weight_softmax = true;
	s->act = ACT_RELU;
	s->prefix = is_dec ? "decoder." : "encoder.";
	if (blk->nvals) {
		diag_error(blk->vals->loc, "'%s' takes no values", where);
		ok = false;
	}
	if (parse_branches(blk->kids, &dflt) < 0)
		return false;
	if (!stack_settings(blk, s, is_dec, &st) || !ok)
		return false;
	if (!st.layers) {
		diag_error(blk->loc, "%s needs 'layers N'", where);
		return false;
	}
	if (m->dim && s->ffn == 0)
		s->ffn = m->dim; /* the released configs use ffn = D */
	if (!stack_cross(blk, s, m, is_dec, st.cross) || !stack_kernels(st.kernels, s, &K))
		return false;
	s->layers = arena_alloc(sizeof(Layer) * (size_t)s->nlayers);
	for (int i = 0; i < s->nlayers; i++) {
		s->layers[i] = dflt;
		s->layers[i].loc = dflt.nbranch ? dflt.br[0].loc : blk->loc;
	}
	for (const Node *n = blk->kids; n; n = n->next)
		if (!strcmp(n->key, "layer") && !layer_override(blk, n, s, &dflt))
			return false;
	for (int i = 0; i < s->nlayers; i++)
		if (!finish_layer(blk, s, m, is_dec, i, &K, st.kernels != NULL))
			return false;
	return true;
}

/* ---- the model ---- */

static const char *const token_names[] = { "bos", "pad", "eos", "unk", NULL };
static const char *const emb_kinds[] = { "separate", "shared", NULL };
static const char *const out_kinds[] = { "separate", "tied", "adaptive", NULL };
static const char *const tie_kinds[] = { "tied", "tied_proj", NULL };

/* The cutoffs and factor of `adaptive_input C1 C2 ... factor F;`, or of
 * `output adaptive C1 ... factor F [tied] [tied_proj];` from its value v
 * on. The bands' widths wait for the vocabulary (finish_bands). */
static bool parse_adaptive(const Node *n, const Value *v, Adaptive *a, bool softmax)
{
	a->on = true;
	a->loc = n->loc;
	for (; v && v->kind == V_INT; v = v->next) {
		int prev = a->nband ? a->cut[a->nband - 1] : 0;
		if (a->nband == MAX_BANDS - 1) {
			diag_error(v->loc, "at most %d cutoffs", MAX_BANDS - 1);
			return false;
		}
		if (v->ival <= prev || v->ival > BIG) {
			diag_error(v->loc, "cutoffs must increase from 1: %s after %d", v->s, prev);
			return false;
		}
		a->cut[a->nband++] = (int)v->ival;
	}
	if (!a->nband || !v || v->kind != V_IDENT || strcmp(v->s, "factor") || !v->next) {
		diag_error(v ? v->loc : after_key(n), "expected the cutoffs, then 'factor F' (e.g. '%s20000 60000 factor 4')",
			   softmax ? "output adaptive " : "adaptive_input ");
		return false;
	}
	v = v->next;
	if ((v->kind != V_INT && v->kind != V_NUM) || !(v->num > 0 && v->num < 1e6)) {
		diag_error(v->loc, "factor must be a positive number, not %s", v->s ? v->s : "this");
		return false;
	}
	a->factor = v->num;
	for (v = v->next; v; v = v->next) {
		int i = softmax ? ident_of(v, "after the factor, a flag", tie_kinds) : -1;
		if (!softmax)
			diag_error(v->loc, "too many values for '%s'", n->key);
		if (i < 0)
			return false;
		*(i ? &a->tied_proj : &a->tied) = true;
	}
	if (a->tied_proj && !a->tied) {
		diag_error(n->loc, "'tied_proj' needs 'tied' (the tails' projections are tied to the adaptive input's)");
		return false;
	}
	if (n->has_block) {
		diag_error(n->loc, "'%s' takes no block", n->key);
		return false;
	}
	return true;
}

/* Cut the vocabulary into bands, fairseq's way (the vocabulary ends the
 * last band), and give band i the width floor(width / factor^i). */
static bool finish_bands(Adaptive *a, int vocab, int width, const char *what)
{
	if (a->cut[a->nband - 1] > vocab) {
		diag_error(a->loc, "%s cutoff %d is beyond the vocabulary of %d", what, a->cut[a->nband - 1], vocab);
		return false;
	}
	if (a->cut[a->nband - 1] < vocab)
		a->cut[a->nband++] = vocab;
	for (int i = 0; i < a->nband; i++) {
		double d = floor((double)width / pow(a->factor, i));
		if (d > 1 << 20) {  /* a factor below 1 widens the bands */
			diag_error(a->loc, "%s band %d would be %.0f wide (%d / %g^%d)", what, i, d, width, a->factor, i);
			return false;
		}
		a->dim[i] = d < 1 ? 0 : (int)d;
		if (a->dim[i] < 1) {
			diag_error(a->loc, "%s band %d (ids %d to %d) has width floor(%d / %g^%d) = 0", what, i,
				   i ? a->cut[i - 1] : 0, a->cut[i] - 1, width, a->factor, i);
			return false;
		}
	}
	return true;
}

/* The decoder's ends: its embedding width E and output width O (their
 * projections), the adaptive input and softmax, and what the output can be
 * tied to. */
static bool check_io(Model *m, const Node *out)
{
	Stack *d = &m->dec;
	Loc at = out ? out->loc : m->loc;
	int E = d->in_dim ? d->in_dim : m->dim, O = d->out_dim ? d->out_dim : m->dim;
	d->in_dim = E;
	d->out_dim = O;
	if (m->shared_embed && (E != m->dim || m->ain.on)) {
		diag_error(d->loc, "shared embeddings need a plain decoder embedding of the model width %d", m->dim);
		return false;
	}
	if (m->ain.on && !finish_bands(&m->ain, m->tgt_vocab, E, "adaptive input"))
		return false;
	if (m->aout.on) {
		if (!finish_bands(&m->aout, m->tgt_vocab, O, "adaptive softmax"))
			return false;
		if (m->aout.nband < 2) {
			diag_error(at, "an adaptive softmax needs a cutoff below the vocabulary of %d (a tail)", m->tgt_vocab);
			return false;
		}
		if (!m->aout.tied)
			return true;
		if (O != m->dim) {  /* fairseq has no project_out_dim with tied adaptive weights */
			diag_error(at, "a tied adaptive softmax reads the decoder's output directly: output_dim must be "
				   "the model width %d, not %d", m->dim, O);
			return false;
		}
		const Adaptive *i = &m->ain, *o = &m->aout;
		if (!i->on || i->nband != o->nband || memcmp(i->cut, o->cut, sizeof i->cut) || i->factor != o->factor) {
			diag_error(at, "a tied adaptive softmax needs an 'adaptive_input' with the same cutoffs and factor");
			return false;
		}
		if (E != O) {
			diag_error(at, "a tied adaptive softmax needs the decoder's output_dim (%d) to equal its input_dim (%d)", O, E);
			return false;
		}
	} else if (m->tied_output) {
		if (m->ain.on) {
			diag_error(at, "with an adaptive input there is no one matrix to tie the output to "
				   "('output adaptive ... tied' or 'output separate')");
			return false;
		}
		if (E != O) {
			diag_error(at, "a tied output needs the decoder's output_dim (%d) to equal its input_dim (%d)", O, E);
			return false;
		}
	}
	return true;
}

/* at[i]: where token i's id is given, for the vocabulary check */
static bool check_tokens(const Node *n, Model *m, Loc *at)
{
	if (n->has_block || n->nvals % 2 || n->nvals == 0) {
		diag_error(n->loc, "expected 'tokens NAME ID ...' pairs, e.g. 'tokens bos 0 pad 1 eos 2 unk 3'");
		return false;
	}
	int *slot[] = { &m->bos, &m->pad, &m->eos, &m->unk };
	for (Value *v = n->vals; v; v = v->next->next) {
		int i = ident_of(v, "token name", token_names);
		if (i < 0 || !int_in(v->next, v->s, 0, BIG, slot[i]))
			return false;
		at[i] = v->next->loc;
	}
	return true;
}

static char *dir_join(const char *ltd_path, const char *rel)
{
	const char *slash = strrchr(ltd_path, '/');
	if (rel[0] == '/' || !slash)
		return arena_strdup(rel);
	return arena_printf("%.*s/%s", (int)(slash - ltd_path), ltd_path, rel);
}

static bool check_body(const Node *mdl, Model *m, const char *ltd_path)
{
	const Node *enc = NULL, *dec = NULL, *vocab = NULL, *srcv = NULL, *tgtv = NULL;
	const Node *maxs = NULL, *maxt = NULL, *emb = NULL, *dim = NULL, *w = NULL, *out = NULL;
	PosKind pos = POS_SINUSOIDAL;
	Loc pos_at = mdl->loc;
	bool ok = true;
	m->bos = 0; m->pad = 1; m->eos = 2; m->unk = 3;  /* fairseq's dictionary */
	Loc tok_at[4] = { mdl->loc, mdl->loc, mdl->loc, mdl->loc };
	m->tied_output = true;

	for (const Node *n = mdl->kids; n; n = n->next) {
		const char *k = n->key;
		if (!once(mdl->kids, n)) {
			ok = false;
			continue;
		}
		if (!strcmp(k, "dim")) {
			dim = n;
			ok &= get_int(n, 1, &m->dim);
		} else if (!strcmp(k, "vocab")) {
			vocab = n;
			ok &= get_int(n, 1, &m->src_vocab);
			m->tgt_vocab = m->src_vocab;
		} else if (!strcmp(k, "src_vocab")) {
			srcv = n;
			ok &= get_int(n, 1, &m->src_vocab);
		} else if (!strcmp(k, "tgt_vocab")) {
			tgtv = n;
			ok &= get_int(n, 1, &m->tgt_vocab);
		} else if (!strcmp(k, "max_source")) {
			maxs = n;
			ok &= get_int(n, 1, &m->max_source);
		} else if (!strcmp(k, "max_target")) {
			maxt = n;
			ok &= get_int(n, 1, &m->max_target);
		} else if (!strcmp(k, "tokens")) {
			ok &= check_tokens(n, m, tok_at);
		} else if (!strcmp(k, "positions")) {
			ok &= get_positions(n, &pos, &pos_at);
		} else if (!strcmp(k, "adaptive_input")) {
			ok &= parse_adaptive(n, n->vals, &m->ain, false);
		} else if (!strcmp(k, "embeddings")) {
			emb = n;
			int i = want_count(n, 1, 1) ? ident_of(n->vals, "embeddings", emb_kinds) : -1;
			m->shared_embed = i == 1;
			ok &= i >= 0;
		} else if (!strcmp(k, "output")) {
			out = n;
			int i = n->nvals ? ident_of(n->vals, "output", out_kinds) : -1;
			if (!n->nvals)
				want_count(n, 1, 1);
			else if (i == 2)
				ok &= parse_adaptive(n, n->vals->next, &m->aout, true);
			else if (i >= 0)
				ok &= want_count(n, 1, 1);
			m->tied_output = i == 1;
			ok &= i >= 0;
		} else if (!strcmp(k, "weights")) {
			w = n;
			if (want_count(n, 1, 1) && n->vals->kind == V_STR) {
				m->weights_path = dir_join(ltd_path, n->vals->s);
				m->weights_loc = n->vals->loc;
			} else {
				if (n->nvals == 1)
					diag_error(n->vals->loc, "weights must be a string (a path)");
				ok = false;
			}
		} else if (!strcmp(k, "encoder")) {
			enc = n;
		} else if (!strcmp(k, "decoder")) {
			dec = n;
		} else {
			unknown(n, "model");
			ok = false;
		}
	}
	if (!ok)
		return false;

	/* required statements */
	struct { const Node *n; const char *what; } req[] = {
		{ dim, "'dim N'" }, { w, "'weights \"FILE\"'" }, { dec, "a 'decoder { ... }' block" },
		{ maxt, "'max_target N'" },
	};
	for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
		if (!req[i].n) {
			diag_error(mdl->loc, "model '%s' needs %s", m->name, req[i].what);
			ok = false;
		}
	if (!ok)
		return false;
	m->is_lm = enc == NULL;
	if (vocab && (srcv || tgtv)) {
		diag_error((srcv ? srcv : tgtv)->loc, "'vocab' already sets both vocabularies");
		diag_note(vocab->loc, "'vocab' is here");
		return false;
	}
	if (m->is_lm) {
		if (srcv || maxs || emb) {
			const Node *bad = srcv ? srcv : maxs ? maxs : emb;
			diag_error(bad->loc, "'%s' needs an encoder; this model is decoder-only", bad->key);
			return false;
		}
		if (!vocab && !tgtv) {
			diag_error(mdl->loc, "model '%s' needs 'vocab N'", m->name);
			return false;
		}
	} else {
		if (!maxs) {
			diag_error(mdl->loc, "model '%s' needs 'max_source N'", m->name);
			return false;
		}
		if (!vocab && !(srcv && tgtv)) {
			diag_error(mdl->loc, "model '%s' needs 'vocab N' or both 'src_vocab' and 'tgt_vocab'", m->name);
			return false;
		}
		if (m->shared_embed && m->src_vocab != m->tgt_vocab) {
			diag_error(emb->loc, "shared embeddings need one vocabulary, not %d and %d",
				   m->src_vocab, m->tgt_vocab);
			return false;
		}
	}
	int minv = m->is_lm ? m->tgt_vocab : (m->src_vocab < m->tgt_vocab ? m->src_vocab : m->tgt_vocab);
	int ids[] = { m->bos, m->pad, m->eos, m->unk };
	for (int i = 0; i < 4; i++)
		if (ids[i] >= minv) {
			diag_error(tok_at[i], "token id %s=%d%s is outside the vocabulary of %d", token_names[i], ids[i],
				   tok_at[i].line == mdl->loc.line && tok_at[i].col == mdl->loc.col
				   ? " (the default; set the ids with 'tokens')" : "", minv);
			return false;
		}
	if (m->dim < 2) {
		diag_error(dim->vals->loc, "model width must be at least 2");
		return false;
	}
	m->enc.pos = m->dec.pos = pos;  /* each stack may say otherwise */
	m->enc.pos_loc = m->dec.pos_loc = pos_at;
	if (enc && !check_stack(enc, &m->enc, m, false))
		return false;
	return check_stack(dec, &m->dec, m, true) && check_io(m, out);
}

/* The first choice in the tree, or NULL: a search space's, not a model's. */
static const Value *first_choice(const Node *n)
{
	for (; n; n = n->next) {
		for (const Value *v = n->vals; v; v = v->next)
			if (v->kind == V_CHOICE)
				return v;
		const Value *c = first_choice(n->kids);
		if (c)
			return c;
	}
	return NULL;
}

Model *check_model(const Node *root, const char *ltd_path)
{
	const Node *mdl = NULL;
	const Value *choice = first_choice(root);
	if (choice) {
		diag_error(choice->loc, "a choice [...] belongs in a search space (ltcc search SPACE), not in a model");
		return NULL;
	}
	for (const Node *n = root; n; n = n->next) {
		if (strcmp(n->key, "model")) {
			diag_error(n->loc, "expected 'model NAME { ... }', not '%s'", n->key);
			return NULL;
		}
		if (mdl) {
			diag_error(n->loc, "only one model per file");
			diag_note(mdl->loc, "the first model is here");
			return NULL;
		}
		mdl = n;
	}
	if (!mdl) {
		diag_plain_error("%s: no model defined (expected 'model NAME { ... }')", ltd_path);
		return NULL;
	}
	if (mdl->nvals != 1 || mdl->vals->kind != V_IDENT || !mdl->has_block) {
		diag_error(mdl->loc, "expected 'model NAME { ... }' with NAME an identifier");
		return NULL;
	}
	Model *m = arena_alloc(sizeof *m);
	m->name = mdl->vals->s;
	m->loc = mdl->loc;
	if (!check_body(mdl, m, ltd_path))
		return NULL;
	return m;
}
