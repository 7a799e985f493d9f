/* test_check.c — the .ltd semantics (check.c): what a valid description
 * turns into (defaults, broadcasts, prefixes, channel offsets), and each
 * error, asserted on its text and line:col. */
#include <CUnit/CUnit.h>
#include <string.h>
#include "unit.h"

/* Parse and check `text` as file `path`; diagnostics into *diags. */
static Model *check_as(const char *path, const char *text, const char **diags)
{
	Node *root = NULL;
	cap_begin();
	bool parsed = ast_parse(src_from_string(path, text), &root);
	Model *m = parsed ? check_model(root, path) : NULL;
	*diags = cap_end();
	if (!parsed)
		fprintf(stderr, "\n--- unexpected syntax error:\n%s", *diags);
	return m;
}

static Model *check_ok(const char *text)
{
	const char *d;
	Model *m = check_as("t.ltd", text, &d);
	if (!m || *d)
		fprintf(stderr, "\n--- expected a clean check, got:\n%s", d);
	CU_ASSERT_PTR_NOT_NULL(m);
	CU_ASSERT_STRING_EQUAL(d, "");
	return m;
}

/* check_model fails, counts an error and prints `want` among its output. */
static bool check_fails(const char *text, const char *want)
{
	const char *d;
	Model *m = check_as("t.ltd", text, &d);
	if (m)
		fprintf(stderr, "\n--- expected an error, the check passed\n");
	return !m && diag_error_count() > 0 && has_text(d, want);
}
#define CHECK_FAILS(text, want) CU_ASSERT_TRUE(check_fails(text, want))

/* A decoder-only model with D=8; lines 1-5. */
#define LM_HEAD "model t {\n  weights \"w.safetensors\";\n  dim 8;\n  vocab 8;\n  max_target 8;\n"
/* Its decoder: 5 lines. */
#define LM_DEC  "  decoder {\n    layers 1;\n    branch attn 4 heads 2;\n" \
		"    branch lightweight 4 heads 2 kernel 3;\n  }\n"

/* ---- valid descriptions ---- */

static const char lsra[] =
	"model t {\n"                            /*  1 */
	"  weights \"w.safetensors\";\n"         /*  2 */
	"  dim 8;\n"                             /*  3 */
	"  vocab 16;\n"                          /*  4 */
	"  max_source 10;\n"                     /*  5 */
	"  max_target 12;\n"                     /*  6 */
	"  tokens bos 5 pad 6 eos 7 unk 8;\n"    /*  7 */
	"  embeddings shared;\n"                 /*  8 */
	"  encoder {\n"                          /*  9 */
	"    layers 2;\n"                        /* 10 */
	"    kernels 3 5;\n"                     /* 11 */
	"    branch attn 4 heads 2;\n"           /* 12 */
	"    branch dynamic 4 heads 2 glu;\n"    /* 13 */
	"  }\n"                                  /* 14 */
	"  decoder {\n"                          /* 15 */
	"    layers 2;\n"                        /* 16 */
	"    norm pre;\n"                        /* 17 */
	"    final_norm yes;\n"                  /* 18 */
	"    ffn 16 gelu;\n"                     /* 19 */
	"    weight_softmax no;\n"               /* 20 */
	"    kernels 7;\n"                       /* 21 */
	"    branch lightweight 4 heads 1;\n"    /* 22 */
	"    branch attn 4 heads 4;\n"           /* 23 */
	"    cross_attention heads 2;\n"         /* 24 */
	"  }\n"
	"}\n";

static void test_valid_lsra_encoder_decoder(void)
{
	const char *d;
	Model *m = check_as("dir/sub/t.ltd", lsra, &d);
	CU_ASSERT_STRING_EQUAL(d, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->name, "t");
	CU_ASSERT_FALSE(m->is_lm);
	CU_ASSERT_EQUAL(m->dim, 8);
	CU_ASSERT_EQUAL(m->src_vocab, 16);
	CU_ASSERT_EQUAL(m->tgt_vocab, 16);
	CU_ASSERT_EQUAL(m->max_source, 10);
	CU_ASSERT_EQUAL(m->max_target, 12);
	CU_ASSERT_EQUAL(m->bos, 5);
	CU_ASSERT_EQUAL(m->pad, 6);
	CU_ASSERT_EQUAL(m->eos, 7);
	CU_ASSERT_EQUAL(m->unk, 8);
	CU_ASSERT_TRUE(m->shared_embed);
	CU_ASSERT_TRUE(m->tied_output);                  /* the default */
	/* the weights path is relative to the .ltd's folder */
	CU_ASSERT_STRING_EQUAL(m->weights_path, "dir/sub/w.safetensors");
	CU_ASSERT_EQUAL(m->weights_loc.line, 2);
	CU_ASSERT_EQUAL(m->weights_loc.col, 11);

	const Stack *e = &m->enc;
	CU_ASSERT_TRUE(e->present);
	CU_ASSERT_EQUAL_FATAL(e->nlayers, 2);
	CU_ASSERT_FALSE(e->pre_norm);                    /* defaults: post-norm, */
	CU_ASSERT_FALSE(e->final_norm);                  /* no final norm, */
	CU_ASSERT_EQUAL(e->ffn, 8);                      /* ffn = D, */
	CU_ASSERT_EQUAL(e->act, ACT_RELU);               /* relu, */
	CU_ASSERT_TRUE(e->weight_softmax);               /* softmaxed kernels */
	CU_ASSERT_EQUAL(e->cross_heads, 0);
	for (int i = 0; i < 2; i++) {
		const Layer *L = &e->layers[i];
		CU_ASSERT_FALSE(L->plain);
		CU_ASSERT_EQUAL_FATAL(L->nbranch, 2);
		CU_ASSERT_EQUAL(L->br[0].kind, BR_ATTN);
		CU_ASSERT_EQUAL(L->br[0].width, 4);
		CU_ASSERT_EQUAL(L->br[0].heads, 2);
		CU_ASSERT_EQUAL(L->br[1].kind, BR_DYN);
		CU_ASSERT_EQUAL(L->br[1].width, 4);
		CU_ASSERT_TRUE(L->br[1].glu);
		CU_ASSERT_FALSE(L->br[0].glu);
	}
	CU_ASSERT_EQUAL(e->layers[0].br[1].kernel, 3);   /* one size per layer */
	CU_ASSERT_EQUAL(e->layers[1].br[1].kernel, 5);

	const Stack *dd = &m->dec;
	CU_ASSERT_TRUE(dd->present);
	CU_ASSERT_TRUE(dd->pre_norm);
	CU_ASSERT_TRUE(dd->final_norm);
	CU_ASSERT_EQUAL(dd->ffn, 16);
	CU_ASSERT_EQUAL(dd->act, ACT_GELU);
	CU_ASSERT_FALSE(dd->weight_softmax);
	CU_ASSERT_EQUAL(dd->cross_heads, 2);
	CU_ASSERT_EQUAL_FATAL(dd->nlayers, 2);
	CU_ASSERT_EQUAL(dd->layers[1].br[0].kind, BR_LIGHT);
	CU_ASSERT_EQUAL(dd->layers[1].br[0].heads, 1);
	CU_ASSERT_EQUAL(dd->layers[1].br[1].heads, 4);
	CU_ASSERT_EQUAL(dd->layers[1].br[0].loc.line, 22);
	CU_ASSERT_EQUAL(dd->layers[1].br[0].loc.col, 5);
}

static void test_valid_language_model(void)
{
	Model *m = check_ok("model lm {\n  weights \"/abs/w.safetensors\";\n  dim 8;\n  vocab 10;\n"
			    "  max_target 6;\n  output separate;\n  decoder {\n    layers 1;\n"
			    "    attention heads 2;\n  }\n}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_TRUE(m->is_lm);
	CU_ASSERT_FALSE(m->enc.present);
	CU_ASSERT_TRUE(m->dec.present);
	CU_ASSERT_EQUAL(m->tgt_vocab, 10);
	CU_ASSERT_EQUAL(m->max_target, 6);
	CU_ASSERT_FALSE(m->tied_output);
	CU_ASSERT_FALSE(m->shared_embed);
	CU_ASSERT_STRING_EQUAL(m->weights_path, "/abs/w.safetensors");  /* absolute: as is */
	CU_ASSERT_EQUAL(m->bos, 0);                      /* fairseq's ids by default */
	CU_ASSERT_EQUAL(m->pad, 1);
	CU_ASSERT_EQUAL(m->eos, 2);
	CU_ASSERT_EQUAL(m->unk, 3);
	CU_ASSERT_EQUAL(m->dec.cross_heads, 0);
}

static void test_plain_attention_layer(void)
{
	Model *m = check_ok(LM_HEAD "  decoder {\n    layers 2;\n    attention heads 4;\n  }\n}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (int i = 0; i < 2; i++) {
		const Layer *L = &m->dec.layers[i];
		CU_ASSERT_TRUE(L->plain);
		CU_ASSERT_EQUAL_FATAL(L->nbranch, 1);
		CU_ASSERT_EQUAL(L->br[0].kind, BR_ATTN);
		CU_ASSERT_EQUAL(L->br[0].c0, 0);
		CU_ASSERT_EQUAL(L->br[0].width, 8);              /* all of D */
		CU_ASSERT_EQUAL(L->br[0].heads, 4);
		CU_ASSERT_STRING_EQUAL(L->br[0].prefix, "self_attn.");
	}
	CU_ASSERT_STRING_EQUAL(m->dec.layers[1].prefix, "decoder.layers.1.");
}

static const char overrides[] =
	"model t {\n  weights \"w\";\n  dim 12;\n  vocab 10;\n  max_target 6;\n"
	"  decoder {\n"
	"    layers 3;\n"
	"    prefix \"dec.\";\n"
	"    kernels 3;\n"
	"    branch attn 6 heads 2;\n"
	"    branch lightweight 6 heads 3;\n"
	"    layer 1 { attention heads 4; }\n"
	"    layer 2 { prefix \"custom.2.\"; }\n"
	"    layer 0 {\n"
	"      branch dynamic 2 heads 1 kernel 5 prefix \"conv.\";\n"
	"      branch attn 4 heads 2;\n"
	"      branch lightweight 6 heads 2;\n"
	"    }\n"
	"  }\n"
	"}\n";

static void test_per_layer_overrides(void)
{
	Model *m = check_ok(overrides);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	const Layer *L0 = &m->dec.layers[0], *L1 = &m->dec.layers[1], *L2 = &m->dec.layers[2];
	/* layer 0: its own three branches replace the default two */
	CU_ASSERT_EQUAL_FATAL(L0->nbranch, 3);
	CU_ASSERT_EQUAL(L0->br[0].kind, BR_DYN);
	CU_ASSERT_EQUAL(L0->br[1].kind, BR_ATTN);
	CU_ASSERT_EQUAL(L0->br[2].kind, BR_LIGHT);
	CU_ASSERT_EQUAL(L0->br[0].kernel, 5);            /* its own kernel */
	CU_ASSERT_EQUAL(L0->br[2].kernel, 3);            /* the stack's 'kernels' */
	CU_ASSERT_EQUAL(L0->br[2].heads, 2);
	CU_ASSERT_EQUAL(L0->loc.line, 14);
	/* layer 1: plain attention */
	CU_ASSERT_TRUE(L1->plain);
	CU_ASSERT_EQUAL_FATAL(L1->nbranch, 1);
	CU_ASSERT_EQUAL(L1->br[0].width, 12);
	CU_ASSERT_EQUAL(L1->br[0].heads, 4);
	/* layer 2: only a prefix, so the default branches */
	CU_ASSERT_FALSE(L2->plain);
	CU_ASSERT_EQUAL_FATAL(L2->nbranch, 2);
	CU_ASSERT_EQUAL(L2->br[0].kind, BR_ATTN);
	CU_ASSERT_EQUAL(L2->br[0].width, 6);
	CU_ASSERT_EQUAL(L2->br[1].kind, BR_LIGHT);
	CU_ASSERT_EQUAL(L2->br[1].heads, 3);
	CU_ASSERT_EQUAL(L2->br[1].kernel, 3);
}

static void test_default_prefixes(void)
{
	Model *m = check_ok(lsra);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->enc.prefix, "encoder.");
	CU_ASSERT_STRING_EQUAL(m->dec.prefix, "decoder.");
	CU_ASSERT_STRING_EQUAL(m->enc.layers[0].prefix, "encoder.layers.0.");
	CU_ASSERT_STRING_EQUAL(m->enc.layers[1].prefix, "encoder.layers.1.");
	CU_ASSERT_STRING_EQUAL(m->dec.layers[1].prefix, "decoder.layers.1.");
	CU_ASSERT_STRING_EQUAL(m->enc.layers[1].br[0].prefix, "self_attn.branches.0.");
	CU_ASSERT_STRING_EQUAL(m->enc.layers[1].br[1].prefix, "self_attn.branches.1.");

	Model *m4 = check_ok(LM_HEAD "  decoder {\n    layers 4;\n    attention heads 2;\n  }\n}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m4);
	CU_ASSERT_STRING_EQUAL(m4->dec.layers[3].prefix, "decoder.layers.3.");
	CU_ASSERT_STRING_EQUAL(m4->dec.layers[3].br[0].prefix, "self_attn.");

	/* a stack prefix moves the layer prefixes; explicit ones win */
	Model *o = check_ok(overrides);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(o->dec.layers[0].prefix, "dec.layers.0.");
	CU_ASSERT_STRING_EQUAL(o->dec.layers[1].prefix, "dec.layers.1.");
	CU_ASSERT_STRING_EQUAL(o->dec.layers[2].prefix, "custom.2.");
	CU_ASSERT_STRING_EQUAL(o->dec.layers[0].br[0].prefix, "conv.");
	CU_ASSERT_STRING_EQUAL(o->dec.layers[0].br[1].prefix, "self_attn.branches.1.");
	CU_ASSERT_STRING_EQUAL(o->dec.layers[0].br[2].prefix, "self_attn.branches.2.");
	CU_ASSERT_STRING_EQUAL(o->dec.layers[1].br[0].prefix, "self_attn.");
}

static void test_channel_offsets(void)
{
	Model *m = check_ok(overrides);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	const Layer *L0 = &m->dec.layers[0], *L2 = &m->dec.layers[2];
	CU_ASSERT_EQUAL(L0->br[0].c0, 0);
	CU_ASSERT_EQUAL(L0->br[0].width, 2);
	CU_ASSERT_EQUAL(L0->br[1].c0, 2);
	CU_ASSERT_EQUAL(L0->br[1].width, 4);
	CU_ASSERT_EQUAL(L0->br[2].c0, 6);
	CU_ASSERT_EQUAL(L0->br[2].width, 6);
	CU_ASSERT_EQUAL(L2->br[0].c0, 0);
	CU_ASSERT_EQUAL(L2->br[1].c0, 6);
	/* branch order is the channel order: conv first works too */
	Model *d = check_ok(lsra);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->dec.layers[0].br[0].kind, BR_LIGHT);
	CU_ASSERT_EQUAL(d->dec.layers[0].br[0].c0, 0);
	CU_ASSERT_EQUAL(d->dec.layers[0].br[1].c0, 4);
}

static void test_kernel_size_broadcast(void)
{
	Model *m = check_ok(LM_HEAD "  decoder {\n    layers 3;\n    kernels 31;\n"
			    "    branch attn 4 heads 2;\n    branch dynamic 4 heads 2;\n  }\n}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(m->dec.layers[i].br[1].kernel, 31);
}

static void test_kernel_list_per_layer_and_branch_override(void)
{
	Model *m = check_ok(LM_HEAD "  decoder {\n    layers 3;\n    kernels 3 5 7;\n"
			    "    branch attn 4 heads 2;\n    branch dynamic 4 heads 2;\n"
			    "    layer 1 {\n      branch attn 4 heads 2;\n      branch dynamic 4 heads 2 kernel 15;\n    }\n"
			    "  }\n}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->dec.layers[0].br[1].kernel, 3);
	CU_ASSERT_EQUAL(m->dec.layers[1].br[1].kernel, 15);
	CU_ASSERT_EQUAL(m->dec.layers[2].br[1].kernel, 7);
}

static void test_extra_kernel_sizes_only_warn(void)
{
	const char *d;
	Model *m = check_as("t.ltd", LM_HEAD "  decoder {\n    layers 1;\n    kernels 3 5;\n"
			    "    branch attn 4 heads 2;\n    branch dynamic 4 heads 2;\n  }\n}\n", &d);
	CU_ASSERT_PTR_NOT_NULL(m);
	CU_ASSERT_EQUAL(diag_error_count(), 0);
	CU_ASSERT_TRUE(has_text(d, "t.ltd:8:15: warning: 'kernels' lists 2 sizes for 1 layers; the extra ones are ignored\n"));
}

/* ---- errors ---- */

static void test_unknown_key(void)
{
	CHECK_FAILS(LM_HEAD "  foo 1;\n" LM_DEC "}\n",
		    "t.ltd:6:3: error: unknown key 'foo' in model\n   foo 1;\n   ^\n");
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    bar;\n  }\n}\n",
		    "t.ltd:8:5: error: unknown key 'bar' in decoder\n");
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    attention heads 2;\n    layer 0 { ffn 8; }\n  }\n}\n",
		    "t.ltd:9:15: error: unknown key 'ffn' in layer\n");
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    branch attn 8 heads 2 wide;\n  }\n}\n",
		    "t.ltd:8:27: error: unknown branch option 'wide'\n");
}

static void test_duplicate_key_notes_the_first(void)
{
	const char *want =
		"t.ltd:6:3: error: duplicate definition of 'dim'\n"
		"   dim 16;\n"
		"   ^\n"
		"t.ltd:3:3: note: first defined here\n"
		"   dim 8;\n"
		"   ^\n";
	CHECK_FAILS(LM_HEAD "  dim 16;\n" LM_DEC "}\n", want);
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    layers 2;\n    attention heads 2;\n  }\n}\n",
		    "t.ltd:8:5: error: duplicate definition of 'layers'\n     layers 2;\n     ^\n"
		    "t.ltd:7:5: note: first defined here\n");
}

static void test_width_not_divisible_by_heads(void)
{
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    attention heads 3;\n  }\n}\n",
		    "t.ltd:8:5: error: model width 8 is not divisible by 3 heads\n");
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    branch attn 4 heads 3;\n"
		    "    branch lightweight 4 heads 2 kernel 3;\n  }\n}\n",
		    "t.ltd:8:17: error: branch width 4 is not divisible by its 3 heads\n");
	CHECK_FAILS(LM_HEAD "  max_source 8;\n  encoder { layers 1; attention heads 2; }\n"
		    "  decoder {\n    layers 1;\n    attention heads 2;\n    cross_attention heads 3;\n  }\n}\n",
		    "t.ltd:11:27: error: model width 8 is not divisible by 3 cross-attention heads\n");
}

static void test_branch_widths_must_sum_to_dim(void)
{
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    branch attn 4 heads 2;\n"
		    "    branch lightweight 2 heads 2 kernel 3;\n  }\n}\n",
		    "t.ltd:8:5: error: decoder layer 0: branch widths sum to 6, but the model width is 8\n");
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 2;\n    attention heads 2;\n"
		    "    layer 1 { branch attn 4 heads 2; branch attn 8 heads 2; }\n  }\n}\n",
		    "t.ltd:9:15: error: decoder layer 1: branch widths sum to 12, but the model width is 8\n");
}

/* An encoder centres its kernels (K/2 each side): K must be odd there. */
#define ED_HEAD LM_HEAD "  max_source 8;\n"
#define ED_DEC  "  decoder {\n    layers 1;\n    branch attn 4 heads 2;\n" \
		"    branch lightweight 4 heads 2 kernel 3;\n    cross_attention heads 2;\n  }\n}\n"

/* fairseq pads an even encoder kernel (K-1)/2 before and K/2 after. */
static void test_even_kernel_in_encoder(void)
{
	Model *m = check_ok(ED_HEAD "  encoder {\n    layers 1;\n    branch attn 4 heads 2;\n"
			    "    branch lightweight 4 heads 2 kernel 4;\n  }\n" ED_DEC);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->enc.layers[0].br[1].kernel, 4);
}

/* The bands of an adaptive input or softmax: cut where the .ltd says, the
 * vocabulary ending the last, each floor(width / factor^i) wide. */
static void test_adaptive_bands(void)
{
	Model *m = check_ok(LM_HEAD "  adaptive_input 2 4 factor 2;\n  output adaptive 2 4 factor 2 tied tied_proj;\n"
			    LM_DEC "}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->ain.nband, 3);
	CU_ASSERT_EQUAL(m->ain.cut[2], 8);
	CU_ASSERT_EQUAL(m->ain.dim[0], 8);
	CU_ASSERT_EQUAL(m->ain.dim[1], 4);
	CU_ASSERT_EQUAL(m->ain.dim[2], 2);
	CU_ASSERT_TRUE(m->aout.tied && m->aout.tied_proj);
	m = check_ok(LM_HEAD "  output adaptive 3 8 factor 1.5;\n" LM_DEC "}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->aout.nband, 2);   /* a last cutoff at the vocabulary adds no band */
	CU_ASSERT_EQUAL(m->aout.dim[1], 5);  /* floor(8 / 1.5) */
}

static void test_adaptive_errors(void)
{
	CHECK_FAILS(LM_HEAD "  adaptive_input 4 9 factor 2;\n" LM_DEC "}\n",
		    "t.ltd:6:3: error: adaptive input cutoff 9 is beyond the vocabulary of 8\n");
	CHECK_FAILS(LM_HEAD "  adaptive_input 2 4 factor 4;\n" LM_DEC "}\n",
		    "t.ltd:6:3: error: adaptive input band 2 (ids 4 to 7) has width floor(8 / 4^2) = 0\n");
	CHECK_FAILS(LM_HEAD "  adaptive_input 4 4 factor 2;\n" LM_DEC "}\n",
		    "t.ltd:6:20: error: cutoffs must increase from 1: 4 after 4\n");
	CHECK_FAILS(LM_HEAD "  adaptive_input 4;\n" LM_DEC "}\n",
		    "t.ltd:6:17: error: expected the cutoffs, then 'factor F' (e.g. 'adaptive_input 20000 60000 factor 4')\n");
	CHECK_FAILS(LM_HEAD "  output adaptive 4 factor 2 tied;\n" LM_DEC "}\n",
		    "t.ltd:6:3: error: a tied adaptive softmax needs an 'adaptive_input' with the same cutoffs and factor\n");
	CHECK_FAILS(LM_HEAD "  adaptive_input 2 factor 2;\n  output adaptive 4 factor 2 tied;\n" LM_DEC "}\n",
		    "t.ltd:7:3: error: a tied adaptive softmax needs an 'adaptive_input' with the same cutoffs and factor\n");
	CHECK_FAILS(LM_HEAD "  output adaptive 4 factor 2 tied_proj;\n" LM_DEC "}\n",
		    "t.ltd:6:3: error: 'tied_proj' needs 'tied' (the tails' projections are tied to the adaptive input's)\n");
	CHECK_FAILS(LM_HEAD "  output adaptive 8 factor 2;\n" LM_DEC "}\n",
		    "t.ltd:6:3: error: an adaptive softmax needs a cutoff below the vocabulary of 8 (a tail)\n");
	CHECK_FAILS(LM_HEAD "  adaptive_input 4 factor 2;\n  output tied;\n" LM_DEC "}\n",
		    "t.ltd:7:3: error: with an adaptive input there is no one matrix to tie the output to "
		    "('output adaptive ... tied' or 'output separate')\n");
}

/* positions per model, overridden per stack; input_dim/output_dim */
static void test_positions_and_projections(void)
{
	Model *m = check_ok(ED_HEAD "  positions learned;\n  encoder {\n    positions none;\n    layers 1;\n"
			    "    branch attn 4 heads 2;\n    branch lightweight 4 heads 2 kernel 3;\n  }\n" ED_DEC);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->enc.pos, POS_NONE);
	CU_ASSERT_EQUAL(m->dec.pos, POS_LEARNED);
	CU_ASSERT_EQUAL(m->dec.in_dim, 8);
	m = check_ok(LM_HEAD "  output separate;\n  decoder {\n    input_dim 6;\n    output_dim 5;\n    layers 1;\n"
		     "    attention heads 2;\n  }\n}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->dec.in_dim, 6);
	CU_ASSERT_EQUAL(m->dec.out_dim, 5);
	CHECK_FAILS(LM_HEAD "  positions rotary;\n" LM_DEC "}\n",
		    "t.ltd:6:13: error: positions must be 'sinusoidal', 'learned' or 'none'\n");
	CHECK_FAILS(LM_HEAD "  output tied;\n  decoder {\n    input_dim 6;\n    layers 1;\n    attention heads 2;\n  }\n}\n",
		    "t.ltd:6:3: error: a tied output needs the decoder's output_dim (8) to equal its input_dim (6)\n");
}

/* A decoder pads causally (K-1 on the left): an even K is well defined. */
static void test_even_kernel_in_decoder(void)
{
	Model *m = check_ok(LM_HEAD "  decoder {\n    layers 2;\n    kernels 3 4;\n    branch attn 4 heads 2;\n"
			    "    branch lightweight 4 heads 2;\n  }\n}\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->dec.layers[1].br[1].kernel, 4);
}

static void test_kernel_below_one(void)
{
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    branch attn 4 heads 2;\n"
		    "    branch lightweight 4 heads 2 kernel 0;\n  }\n}\n",
		    "t.ltd:9:41: error: kernel size must be at least 1, not 0\n");
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    kernels -1;\n    branch attn 4 heads 2;\n"
		    "    branch lightweight 4 heads 2;\n  }\n}\n",
		    "t.ltd:8:13: error: kernel size must be at least 1, not -1\n");
}

static void test_kernel_list_too_short(void)
{
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 3;\n    kernels 3 5;\n    branch attn 4 heads 2;\n"
		    "    branch lightweight 4 heads 2;\n  }\n}\n",
		    "t.ltd:8:5: error: 'kernels' lists 2 sizes for 3 layers\n");
}

static void test_conv_branch_without_kernel(void)
{
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    branch attn 4 heads 2;\n"
		    "    branch dynamic 4 heads 2;\n  }\n}\n",
		    "t.ltd:9:5: error: convolution branch needs a kernel size ('kernel K' here or 'kernels' in the decoder)\n");
}

static void test_missing_required_keys(void)
{
	const char *d;
	CU_ASSERT_PTR_NULL(check_as("t.ltd", "model t {\n}\n", &d));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:1:1: error: model 't' needs 'dim N'\n"));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:1:1: error: model 't' needs 'weights \"FILE\"'\n"));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:1:1: error: model 't' needs a 'decoder { ... }' block\n"));
	CU_ASSERT_TRUE(has_text(d, "t.ltd:1:1: error: model 't' needs 'max_target N'\n"));
	CU_ASSERT_EQUAL(diag_error_count(), 4);
	/* vocabularies */
	CHECK_FAILS("model t {\n  weights \"w\";\n  dim 8;\n  max_target 8;\n" LM_DEC "}\n",
		    "t.ltd:1:1: error: model 't' needs 'vocab N'\n");
	CHECK_FAILS("model t {\n  weights \"w\";\n  dim 8;\n  src_vocab 8;\n  max_source 8;\n  max_target 8;\n"
		    "  encoder { layers 1; attention heads 2; }\n"
		    "  decoder { layers 1; attention heads 2; cross_attention heads 2; }\n}\n",
		    "t.ltd:1:1: error: model 't' needs 'vocab N' or both 'src_vocab' and 'tgt_vocab'\n");
	/* an encoder needs max_source */
	CHECK_FAILS(LM_HEAD "  encoder { layers 1; attention heads 2; }\n"
		    "  decoder { layers 1; attention heads 2; cross_attention heads 2; }\n}\n",
		    "t.ltd:1:1: error: model 't' needs 'max_source N'\n");
	/* a stack needs layers and branches */
	CHECK_FAILS(LM_HEAD "  decoder {\n    attention heads 2;\n  }\n}\n",
		    "t.ltd:6:3: error: decoder needs 'layers N'\n");
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 2;\n    layer 0 { attention heads 2; }\n  }\n}\n",
		    "t.ltd:6:3: error: decoder layer 1 has no branches (add 'branch ...' or 'attention heads N')\n");
	/* a statement missing its value */
	CHECK_FAILS(LM_HEAD "  max_source;\n" LM_DEC "}\n",
		    "t.ltd:6:13: error: 'max_source' needs 1 value\n");
}

static void test_shared_embeddings_need_one_vocabulary(void)
{
	CHECK_FAILS("model t {\n  weights \"w\";\n  dim 8;\n  src_vocab 8;\n  tgt_vocab 6;\n"
		    "  max_source 8;\n  max_target 8;\n  embeddings shared;\n"
		    "  encoder { layers 1; attention heads 2; }\n"
		    "  decoder { layers 1; attention heads 2; cross_attention heads 2; }\n}\n",
		    "t.ltd:8:3: error: shared embeddings need one vocabulary, not 8 and 6\n");
}

static void test_cross_attention_in_a_language_model(void)
{
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    attention heads 2;\n    cross_attention heads 2;\n  }\n}\n",
		    "t.ltd:9:5: error: a decoder-only model has no cross attention\n");
}

static void test_encoder_decoder_needs_cross_attention(void)
{
	CHECK_FAILS(LM_HEAD "  max_source 8;\n  encoder { layers 1; attention heads 2; }\n"
		    "  decoder {\n    layers 1;\n    attention heads 2;\n  }\n}\n",
		    "t.ltd:8:3: error: decoder of an encoder-decoder model needs 'cross_attention heads N'\n");
}

static void test_token_id_outside_vocabulary(void)
{
	CHECK_FAILS(LM_HEAD "  tokens bos 0 pad 1 eos 8 unk 3;\n" LM_DEC "}\n",
		    "t.ltd:6:26: error: token id eos=8 is outside the vocabulary of 8\n");
	/* the default unk=3 does not fit a vocabulary of 3 */
	CHECK_FAILS("model t {\n  weights \"w\";\n  dim 8;\n  vocab 3;\n  max_target 8;\n" LM_DEC "}\n",
		    "t.ltd:1:1: error: token id unk=3 (the default; set the ids with 'tokens') is outside the vocabulary of 3\n");
	/* encoder-decoder: the smaller vocabulary counts */
	CHECK_FAILS("model t {\n  weights \"w\";\n  dim 8;\n  src_vocab 20;\n  tgt_vocab 5;\n"
		    "  max_source 8;\n  max_target 8;\n  tokens bos 0 pad 1 eos 2 unk 5;\n"
		    "  encoder { layers 1; attention heads 2; }\n"
		    "  decoder { layers 1; attention heads 2; cross_attention heads 2; }\n}\n",
		    "t.ltd:8:32: error: token id unk=5 is outside the vocabulary of 5\n");
}

static void test_integer_too_large_says_at_most(void)
{
	CHECK_FAILS("model t {\n  weights \"w\";\n  dim 8;\n  vocab 5000000000;\n  max_target 8;\n" LM_DEC "}\n",
		    "t.ltd:4:9: error: vocab must be at most 1073741824, not 5000000000\n");
	/* beyond a long: the source text, not strtol's saturated value */
	CHECK_FAILS("model t {\n  weights \"w\";\n  dim 99999999999999999999;\n  vocab 8;\n  max_target 8;\n" LM_DEC "}\n",
		    "t.ltd:3:7: error: dim must be at most 1073741824, not 99999999999999999999\n");
}

static void test_missing_semicolon_runs_into_next_line(void)
{
	CHECK_FAILS("model t {\n  weights \"w\";\n  dim 8\n  vocab 8;\n  max_target 8;\n" LM_DEC "}\n",
		    "t.ltd:4:3: error: too many values for 'dim' (missing ';' at the end of line 3?)\n");
	/* on the same line: no hint */
	CHECK_FAILS(LM_HEAD "  max_source 8 9;\n" LM_DEC "}\n",
		    "t.ltd:6:16: error: too many values for 'max_source'\n");
}

static void test_wrong_value_types(void)
{
	CHECK_FAILS(LM_HEAD "  positions 3;\n" LM_DEC "}\n",
		    "t.ltd:6:13: error: positions must be 'sinusoidal', 'learned' or 'none'\n");
	CHECK_FAILS("model t {\n  weights w;\n  dim 8;\n  vocab 8;\n  max_target 8;\n" LM_DEC "}\n",
		    "t.ltd:2:11: error: weights must be a string (a path)\n");
	CHECK_FAILS("model t {\n  weights \"w\";\n  dim 8.0;\n  vocab 8;\n  max_target 8;\n" LM_DEC "}\n",
		    "t.ltd:3:7: error: dim must be an integer\n");
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    norm middle;\n    attention heads 2;\n  }\n}\n",
		    "t.ltd:8:10: error: norm must be 'post' or 'pre'\n");
	CHECK_FAILS(LM_HEAD "  decoder {\n    layers 1;\n    ffn 8 tanh;\n    attention heads 2;\n  }\n}\n",
		    "t.ltd:8:11: error: activation must be 'relu' or 'gelu'\n");
}

static void test_vocab_conflicts_with_src_vocab(void)
{
	const char *want =
		"t.ltd:6:3: error: 'vocab' already sets both vocabularies\n"
		"   tgt_vocab 8;\n"
		"   ^\n"
		"t.ltd:4:3: note: 'vocab' is here\n";
	CHECK_FAILS(LM_HEAD "  tgt_vocab 8;\n" LM_DEC "}\n", want);
}

static void test_one_model_per_file(void)
{
	const char *d;
	CU_ASSERT_PTR_NULL(check_as("t.ltd", "", &d));
	CU_ASSERT_TRUE(has_text(d, "ltcc: error: t.ltd: no model defined (expected 'model NAME { ... }')\n"));
	CHECK_FAILS(LM_HEAD LM_DEC "}\nmodel u {\n}\n",
		    "t.ltd:12:1: error: only one model per file\n");
	CHECK_FAILS("dim 8;\n", "t.ltd:1:1: error: expected 'model NAME { ... }', not 'dim'\n");
	CHECK_FAILS("model \"t\" {\n}\n", "t.ltd:1:1: error: expected 'model NAME { ... }' with NAME an identifier\n");
}

void register_check_suite(void)
{
	CU_pSuite s = CU_add_suite("check", NULL, NULL);
	if (!s)
		unit_register_failed("suite check");
	ADD_TEST(s, test_valid_lsra_encoder_decoder);
	ADD_TEST(s, test_valid_language_model);
	ADD_TEST(s, test_plain_attention_layer);
	ADD_TEST(s, test_per_layer_overrides);
	ADD_TEST(s, test_default_prefixes);
	ADD_TEST(s, test_channel_offsets);
	ADD_TEST(s, test_kernel_size_broadcast);
	ADD_TEST(s, test_kernel_list_per_layer_and_branch_override);
	ADD_TEST(s, test_extra_kernel_sizes_only_warn);
	ADD_TEST(s, test_unknown_key);
	ADD_TEST(s, test_duplicate_key_notes_the_first);
	ADD_TEST(s, test_width_not_divisible_by_heads);
	ADD_TEST(s, test_branch_widths_must_sum_to_dim);
	ADD_TEST(s, test_even_kernel_in_encoder);
	ADD_TEST(s, test_even_kernel_in_decoder);
	ADD_TEST(s, test_adaptive_bands);
	ADD_TEST(s, test_adaptive_errors);
	ADD_TEST(s, test_positions_and_projections);
	ADD_TEST(s, test_kernel_below_one);
	ADD_TEST(s, test_kernel_list_too_short);
	ADD_TEST(s, test_conv_branch_without_kernel);
	ADD_TEST(s, test_missing_required_keys);
	ADD_TEST(s, test_shared_embeddings_need_one_vocabulary);
	ADD_TEST(s, test_cross_attention_in_a_language_model);
	ADD_TEST(s, test_encoder_decoder_needs_cross_attention);
	ADD_TEST(s, test_token_id_outside_vocabulary);
	ADD_TEST(s, test_integer_too_large_says_at_most);
	ADD_TEST(s, test_missing_semicolon_runs_into_next_line);
	ADD_TEST(s, test_wrong_value_types);
	ADD_TEST(s, test_vocab_conflicts_with_src_vocab);
	ADD_TEST(s, test_one_model_per_file);
}
