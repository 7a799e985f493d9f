/* test_lower.c — lowering, folding and planning (lower.c, fuse.c, plan.c)
 * on models/mixed.ltd and its weights: structural facts about the IR, the
 * memory plan, the q-scale fold, and errors for missing or mis-shaped
 * tensors. Run from the repo root; makes models/mixed.safetensors with
 * tools/gen_models.py if it is missing. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"

#define LTD "models/mixed.ltd"

static Model *mixed;
static WeightFile *mixed_wf;

static int setup(void)
{
	if (access("models/mixed.safetensors", R_OK) != 0 &&
	    system("/usr/bin/python3 tools/gen_models.py models mixed >/dev/null") != 0) {
		fprintf(stderr, "cannot make models/mixed.safetensors\n");
		return 1;
	}
	cap_begin();
	SrcFile *f = src_read(LTD);
	Node *root = NULL;
	if (f && ast_parse(f, &root))
		mixed = check_model(root, LTD);
	if (mixed)
		mixed_wf = wf_load(mixed->weights_path, WEIGHTS_MAX_BYTES);
	const char *d = cap_end();
	if (!mixed_wf) {
		fprintf(stderr, "cannot load %s:\n%s", LTD, d);
		return 1;
	}
	return 0;
}

/* Lower, fuse with `fo` and plan the mixed model with `wf`; diagnostics
 * into *d. */
static IR *build_with(WeightFile *wf, const FuseOpts *fo, const char **d)
{
	cap_begin();
	IR *ir = lower_model(mixed, wf);
	if (ir) {
		fuse_program(ir, fo);
		plan_memory(ir);
	}
	*d = cap_end();
	return ir;
}

/* The structural passes on, the q-scale fold as asked. */
static IR *build(WeightFile *wf, bool fold_q, const char **d)
{
	FuseOpts fo = { .zero_copy = true, .stream_attn = true, .dyn_taps_row = true,
			.fold_q_scale = fold_q, .fold_light_softmax = true };
	return build_with(wf, &fo, d);
}

static IR *build_ok(bool fold_q)
{
	const char *d;
	IR *ir = build(mixed_wf, fold_q, &d);
	CU_ASSERT_PTR_NOT_NULL(ir);
	CU_ASSERT_STRING_EQUAL(d, "");
	return ir;
}

static Tensor *weight_named(const IR *ir, const char *src)
{
	for (int i = 0; i < ir->ntensors; i++)
		if (ir->tensors[i]->kind == T_WEIGHT && !strcmp(ir->tensors[i]->src, src))
			return ir->tensors[i];
	return NULL;
}

/* The op of `p` whose weight (in[1]) is the tensor named `src`. */
static Op *op_with_weight(const Program *p, const char *src)
{
	for (int i = 0; i < p->nops; i++) {
		Tensor *w = p->ops[i]->in[1];
		if (w && w->kind == T_WEIGHT && w->src && !strcmp(w->src, src))
			return p->ops[i];
	}
	return NULL;
}

/* First and last op of block `name` in `p`. */
static Op *block_op(const Program *p, const char *name, bool last)
{
	Op *found = NULL;
	for (int i = 0; i < p->nops; i++)
		if (!strcmp(p->ops[i]->block, name)) {
			found = p->ops[i];
			if (!last)
				break;
		}
	return found;
}

/* ---- the IR ---- */

static void test_programs_are_not_empty(void)
{
	IR *ir = build_ok(true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	CU_ASSERT_STRING_EQUAL(ir->encode.name, "encode");
	CU_ASSERT_STRING_EQUAL(ir->step.name, "decode_step");
	CU_ASSERT_FATAL(ir->encode.nops > 0 && ir->step.nops > 0);
	CU_ASSERT_EQUAL(ir->encode.ops[0]->kind, OP_EMBED);
	CU_ASSERT_EQUAL(ir->encode.ops[0]->rows, RW_N);
	CU_ASSERT_EQUAL(ir->step.ops[0]->kind, OP_EMBED);
	CU_ASSERT_EQUAL(ir->step.ops[0]->rows, RW_ONE);
	CU_ASSERT_EQUAL(ir->step.ops[ir->step.nops - 1]->kind, OP_LOGITS);
	CU_ASSERT_PTR_NOT_NULL(ir->enc_out);
	/* tied output: the logits use the decoder's embedding matrix */
	CU_ASSERT_PTR_EQUAL(ir->out_w, ir->dec_embed);
	CU_ASSERT_PTR_NOT_EQUAL(ir->enc_embed, ir->dec_embed);
	for (int p = 0; p < 2; p++) {
		const Program *pr = p ? &ir->step : &ir->encode;
		for (int i = 0; i < pr->nops; i++)
			CU_ASSERT(pr->ops[i]->kind == OP_LOGITS || pr->ops[i]->out != NULL);
	}
}

/* Shapes the .ltd declares, as (rows, cols) of the bound tensor. */
static const struct { const char *name; int rows, cols; } declared[] = {
	{ "encoder.embed_tokens.weight", 50, 64 },
	{ "decoder.embed_tokens.weight", 40, 64 },
	{ "encoder.layers.0.self_attn.q_proj.weight", 64, 64 },            /* plain layer */
	{ "encoder.layers.0.self_attn.out_proj.bias", 64, 1 },
	{ "encoder.layers.1.self_attn.branches.0.linear1.weight", 32, 32 }, /* dynamic, no GLU */
	{ "encoder.layers.1.self_attn.branches.0.weight_linear.weight", 18, 32 }, /* H*K = 2*9 */
	{ "encoder.layers.1.self_attn.branches.1.k_proj.weight", 32, 32 },
	{ "encoder.layers.0.fc1.weight", 96, 64 },
	{ "encoder.layers.0.fc2.weight", 64, 96 },
	{ "encoder.layers.1.fc1.bias", 96, 1 },
	{ "encoder.layer_norm.weight", 64, 1 },                             /* final norm */
	{ "decoder.layers.0.self_attn.branches.0.v_proj.weight", 32, 32 },
	{ "decoder.layers.0.self_attn.branches.1.linear1.weight", 64, 32 }, /* GLU: 2w x w */
	{ "decoder.layers.0.self_attn.branches.1.weight", 4, 4 },           /* file: (4, 1, 4) */
	{ "decoder.layers.1.self_attn.branches.1.weight", 4, 3 },
	{ "decoder.layers.1.encoder_attn.q_proj.weight", 64, 64 },
	{ "decoder.layers.1.encoder_attn_layer_norm.bias", 64, 1 },
	{ "decoder.layer_norm.bias", 64, 1 },
};

static void test_weights_have_declared_shapes(void)
{
	IR *ir = build_ok(true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	for (size_t i = 0; i < sizeof declared / sizeof declared[0]; i++) {
		Tensor *t = weight_named(ir, declared[i].name);
		if (!t || t->rows != declared[i].rows || t->cols != declared[i].cols)
			fprintf(stderr, "\n%s: got %dx%d, declared %dx%d\n", declared[i].name,
				t ? t->rows : -1, t ? t->cols : -1, declared[i].rows, declared[i].cols);
		CU_ASSERT_PTR_NOT_NULL(t);
		CU_ASSERT(t && t->rows == declared[i].rows && t->cols == declared[i].cols);
	}
}

static void test_every_weight_matches_its_file_tensor(void)
{
	IR *ir = build_ok(true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	int nweights = 0;
	for (int i = 0; i < ir->ntensors; i++) {
		Tensor *t = ir->tensors[i];
		if (t->kind != T_WEIGHT)
			continue;
		nweights++;
		WTensor *w = wf_find(mixed_wf, t->src);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		CU_ASSERT_TRUE(w->used);
		CU_ASSERT_EQUAL(w->numel, (int64_t)t->rows * t->cols);
		bool shaped = w->ndim == 1 ? w->shape[0] == t->rows && t->cols == 1
			    : w->ndim == 2 ? w->shape[0] == t->rows && w->shape[1] == t->cols
			    : w->ndim == 3 && w->shape[0] == t->rows && w->shape[1] == 1 && w->shape[2] == t->cols;
		CU_ASSERT_TRUE(shaped);
		/* what no pass rewrote holds the file's values */
		bool rewritten = t->note && *t->note;
		CU_ASSERT_TRUE(rewritten || !memcmp(t->data, w->data, sizeof(float) * (size_t)w->numel));
	}
	CU_ASSERT(nweights > 0);
	/* and the file holds nothing the model leaves unused */
	for (int i = 0; i < mixed_wf->n; i++)
		CU_ASSERT_TRUE(mixed_wf->t[i].used);
}

/* Blocks a and b write their outputs as column views [c0a, +w) and
 * [c0b, +w) of one D-wide buffer, and read their inputs the same way. */
static void assert_branch_views(const Program *p, const char *a, const char *b, int w)
{
	Op *la = block_op(p, a, true), *lb = block_op(p, b, true);
	Op *fa = block_op(p, a, false), *fb = block_op(p, b, false);
	CU_ASSERT_FATAL(la && lb && fa && fb);
	Tensor *oa = la->out, *ob = lb->out;
	CU_ASSERT_PTR_NOT_NULL_FATAL(oa->base);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ob->base);
	CU_ASSERT_PTR_EQUAL(oa->base, ob->base);
	CU_ASSERT_PTR_NULL(oa->base->base);          /* one level: the buffer itself */
	CU_ASSERT_EQUAL(oa->base->cols, 2 * w);
	CU_ASSERT_EQUAL(oa->cols, w);
	CU_ASSERT_EQUAL(ob->cols, w);
	CU_ASSERT_EQUAL(oa->stride, oa->base->cols);
	CU_ASSERT_EQUAL(ob->stride, ob->base->cols);
	CU_ASSERT_EQUAL(oa->col0 + ob->col0, w);     /* {0, w} in either order */
	CU_ASSERT_NOT_EQUAL(oa->col0, ob->col0);
	/* inputs: the two halves of one (normed) buffer */
	Tensor *ia = fa->in[0], *ib = fb->in[0];
	CU_ASSERT_PTR_NOT_NULL_FATAL(ia->base);
	CU_ASSERT_PTR_EQUAL(ia->base, ib->base);
	CU_ASSERT_EQUAL(ia->col0, oa->col0);
	CU_ASSERT_EQUAL(ib->col0, ob->col0);
}

static void test_branch_outputs_are_views_of_one_buffer(void)
{
	IR *ir = build_ok(true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	/* encoder layer 1: dynamic conv on [0, 32), attention on [32, 64) */
	assert_branch_views(&ir->encode, "enc1_conv0", "enc1_attn1", 32);
	Op *conv = block_op(&ir->encode, "enc1_conv0", true);
	CU_ASSERT_EQUAL(conv->out->col0, 0);
	/* pre-norm: the branches accumulate straight into the residual x */
	CU_ASSERT_PTR_EQUAL(conv->out->base, ir->enc_out);
	CU_ASSERT_EQUAL(conv->kind, OP_LINEAR_ACC);
	/* decoder layers: attention [0, 32), lightweight conv [32, 64) */
	assert_branch_views(&ir->step, "dec0_attn0", "dec0_conv1", 32);
	assert_branch_views(&ir->step, "dec1_attn0", "dec1_conv1", 32);
	/* the plain layer's attention spans all of D: no view */
	Op *plain = block_op(&ir->encode, "enc0_attn0", true);
	CU_ASSERT_FATAL(plain != NULL);
	CU_ASSERT_PTR_NULL(plain->out->base);
	CU_ASSERT_EQUAL(plain->out->cols, 64);
}

/* ---- the structural passes, on and off ---- */

static int count_ops(const Program *p, OpKind k)
{
	int n = 0;
	for (int i = 0; i < p->nops; i++)
		n += p->ops[i]->kind == k;
	return n;
}

/* Floats in every activation buffer a program uses (each its own). */
static size_t used_buffer_floats(const IR *ir)
{
	size_t n = 0;
	for (int i = 0; i < ir->ntensors; i++) {
		const Tensor *t = ir->tensors[i];
		if (t->kind == T_ACT && !t->base && t->first >= 0)
			n += (size_t)t->rows * (size_t)t->cols;
	}
	return n;
}

static IR *build_structural(bool zero_copy, bool stream, bool dyn_taps)
{
	FuseOpts fo = { .zero_copy = zero_copy, .stream_attn = stream, .dyn_taps_row = dyn_taps,
			.fold_q_scale = true, .fold_light_softmax = true };
	const char *d;
	IR *ir = build_with(mixed_wf, &fo, &d);
	CU_ASSERT_PTR_NOT_NULL(ir);
	CU_ASSERT_STRING_EQUAL(d, "");
	return ir;
}

/* mixed: encoder layer 1 and both decoder layers have two branches each,
 * so with the pass off each program copies every branch's slice out and
 * its result back: 2 layers x 2 branches x 2 in decode_step, 1 x 2 x 2
 * in encode; pre-norm, so the way back is an add into x. */
static void test_zero_copy_removes_every_split_and_concat(void)
{
	IR *off = build_structural(false, true, true), *on = build_structural(true, true, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(off);
	CU_ASSERT_PTR_NOT_NULL_FATAL(on);
	CU_ASSERT_EQUAL(count_ops(&off->encode, OP_COPY), 2);
	CU_ASSERT_EQUAL(count_ops(&off->encode, OP_ADD), 2);
	CU_ASSERT_EQUAL(count_ops(&off->step, OP_COPY), 4);
	CU_ASSERT_EQUAL(count_ops(&off->step, OP_ADD), 4);
	for (int p = 0; p < 2; p++) {
		const Program *pr = p ? &on->step : &on->encode;
		CU_ASSERT_EQUAL(count_ops(pr, OP_COPY) + count_ops(pr, OP_ADD), 0);
	}
	CU_ASSERT_EQUAL(off->encode.nops - on->encode.nops, 4);
	/* the copies are buffers of their own: a branch's input and output,
	 * (max_source, 32) each, in encoder layer 1 */
	CU_ASSERT_EQUAL(used_buffer_floats(off) - used_buffer_floats(on), 4 * (size_t)mixed->max_source * 32 + 8 * 32);
}

/* Off: every attention op carries its score map, heads x rows x keys. */
static void test_stream_attention_drops_the_score_map(void)
{
	IR *off = build_structural(true, false, true), *on = build_structural(true, true, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(off);
	CU_ASSERT_PTR_NOT_NULL_FATAL(on);
	int seen = 0;
	for (int p = 0; p < 2; p++) {
		const Program *pf = p ? &off->step : &off->encode, *pn = p ? &on->step : &on->encode;
		for (int i = 0; i < pf->nops; i++) {
			const Op *o = pf->ops[i];
			if (o->kind != OP_ATTN)
				continue;
			seen++;
			CU_ASSERT_PTR_NOT_NULL_FATAL(o->in[3]);
			int rows = p ? 1 : mixed->max_source;
			int keys = o->krows == RW_POS1 ? mixed->max_target : mixed->max_source;
			CU_ASSERT_EQUAL(o->in[3]->rows, o->heads * rows);
			CU_ASSERT_EQUAL(o->in[3]->cols, keys);
		}
		for (int i = 0; i < pn->nops; i++)
			if (pn->ops[i]->kind == OP_ATTN)
				CU_ASSERT_PTR_NULL(pn->ops[i]->in[3]);
	}
	CU_ASSERT(seen >= 4);
	CU_ASSERT(off->arena_lower_bound > on->arena_lower_bound);
}

/* Off: a LINEAR writes every row's taps (n, H*K) and the conv reads them;
 * on: that linear is gone into the conv, which has a one-row scratch. */
static void test_dyn_taps_move_into_the_conv(void)
{
	IR *off = build_structural(true, true, false), *on = build_structural(true, true, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(off);
	CU_ASSERT_PTR_NOT_NULL_FATAL(on);
	const char *taps_w = "encoder.layers.1.self_attn.branches.0.weight_linear.weight";
	Op *lin = op_with_weight(&off->encode, taps_w), *conv = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(lin);
	CU_ASSERT_EQUAL(lin->kind, OP_LINEAR);
	CU_ASSERT_PTR_NULL(lin->in[2]);                 /* weight_linear has no bias */
	CU_ASSERT_EQUAL(lin->out->rows, mixed->max_source);
	CU_ASSERT_EQUAL(lin->out->cols, 2 * 9);
	for (int i = 0; i < off->encode.nops; i++)
		if (off->encode.ops[i]->kind == OP_CONV_DYN)
			conv = off->encode.ops[i];
	CU_ASSERT_PTR_NOT_NULL_FATAL(conv);
	CU_ASSERT_TRUE(conv->taps_in);
	CU_ASSERT_PTR_EQUAL(conv->in[3], lin->out);
	Op *c2 = op_with_weight(&on->encode, taps_w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	CU_ASSERT_EQUAL(c2->kind, OP_CONV_DYN);
	CU_ASSERT_FALSE(c2->taps_in);
	CU_ASSERT_EQUAL(c2->in[3]->rows, 1);
	CU_ASSERT_EQUAL(off->encode.nops - on->encode.nops, 1);
}

/* ---- the memory plan ---- */

static size_t floats(const Tensor *t) { return (size_t)t->rows * (size_t)t->cols; }

static void test_plan_live_buffers_do_not_overlap(void)
{
	IR *ir = build_ok(true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	int n = 0, pairs = 0;
	Tensor **b = malloc(sizeof *b * (size_t)ir->ntensors);
	for (int i = 0; i < ir->ntensors; i++) {
		Tensor *t = ir->tensors[i];
		if (t->kind == T_ACT && !t->base && t->first >= 0)
			b[n++] = t;
	}
	CU_ASSERT(n > 10);
	for (int i = 0; i < n; i++) {
		CU_ASSERT(b[i]->first <= b[i]->last);
		CU_ASSERT(b[i]->off + floats(b[i]) <= ir->arena_floats);
		for (int j = i + 1; j < n; j++) {
			bool live_together = b[i]->prog == b[j]->prog &&
				b[i]->first <= b[j]->last && b[j]->first <= b[i]->last;
			if (!live_together)
				continue;
			pairs++;
			bool apart = b[i]->off + floats(b[i]) <= b[j]->off || b[j]->off + floats(b[j]) <= b[i]->off;
			if (!apart)
				fprintf(stderr, "\n%s [%zu, +%zu) and %s [%zu, +%zu) overlap\n", b[i]->name, b[i]->off,
					floats(b[i]), b[j]->name, b[j]->off, floats(b[j]));
			CU_ASSERT_TRUE(apart);
		}
	}
	CU_ASSERT(pairs > 0);
	free(b);
	CU_ASSERT(ir->arena_floats >= ir->arena_lower_bound);
	CU_ASSERT(ir->arena_naive >= ir->arena_floats);
	CU_ASSERT(ir->arena_lower_bound > 0);
}

static void test_plan_intervals_cover_every_use(void)
{
	IR *ir = build_ok(true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	for (int p = 0; p < 2; p++) {
		const Program *pr = p ? &ir->step : &ir->encode;
		for (int i = 0; i < pr->nops; i++) {
			Op *o = pr->ops[i];
			Tensor *use[OP_MAX_IN + 1] = { o->out };
			memcpy(use + 1, o->in, sizeof o->in);
			for (int k = 0; k <= OP_MAX_IN; k++) {
				Tensor *t = use[k];
				if (!t)
					continue;
				t = t->base ? t->base : t;
				if (t->kind != T_ACT)
					continue;
				CU_ASSERT(t->prog == p && t->first <= i && i <= t->last);
			}
		}
	}
}

static void test_plan_state_is_disjoint(void)
{
	IR *ir = build_ok(true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	int n = 0;
	for (int i = 0; i < ir->ntensors; i++) {
		Tensor *s = ir->tensors[i];
		if (s->kind != T_STATE || s->base)
			continue;
		n++;
		CU_ASSERT(s->off + floats(s) <= ir->state_floats);
		for (int j = i + 1; j < ir->ntensors; j++) {
			Tensor *t = ir->tensors[j];
			if (t->kind == T_STATE && !t->base)
				CU_ASSERT(s->off + floats(s) <= t->off || t->off + floats(t) <= s->off);
		}
	}
	/* K/V caches of 4 self-attention branches... at least the 2 decoder
	 * layers' self and cross caches and the conv histories */
	CU_ASSERT(n >= 8);
}

/* ---- the q-scale fold ---- */

static const struct { const char *pfx; int width, heads; } qs[] = {
	{ "encoder.layers.0.self_attn.", 64, 4 },
	{ "encoder.layers.1.self_attn.branches.1.", 32, 2 },
	{ "decoder.layers.0.self_attn.branches.0.", 32, 4 },
	{ "decoder.layers.1.self_attn.branches.0.", 32, 4 },
	{ "decoder.layers.0.encoder_attn.", 64, 2 },
	{ "decoder.layers.1.encoder_attn.", 64, 2 },
};

static bool close_to(float got, double want)
{
	return fabs(got - want) <= 1e-6 * fabs(want) + 1e-12;
}

static void test_q_scale_folded_into_weights(void)
{
	IR *ir = build_ok(true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	for (int p = 0; p < 2; p++) {
		const Program *pr = p ? &ir->step : &ir->encode;
		for (int i = 0; i < pr->nops; i++)
			if (pr->ops[i]->kind == OP_LINEAR)
				CU_ASSERT_EQUAL(pr->ops[i]->scale, 1.0f);
	}
	for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
		const char *wn = arena_printf("%sq_proj.weight", qs[k].pfx), *bn = arena_printf("%sq_proj.bias", qs[k].pfx);
		Op *o = op_with_weight(&ir->encode, wn);
		if (!o)
			o = op_with_weight(&ir->step, wn);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(o->kind, OP_LINEAR);
		double s = pow((double)qs[k].width / qs[k].heads, -0.5);
		WTensor *fw = wf_find(mixed_wf, wn), *fb = wf_find(mixed_wf, bn);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fw);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fb);
		int bad = 0;
		for (int64_t i = 0; i < fw->numel; i++)
			bad += !close_to(o->in[1]->data[i], fw->data[i] * s);
		for (int64_t i = 0; i < fb->numel; i++)
			bad += !close_to(o->in[2]->data[i], fb->data[i] * s);
		if (bad)
			fprintf(stderr, "\n%s: %d values not scaled by %g\n", wn, bad, s);
		CU_ASSERT_EQUAL(bad, 0);
		/* k is not scaled */
		Tensor *kw = weight_named(ir, arena_printf("%sk_proj.weight", qs[k].pfx));
		CU_ASSERT_PTR_NOT_NULL_FATAL(kw);
		CU_ASSERT_EQUAL(memcmp(kw->data, wf_find(mixed_wf, kw->src)->data, sizeof(float) * (size_t)(kw->rows * kw->cols)), 0);
	}
}

static void test_q_scale_at_run_time_without_the_fold(void)
{
	IR *ir = build_ok(false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
		const char *wn = arena_printf("%sq_proj.weight", qs[k].pfx);
		Op *o = op_with_weight(&ir->encode, wn);
		if (!o)
			o = op_with_weight(&ir->step, wn);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_TRUE(close_to(o->scale, pow((double)qs[k].width / qs[k].heads, -0.5)));
		WTensor *fw = wf_find(mixed_wf, wn);
		CU_ASSERT_EQUAL(memcmp(o->in[1]->data, fw->data, sizeof(float) * (size_t)fw->numel), 0);
	}
}

/* ---- weight files that do not fit ---- */

/* Write mixed's tensors as F32 to `name`, without `skip`, with `swap`'s
 * two dimensions swapped, plus a (2,2) tensor `extra`, and `nan_in`
 * holding a NaN at index 1; returns the path. NULL arguments: no change. */
static const char *write_variant(const char *name, const char *skip, const char *swap, const char *extra, const char *nan_in)
{
	char *hdr = arena_strdup("{");
	size_t off = 0;
	for (int i = 0; i < mixed_wf->n; i++) {
		const WTensor *t = &mixed_wf->t[i];
		if (skip && !strcmp(t->name, skip))
			continue;
		char *shape = arena_strdup("");
		for (int d = 0; d < t->ndim; d++) {
			int dd = swap && !strcmp(t->name, swap) && t->ndim == 2 ? 1 - d : d;
			shape = arena_printf("%s%s%lld", shape, d ? "," : "", (long long)t->shape[dd]);
		}
		size_t n = (size_t)t->numel * 4;
		hdr = arena_printf("%s%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%s],\"data_offsets\":[%zu,%zu]}",
				   hdr, off ? "," : "", t->name, shape, off, off + n);
		off += n;
	}
	if (extra) {
		hdr = arena_printf("%s,\"%s\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[%zu,%zu]}", hdr, extra, off, off + 16);
		off += 16;
	}
	hdr = arena_printf("%s}", hdr);
	size_t hl = strlen(hdr);
	unsigned char *buf = calloc(1, 8 + hl + off);
	for (int i = 0; i < 8; i++)
		buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
	memcpy(buf + 8, hdr, hl);
	unsigned char *p = buf + 8 + hl;
	for (int i = 0; i < mixed_wf->n; i++) {
		const WTensor *t = &mixed_wf->t[i];
		if (skip && !strcmp(t->name, skip))
			continue;
		for (int64_t k = 0; k < t->numel; k++) {
			float v = nan_in && !strcmp(t->name, nan_in) && k == 1 ? NAN : t->data[k];
			uint32_t u;
			memcpy(&u, &v, 4);
			for (int b = 0; b < 4; b++)
				*p++ = (unsigned char)(u >> (8 * b));
		}
	}
	const char *path = tmp_path(name);
	bool ok = write_bytes(path, buf, 8 + hl + off);
	free(buf);
	CU_ASSERT_TRUE_FATAL(ok);
	return path;
}

static WeightFile *load_quiet(const char *path)
{
	cap_begin();
	WeightFile *wf = wf_load(path, WEIGHTS_MAX_BYTES);
	const char *d = cap_end();
	if (!wf)
		fprintf(stderr, "\n%s", d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
	return wf;
}

static void test_rewritten_file_lowers_like_the_original(void)
{
	/* the writer below is sound: an unchanged copy lowers cleanly */
	WeightFile *wf = load_quiet(write_variant("copy.safetensors", NULL, NULL, NULL, NULL));
	const char *d;
	CU_ASSERT_PTR_NOT_NULL(build(wf, true, &d));
	CU_ASSERT_STRING_EQUAL(d, "");
}

static void test_missing_tensor_is_named(void)
{
	const char *p = write_variant("missing.safetensors", "decoder.layers.1.fc2.bias", NULL, NULL, NULL);
	const char *d;
	CU_ASSERT_PTR_NULL(build(load_quiet(p), true, &d));
	CU_ASSERT_TRUE(has_text(d, "models/mixed.ltd:"));
	CU_ASSERT_TRUE(has_text(d, arena_printf(": error: missing tensor 'decoder.layers.1.fc2.bias' (shape (64,)) in %s\n", p)));
	CU_ASSERT_EQUAL(diag_error_count(), 1);
}

static void test_wrongly_shaped_tensor_is_named(void)
{
	const char *p = write_variant("swapped.safetensors", NULL, "encoder.layers.0.fc1.weight", NULL, NULL);
	const char *d;
	CU_ASSERT_PTR_NULL(build(load_quiet(p), true, &d));
	CU_ASSERT_TRUE(has_text(d, ": error: tensor 'encoder.layers.0.fc1.weight' has shape (64, 96), expected (96, 64)\n"));
}

static void test_non_finite_weight_is_refused(void)
{
	const char *p = write_variant("nan.safetensors", NULL, NULL, NULL, "decoder.layers.0.fc1.bias");
	const char *d;
	CU_ASSERT_PTR_NULL(build(load_quiet(p), true, &d));
	CU_ASSERT_TRUE(has_text(d, ": error: tensor 'decoder.layers.0.fc1.bias' holds a non-finite value at index 1\n"));
}

static void test_unused_tensor_only_warns(void)
{
	const char *p = write_variant("extra.safetensors", NULL, NULL, "decoder.surplus", NULL);
	const char *d;
	CU_ASSERT_PTR_NOT_NULL(build(load_quiet(p), true, &d));
	CU_ASSERT_EQUAL(diag_error_count(), 0);
	CU_ASSERT_TRUE(has_text(d, arena_printf("models/mixed.ltd: warning: tensor 'decoder.surplus' in %s is not used by the model\n", p)));
}

void register_lower_suite(void)
{
	CU_pSuite s = CU_add_suite("lower", setup, NULL);
	if (!s)
		unit_register_failed("suite lower");
	ADD_TEST(s, test_programs_are_not_empty);
	ADD_TEST(s, test_weights_have_declared_shapes);
	ADD_TEST(s, test_every_weight_matches_its_file_tensor);
	ADD_TEST(s, test_branch_outputs_are_views_of_one_buffer);
	ADD_TEST(s, test_zero_copy_removes_every_split_and_concat);
	ADD_TEST(s, test_stream_attention_drops_the_score_map);
	ADD_TEST(s, test_dyn_taps_move_into_the_conv);
	ADD_TEST(s, test_plan_live_buffers_do_not_overlap);
	ADD_TEST(s, test_plan_intervals_cover_every_use);
	ADD_TEST(s, test_plan_state_is_disjoint);
	ADD_TEST(s, test_q_scale_folded_into_weights);
	ADD_TEST(s, test_q_scale_at_run_time_without_the_fold);
	ADD_TEST(s, test_rewritten_file_lowers_like_the_original);
	ADD_TEST(s, test_missing_tensor_is_named);
	ADD_TEST(s, test_wrongly_shaped_tensor_is_named);
	ADD_TEST(s, test_non_finite_weight_is_refused);
	ADD_TEST(s, test_unused_tensor_only_warns);
}
