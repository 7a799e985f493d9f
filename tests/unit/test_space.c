/* test_space.c — search spaces (space.c) and the cost model (cost.c):
 * choices and ranges in the syntax, a model refusing them, a space's
 * dimensions and the .ltd text of a candidate, and the price of a program
 * as the sum of its kernel calls' prices. */
#include <CUnit/CUnit.h>
#include <string.h>
#include "unit.h"

static Node *parse_text(const char *text, const char **diags)
{
	Node *root = NULL;
	cap_begin();
	bool ok = ast_parse(src_from_string("s.ltd", text), &root);
	*diags = cap_end();
	return ok ? root : NULL;
}

static void test_choices_and_ranges(void)
{
	const char *d;
	Node *r = parse_text("x [1 .. 7 step 3] [a b] [2..4];\n", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	const Value *c = r->vals;
	CU_ASSERT_EQUAL_FATAL(c->kind, V_CHOICE);
	CU_ASSERT_EQUAL_FATAL(c->nalts, 3);
	CU_ASSERT_EQUAL(c->alts->ival, 1);
	CU_ASSERT_EQUAL(c->alts->next->ival, 4);
	CU_ASSERT_EQUAL(c->alts->next->next->ival, 7);
	CU_ASSERT_EQUAL(c->next->nalts, 2);
	CU_ASSERT_STRING_EQUAL(c->next->alts->next->s, "b");
	CU_ASSERT_EQUAL(c->next->next->nalts, 3);  /* 2..4 without spaces */
	CU_ASSERT_EQUAL(c->next->next->alts->next->next->ival, 4);
	/* at the ends of long: no overflow, both values */
	r = parse_text("x [9223372036854775806 .. 9223372036854775807] [-9223372036854775807 .. 9223372036854775807 step 9223372036854775807];\n", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->vals->nalts, 2);
	CU_ASSERT_EQUAL(r->vals->alts->next->ival, 9223372036854775807L);
	CU_ASSERT_EQUAL(r->vals->next->nalts, 3);
	CU_ASSERT_EQUAL(r->vals->next->alts->next->next->ival, 9223372036854775807L);
}

static void test_bad_ranges_are_errors_at_their_place(void)
{
	const char *d;
	CU_ASSERT_PTR_NULL(parse_text("x [5 .. 2];\n", &d));
	CU_ASSERT_TRUE(has_text(d, "s.ltd:1:6: error: empty range: 5 .. 2"));
	CU_ASSERT_PTR_NULL(parse_text("x [1 ..];\n", &d));
	CU_ASSERT_TRUE(has_text(d, "error: a range is 'LOW .. HIGH'"));
	CU_ASSERT_PTR_NULL(parse_text("x [1 .. 9 step 0];\n", &d));
	CU_ASSERT_TRUE(has_text(d, "error: 'step' takes a positive integer"));
	CU_ASSERT_PTR_NULL(parse_text("x [0 .. 9999999];\n", &d));
	CU_ASSERT_TRUE(has_text(d, "has too many values"));
	CU_ASSERT_PTR_NULL(parse_text("x 1 .. 3;\n", &d));  /* a range only inside [ ] */
}

static void test_model_refuses_a_choice(void)
{
	const char *d;
	Node *r = parse_text("model m { dim [64 128]; }\n", &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	cap_begin();
	CU_ASSERT_PTR_NULL(check_model(r, "s.ltd"));
	CU_ASSERT_TRUE(has_text(cap_end(), "s.ltd:1:15: error: a choice [...] belongs in a search space"));
}

static const char space_text[] =
	"model sp {\n"
	"  dim [64 128];\n"
	"  vocab 50;\n"
	"  max_source 40;\n"
	"  max_target 40;\n"
	"  embeddings shared;\n"
	"  encoder {\n"
	"    layers [0 2];\n"
	"    split [0.25 1];\n"
	"    heads 4;\n"
	"    conv lightweight;\n"
	"    glu no;\n"
	"    kernels [3 5];\n"
	"  }\n"
	"  decoder {\n"
	"    layers 1;\n"
	"    ffn_mult [2] gelu;\n"
	"    split 0.5;\n"
	"    heads 2;\n"
	"    kernels 3;\n"
	"    cross_attention heads 4;\n"
	"  }\n"
	"}\n";

static Space *load(const char *text, const char **diags)
{
	const char *p = tmp_path("space.ltd");
	CU_ASSERT_TRUE_FATAL(write_bytes(p, text, strlen(text)));
	cap_begin();
	Space *sp = space_load(p);
	*diags = cap_end();
	return sp;
}

static void test_space_dimensions(void)
{
	const char *d;
	Space *sp = load(space_text, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
	/* dim, encoder.layers, encoder.split, two per-layer kernels, ffn_mult */
	CU_ASSERT_EQUAL(sp->ndim, 6);
	CU_ASSERT_STRING_EQUAL(sp->dims[0].what, "dim");
	CU_ASSERT_STRING_EQUAL(sp->dims[3].what, "encoder.kernel0");
	CU_ASSERT_EQUAL(sp->dims[4].layer, 1);
	CU_ASSERT_DOUBLE_EQUAL(sp->size, 2 * 2 * 2 * 2 * 2 * 1, 0);
}

static void test_candidate_text(void)
{
	const char *d;
	Space *sp = load(space_text, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
	int g[6] = { 1, 1, 0, 1, 0, 0 };  /* D 128, 2 encoder layers, split 0.25, kernels 5 3 */
	const char *t = space_render(sp, g, "sp_x");
	CU_ASSERT_TRUE(has_text(t, "model sp_x {\n  weights \"sp_x.safetensors\";\n  dim 128;\n"));
	CU_ASSERT_TRUE(has_text(t, "    kernels 5 3;\n    branch attn 32 heads 4;\n    branch lightweight 96 heads 4;\n"));
	CU_ASSERT_TRUE(has_text(t, "    ffn 256 gelu;\n"));
	CU_ASSERT_TRUE(has_text(t, "cross_attention heads 4;"));
	/* the text is a model the compiler takes */
	Node *root;
	cap_begin();
	CU_ASSERT_TRUE(ast_parse(src_from_string("c.ltd", t), &root) && check_model(root, "c.ltd"));
	CU_ASSERT_STRING_EQUAL(cap_end(), "");
	/* no encoder layers: a language model, without what only an encoder needs */
	g[1] = 0;
	t = space_render(sp, g, "sp_y");
	CU_ASSERT_FALSE(strstr(t, "encoder") || strstr(t, "cross_attention") || strstr(t, "max_source") ||
			strstr(t, "embeddings"));
	CU_ASSERT_TRUE(has_text(t, "    branch attn 64 heads 2;\n    branch dynamic 64 heads 2 glu;\n"));
	/* ... and its encoder kernels are not looked at */
	space_canonical(sp, g);
	CU_ASSERT_EQUAL(g[3], 0);
	CU_ASSERT_FALSE(space_dim_used(sp, g, 4));
	/* an all-attention encoder: no conv branch, its kernels moot */
	int h[6] = { 1, 1, 1, 1, 0, 0 };
	t = space_render(sp, h, "sp_z");
	CU_ASSERT_TRUE(has_text(t, "    branch attn 128 heads 4;\n  }"));
	CU_ASSERT_FALSE(strstr(t, "kernels 5") != NULL);
	CU_ASSERT_FALSE(space_dim_used(sp, h, 3));
	CU_ASSERT_TRUE(space_dim_used(sp, h, 2));
}

static void test_space_errors(void)
{
	const char *d;
	CU_ASSERT_PTR_NULL(load("model s { dim 64; decoder { layers 1; split 1.5; } }\n", &d));
	CU_ASSERT_TRUE(has_text(d, "error: 'split' takes a share of D from 0 to 1"));
	CU_ASSERT_PTR_NULL(load("model s { dim 64; decoder { layers 1; split 0.5; branch attn 64 heads 4; } }\n", &d));
	CU_ASSERT_TRUE(has_text(d, "either writes its branches or searches them"));
	CU_ASSERT_PTR_NULL(load("model s { dim 64; weights \"w\"; decoder { layers 1; heads 2; } }\n", &d));
	CU_ASSERT_TRUE(has_text(d, "a space has no weights"));
	CU_ASSERT_PTR_NULL(load("model s { dim 64; decoder { layers [1 99]; heads 2; } }\n", &d));
	CU_ASSERT_TRUE(has_text(d, "layers must be an integer from 0 to 64"));
}

/* A program's price is the sum of its calls' prices: priced at one cycle a
 * MAC it is the run's MACs, at one a call its calls. */
static void test_cost_sums_calls(void)
{
	Node *root;
	SrcFile *src = src_read("models/mixed.ltd");
	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	CU_ASSERT_TRUE_FATAL(ast_parse(src, &root));
	Model *m = check_model(root, "models/mixed.ltd");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	IR *ir = lower_model(m, wf_synthetic());
	CU_ASSERT_PTR_NOT_NULL_FATAL(ir);
	fuse_program(ir, &fuse_all);
	plan_memory(ir);
	Target t = { .clock_mhz = 100, .macs_per_cycle = 1 };
	for (int k = 0; k < K_COUNT; k++)
		t.kcost[PROG_ENCODE][k] = t.kcost[PROG_STEP][k] = (KCost){ true, 0, 1, 0 };
	Cost c = cost_estimate(ir, &t);
	double macs = 0, calls = 0;
	KCall kc[KERN_MAX_CALLS];
	int T = cost_length(m);
	CU_ASSERT_EQUAL(c.T, T);
	for (int i = 0; i < ir->encode.nops; i++)
		for (int j = 0, n = kern_calls(ir->encode.ops[i], T, kc); j < n; j++, calls++)
			macs += kern_macs(&kc[j]);
	for (int s = 1; s <= T; s++)
		for (int i = 0; i < ir->step.nops; i++)
			for (int j = 0, n = kern_calls(ir->step.ops[i], s, kc); j < n; j++, calls++)
				macs += kern_macs(&kc[j]);
	CU_ASSERT_DOUBLE_EQUAL(c.enc_cycles + c.step_cycles, macs, 1e-6 * macs);
	CU_ASSERT_DOUBLE_EQUAL(c.macs, macs, 1e-9 * macs);
	CU_ASSERT_DOUBLE_EQUAL(c.ms, macs / 1e5, 1e-9 * macs);
	for (int k = 0; k < K_COUNT; k++)
		t.kcost[PROG_ENCODE][k] = t.kcost[PROG_STEP][k] = (KCost){ true, 1, 0, 0 };
	t.glue_run[PROG_ENCODE] = t.glue_run[PROG_STEP] = 1000;  /* once for the encoder, once a step */
	c = cost_estimate(ir, &t);
	CU_ASSERT_DOUBLE_EQUAL(c.enc_cycles + c.step_cycles, calls + 1000.0 * (T + 1), 1e-9);
}

void register_space_suite(void)
{
	CU_pSuite s = CU_add_suite("space", NULL, NULL);
	ADD_TEST(s, test_choices_and_ranges);
	ADD_TEST(s, test_bad_ranges_are_errors_at_their_place);
	ADD_TEST(s, test_model_refuses_a_choice);
	ADD_TEST(s, test_space_dimensions);
	ADD_TEST(s, test_candidate_text);
	ADD_TEST(s, test_space_errors);
	ADD_TEST(s, test_cost_sums_calls);
}
