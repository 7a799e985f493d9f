/* test_kernels.c — the kernel table (KERNEL_TABLE, kernels.c) against the
 * templates it describes, the calls and multiply-adds it gives, and the
 * int8 rule (quant.c) that picks the _w8 and _i8 kernels. */
#include <ctype.h>
#include <string.h>
#include "unit.h"

/* The parameter names of `static TYPE NAME(...)` in a template, space-
 * separated, or NULL if the template does not define it. */
static const char *signature(const char *text, const char *name)
{
	const char *p = strstr(text, arena_printf("static void %s(", name));
	if (!p)
		p = strstr(text, arena_printf("static int32_t %s(", name));
	if (!p)
		return NULL;
	p = strchr(p, '(') + 1;
	const char *end = strchr(p, ')');
	const char *names = "";
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end, *q = stop;
		while (q > p && !isalnum((unsigned char)q[-1]) && q[-1] != '_')
			q--;
		const char *b = q;
		while (b > p && (isalnum((unsigned char)b[-1]) || b[-1] == '_'))
			b--;
		names = arena_printf("%s%s%.*s", names, *names ? " " : "", (int)(q - b), b);
		p = stop + 1;
	}
	return names;
}

static void test_every_kernel_is_in_the_generic_template(void)
{
	const char *generic = tmpl_family("generic");
	CU_ASSERT_PTR_NOT_NULL_FATAL(generic);
	for (int k = 0; k < K_COUNT; k++) {
		const char *sig = signature(generic, kern_name[k]);
		if (!sig)
			fprintf(stderr, "\n%s is not in templates/generic\n", kern_name[k]);
		CU_ASSERT_PTR_NOT_NULL(sig);
	}
}

static void test_every_template_signature_matches_the_table(void)
{
	int checked = 0;
	for (int f = 0; tmpl_kernels[f].name; f++)
		for (int k = 0; k < K_COUNT; k++) {
			const char *sig = signature(tmpl_kernels[f].text, kern_name[k]);
			if (!sig)
				continue;
			checked++;
			if (strcmp(sig, kern_params[k]))
				fprintf(stderr, "\ntemplates/%s %s(%s), the table says (%s)\n", tmpl_kernels[f].name,
					kern_name[k], sig, kern_params[k]);
			CU_ASSERT_STRING_EQUAL(sig, kern_params[k]);
		}
	CU_ASSERT_TRUE(checked >= K_COUNT + 3);  /* generic, and k_linear in avx2, scalar, mve */
}

static Tensor *tensor(TensorKind kind, const char *name, int rows, int cols)
{
	Tensor *t = arena_alloc(sizeof *t);
	*t = (Tensor){ .name = name, .kind = kind, .rows = rows, .cols = cols, .stride = cols };
	return t;
}

static double total_macs(const Op *o, int T, int *ncalls)
{
	KCall k[KERN_MAX_CALLS];
	*ncalls = kern_calls(o, T, k);
	double m = 0;
	for (int i = 0; i < *ncalls; i++)
		m += kern_macs(&k[i]);
	return m;
}

static void test_linear_call_and_macs(void)
{
	Op o = { .kind = OP_LINEAR, .rows = RW_N, .scale = 1.0f, .act = ACT_RELU };
	o.in[0] = tensor(T_ACT, "x", 64, 200);
	o.in[1] = tensor(T_WEIGHT, "w_fc1", 100, 200);
	o.in[2] = tensor(T_WEIGHT, "w_fc1_b", 100, 1);
	o.out = tensor(T_ACT, "y", 64, 100);
	KCall k[KERN_MAX_CALLS];
	CU_ASSERT_EQUAL_FATAL(kern_calls(&o, 30, k), 1);
	CU_ASSERT_EQUAL(k[0].k, K_linear);
	const char *want[] = { "n", "200", "100", "x", "200", "w_fc1", "w_fc1_b", "y", "100", "1.0f", "1", "0" };
	CU_ASSERT_EQUAL_FATAL(k[0].nargs, 12);
	for (int i = 0; i < 12; i++)
		CU_ASSERT_STRING_EQUAL(k[0].a[i].c, want[i]);
	CU_ASSERT_DOUBLE_EQUAL(kern_macs(&k[0]), 30.0 * 200 * 100, 0);
}

/* A decoder step's dynamic conv: the taps' matmul, their softmax per
 * head, then the sum over the history. */
static void test_dynamic_conv_step_calls(void)
{
	Op o = { .kind = OP_CONV_DYN, .rows = RW_ONE, .step = true, .weight_softmax = true, .heads = 4, .kernel = 7 };
	o.in[0] = tensor(T_ACT, "g", 1, 32);
	o.in[1] = tensor(T_WEIGHT, "w_taps", 28, 32);
	o.in[2] = tensor(T_STATE, "hist", 6, 32);
	o.in[3] = tensor(T_ACT, "taps", 1, 28);
	o.out = tensor(T_ACT, "o", 1, 32);
	KCall k[KERN_MAX_CALLS];
	int n = kern_calls(&o, 30, k);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(k[0].k, K_linear);
	CU_ASSERT_EQUAL(k[1].k, K_softmax_rows);
	CU_ASSERT_EQUAL(k[2].k, K_conv_step);
	int nc;
	CU_ASSERT_DOUBLE_EQUAL(total_macs(&o, 30, &nc), 32.0 * 28 + 32.0 * 7, 0);
}

/* Attention's multiply-adds follow the keys: q.k and the weighted v. */
static void test_attention_macs_count_the_keys(void)
{
	Op o = { .kind = OP_ATTN, .rows = RW_ONE, .krows = RW_POS1, .heads = 4 };
	o.in[0] = tensor(T_ACT, "q", 1, 64);
	o.in[1] = tensor(T_STATE, "kc", 30, 64);
	o.in[2] = tensor(T_STATE, "vc", 30, 64);
	o.out = tensor(T_ACT, "ctx", 1, 64);
	int nc;
	CU_ASSERT_DOUBLE_EQUAL(total_macs(&o, 30, &nc), 2.0 * 30 * 64, 0);
	CU_ASSERT_DOUBLE_EQUAL(total_macs(&o, 10, &nc), 2.0 * 10 * 64, 0);
	KCall k[KERN_MAX_CALLS];
	kern_calls(&o, 30, k);
	CU_ASSERT_STRING_EQUAL(k[0].a[1].c, "st_pos + 1");
}


/* ---- --quantize w8 (quant.c) ---- */

static void test_w8_rounds_half_away_and_scales_by_row_max(void)
{
	/* max 2.54: 127/2.54 = 50 per unit; 0.01 -> 0.5 -> 1, -0.01 -> -1 (not to even 0) */
	const float w[] = { 2.54f, -2.54f, 0.01f, -0.01f, 0.03f, 1.27f, 0.0f };
	int8_t q[7];
	float s;
	quant_row(w, 7, q, &s);
	const int8_t want[] = { 127, -127, 1, -1, 2, 64, 0 };
	for (int i = 0; i < 7; i++) {
		if (q[i] != want[i])
			fprintf(stderr, "\nw %g: q %d, want %d\n", (double)w[i], q[i], want[i]);
		CU_ASSERT_EQUAL(q[i], want[i]);
	}
	CU_ASSERT_EQUAL(s, 2.54f / 127.0f);
}

static void test_w8_zero_row_has_scale_zero(void)
{
	const float w[] = { 0.0f, -0.0f, 0.0f };
	int8_t q[3] = { 9, 9, 9 };
	float s = 1.0f;
	quant_row(w, 3, q, &s);
	CU_ASSERT_EQUAL(s, 0.0f);
	CU_ASSERT_TRUE(q[0] == 0 && q[1] == 0 && q[2] == 0);
}

/* Only matrices a matmul reads are quantized; conv kernels, norms and
 * biases stay fp32, and the weight bytes shrink to match. */
static void test_w8_quantizes_matmul_weights_only(void)
{
	Tensor *W = tensor(T_WEIGHT, "w_fc1", 2, 3), *b = tensor(T_WEIGHT, "w_fc1_b", 2, 1);
	Tensor *lw = tensor(T_WEIGHT, "w_light", 2, 3);
	static float wd[6] = { 1, 2, 3, -4, 5, 6 }, bd[2] = { 1, 2 }, ld[6] = { 1, 2, 3, 4, 5, 6 };
	W->data = wd, b->data = bd, lw->data = ld;
	Op lin = { .kind = OP_LINEAR, .rows = RW_N, .scale = 1.0f }, conv = { .kind = OP_CONV_LIGHT, .rows = RW_N };
	lin.in[0] = tensor(T_ACT, "x", 4, 3), lin.in[1] = W, lin.in[2] = b, lin.out = tensor(T_ACT, "y", 4, 2);
	conv.in[1] = lw;
	Op *ops[] = { &lin, &conv };
	Tensor *ts[] = { W, b, lw };
	IR ir = { .encode = { .ops = ops, .nops = 2 }, .tensors = ts, .ntensors = 3 };
	quant_weights(&ir, Q_W8);
	CU_ASSERT_PTR_NOT_NULL(W->q);
	CU_ASSERT_PTR_NULL(b->q);
	CU_ASSERT_PTR_NULL(lw->q);
	CU_ASSERT_EQUAL(ir.weight_bytes, (6 + 2 * 4) + 2 * 4 + 6 * 4);
	KCall k[KERN_MAX_CALLS];
	CU_ASSERT_EQUAL_FATAL(kern_calls(&lin, 30, k), 1);
	CU_ASSERT_EQUAL(k[0].k, K_linear_w8);
	CU_ASSERT_STRING_EQUAL(k[0].a[5].c, "w_fc1");
	CU_ASSERT_STRING_EQUAL(k[0].a[6].c, "w_fc1_s");
	CU_ASSERT_STRING_EQUAL(k[0].a[7].c, "w_fc1_b");
}

/* --quantize int8: the same weights, the _i8 kernels with the scratch qx
 * last, sized for QX_ROWS rows of the widest matmul input; an embedding
 * stays a lookup (its _w8 kernel, no qx) and does not size qx. */
static void test_int8_calls_take_qx_sized_by_the_widest_input(void)
{
	Tensor *W = tensor(T_WEIGHT, "w_fc2", 2, 5), *E = tensor(T_WEIGHT, "w_emb", 9, 8);
	static float wd[10] = { 1, 2, 3, 4, 5, -1, -2, -3, -4, -5 }, ed[72];
	W->data = wd, E->data = ed;
	Op lin = { .kind = OP_LINEAR, .rows = RW_N, .scale = 1.0f }, emb = { .kind = OP_EMBED, .rows = RW_N };
	lin.in[0] = tensor(T_ACT, "h", 4, 5), lin.in[1] = W, lin.out = tensor(T_ACT, "y", 4, 2);
	emb.in[0] = E, emb.out = tensor(T_ACT, "x", 4, 8);
	Op *ops[] = { &emb, &lin };
	Tensor *ts[] = { W, E };
	IR ir = { .encode = { .ops = ops, .nops = 2 }, .tensors = ts, .ntensors = 2 };
	quant_weights(&ir, Q_I8);
	CU_ASSERT_TRUE(W->act8 && W->q);
	CU_ASSERT_EQUAL(ir.qx_bytes, (size_t)QX_ROWS * 5 * 2);
	KCall k[KERN_MAX_CALLS];
	CU_ASSERT_EQUAL_FATAL(kern_calls(&lin, 30, k), 1);
	CU_ASSERT_EQUAL(k[0].k, K_linear_i8);
	CU_ASSERT_EQUAL_FATAL(k[0].nargs, 14);
	CU_ASSERT_STRING_EQUAL(k[0].a[5].c, "w_fc2");
	CU_ASSERT_STRING_EQUAL(k[0].a[6].c, "w_fc2_s");
	CU_ASSERT_STRING_EQUAL(k[0].a[13].c, "qx");
	CU_ASSERT_DOUBLE_EQUAL(kern_macs(&k[0]), 30.0 * 5 * 2, 0);
	CU_ASSERT_EQUAL_FATAL(kern_calls(&emb, 30, k), 1);
	CU_ASSERT_EQUAL(k[0].k, K_embed_w8);
}

/* ---- --compress (compress.c) ---- */

/* W read back from its stream the way the format comment in compress.c
 * says, written here again from that description alone. */
static void cz_decode(const Tensor *t, float *w)
{
	size_t n = (size_t)t->rows * (size_t)t->cols;
	if (t->cz_fmt == CZ_S4) {
		memset(w, 0, sizeof(float) * n);
		long long pos = -1;
		CU_ASSERT_EQUAL(t->cz_book[0], 0.0f);
		for (size_t k = 0; k < t->cz_bytes; k++) {
			int s = (t->cz[k] >> 4) + 1, i = t->cz[k] & 15;
			pos += i ? s : 16 * s;  /* i = 0: a skip */
			if (pos < (long long)n && i)
				w[pos] += t->cz_book[i];
		}
		CU_ASSERT(pos >= (long long)n);  /* the last entry crosses the end */
	} else {
		for (size_t k = 0; k < n; k++)
			w[k] = t->cz_book[t->cz_fmt == CZ_D8 ? t->cz[k] : (t->cz[k / 2] >> (4 * (k % 2))) & 15];
	}
}

static IR *one_matmul(Tensor *W)
{
	static Op lin;
	static Op *ops[1];
	static Tensor *ts[1];
	static IR ir;
	lin = (Op){ .kind = OP_LINEAR, .rows = RW_N, .scale = 1.0f };
	lin.in[0] = tensor(T_ACT, "x", 4, W->cols), lin.in[1] = W, lin.out = tensor(T_ACT, "y", 4, W->rows);
	ops[0] = &lin, ts[0] = W;
	ir = (IR){ .encode = { .ops = ops, .nops = 1 }, .tensors = ts, .ntensors = 1 };
	return &ir;
}

/* A pruned matrix with 4 shared values and gaps of up to 70 zeros (two
 * rows empty): S4, skips where a gap passes 16, exact when read back,
 * and the linear goes to k_linear_cz with stream, codebook and format. */
static void test_compress_sparse_matrix_is_s4_and_exact(void)
{
	enum { R = 6, C = 40 };
	static float d[R * C], back[R * C];
	const float vals[4] = { -0.5f, 0.25f, 0.75f, 1.5f };
	for (int k = 0; k < R * C; k++)
		d[k] = k % 7 == 3 && (k < 40 || k > 120) ? vals[k % 4] : 0.0f;
	d[R * C - 1] = -0.5f;
	Tensor *W = tensor(T_WEIGHT, "w_fc", R, C);
	W->data = d;
	IR *ir = one_matmul(W);
	compress_weights(ir, true);
	quant_weights(ir, Q_W8);  /* leaves it alone */
	CU_ASSERT_EQUAL_FATAL(W->cz_fmt, CZ_S4);
	CU_ASSERT_PTR_NULL(W->q);
	CU_ASSERT_EQUAL(W->cz_nbook, 5);  /* with 0.0 */
	cz_decode(W, back);
	CU_ASSERT_EQUAL(memcmp(back, d, sizeof d), 0);
	CU_ASSERT_EQUAL(ir->weight_bytes, W->cz_bytes + 5 * 4);
	KCall k[KERN_MAX_CALLS];
	CU_ASSERT_EQUAL_FATAL(kern_calls(ir->encode.ops[0], 30, k), 1);
	CU_ASSERT_EQUAL(k[0].k, K_linear_cz);
	CU_ASSERT_STRING_EQUAL(k[0].a[5].c, "w_fc");
	CU_ASSERT_STRING_EQUAL(k[0].a[6].c, "w_fc_cb");
	CU_ASSERT_STRING_EQUAL(k[0].a[7].c, "3");
	CU_ASSERT_DOUBLE_EQUAL(kern_macs(&k[0]), 30.0 * C * R, 0);
}

/* Edge cases of S4: an all-zero matrix, rows narrower than a skip (one
 * skip passes whole rows), one column, gaps of exactly 16 and 17 (one
 * entry, then a skip and an entry), a gap of over 256 (two skips). */
static void test_compress_s4_edges(void)
{
	static float zero[6 * 40], narrow[30 * 3], col[50], gaps[2 * 60], far[2 * 300], back[2 * 300];
	narrow[0] = 1.0f, narrow[58] = -2.0f, narrow[89] = 1.0f;
	col[7] = 0.5f, col[49] = -0.5f;
	gaps[15] = 3.0f, gaps[32] = -3.0f, gaps[119] = 3.0f;  /* steps 16, then 17, then a long one */
	far[3] = 1.0f, far[3 + 257] = 2.0f, far[599] = 1.0f;
	struct { float *d; int r, c; } cases[] = { { zero, 6, 40 }, { narrow, 30, 3 }, { col, 50, 1 }, { gaps, 2, 60 },
						    { far, 2, 300 } };
	for (int i = 0; i < 5; i++) {
		Tensor *W = tensor(T_WEIGHT, "w", cases[i].r, cases[i].c);
		W->data = cases[i].d;
		compress_weights(one_matmul(W), true);
		CU_ASSERT_EQUAL_FATAL(W->cz_fmt, CZ_S4);
		cz_decode(W, back);
		CU_ASSERT_EQUAL(memcmp(back, cases[i].d, sizeof(float) * (size_t)(cases[i].r * cases[i].c)), 0);
	}
	Tensor *G = tensor(T_WEIGHT, "g", 2, 60);
	G->data = gaps;
	compress_weights(one_matmul(G), true);
	/* 15: step 16 from -1; 32: a skip of 16 to 31, then step 1; 119: one
	 * skip of 80 to 112, then step 7; then a skip of 16 past the end (120) */
	CU_ASSERT_EQUAL(G->cz_bytes, 1 + 2 + 2 + 1);
	CU_ASSERT_EQUAL(G->cz[0] >> 4, 15);
	CU_ASSERT_EQUAL(G->cz[1], 0x00);
	CU_ASSERT_EQUAL(G->cz[2] >> 4, 0);
	CU_ASSERT_EQUAL(G->cz[3], 0x40);
	CU_ASSERT_EQUAL(G->cz[5], 0x00);
}

/* Dense shared values: 16 of them in 4 bits (rows of odd width start
 * mid-byte), 40 in 8; more than 256, or a matrix too small to gain,
 * stays fp32. */
static void test_compress_dense_formats_and_refusals(void)
{
	enum { R = 5, C = 33 };
	static float d4[R * C], d8[R * C], f[R * C], small[4] = { 1, 2, 3, 4 }, back[R * C];
	for (int k = 0; k < R * C; k++) {
		d4[k] = (float)(k % 16) - 7.5f;
		d8[k] = (float)(k % 40) * 0.125f - 3.0f;
		f[k] = (float)k * 0.001f;
	}
	Tensor *A = tensor(T_WEIGHT, "a", R, C), *B = tensor(T_WEIGHT, "b", R, C), *F = tensor(T_WEIGHT, "f", R, C);
	Tensor *S = tensor(T_WEIGHT, "s", 2, 2);
	A->data = d4, B->data = d8, F->data = f, S->data = small;
	compress_weights(one_matmul(A), true);
	CU_ASSERT_EQUAL_FATAL(A->cz_fmt, CZ_D4);
	CU_ASSERT_EQUAL(A->cz_bytes, (size_t)(R * C + 1) / 2);
	cz_decode(A, back);
	CU_ASSERT_EQUAL(memcmp(back, d4, sizeof d4), 0);
	compress_weights(one_matmul(B), true);
	CU_ASSERT_EQUAL_FATAL(B->cz_fmt, CZ_D8);
	CU_ASSERT_EQUAL(B->cz_nbook, 40);
	cz_decode(B, back);
	CU_ASSERT_EQUAL(memcmp(back, d8, sizeof d8), 0);
	compress_weights(one_matmul(F), true);
	CU_ASSERT_PTR_NULL(F->cz);
	compress_weights(one_matmul(S), true);
	CU_ASSERT_PTR_NULL(S->cz);  /* 4 values + a 16-byte codebook: no gain */
	Tensor *A2 = tensor(T_WEIGHT, "a2", R, C);
	A2->data = d4;
	compress_weights(one_matmul(A2), false);  /* --compress off */
	CU_ASSERT_PTR_NULL(A2->cz);
}

/* ---- panel-packed matrices (pack.c) ---- */

static float *iota(int n)
{
	float *v = arena_alloc(sizeof(float) * (size_t)n);
	for (int k = 0; k < n; k++)
		v[k] = (float)k;
	return v;
}

/* W[r][i] of a matrix packed in parts of `part` rows, found the way the
 * layout note in ltcc.h says, written here again from it alone: in its
 * part, the panel of 16 rows around r, that panel's width, then column i
 * of it. */
static float packed_at(const Tensor *t, int part, int r, int i)
{
	int base = r < part ? 0 : part * t->cols, rows = r < part ? part : t->rows - part;
	r = r < part ? r : r - part;
	int p = r / 16 * 16, w = rows - p < 16 ? rows - p : 16;
	return t->data[base + p * t->cols + i * w + (r - p)];
}

static Target panels_target = { .name = "panels", .panels = true };

/* A 40-row matrix is two full panels and one of 8; the call goes to
 * k_linear_pk; values are permuted, none lost; without <kernels panels>
 * nothing moves. */
static void test_pack_linear_panels(void)
{
	Tensor *W = tensor(T_WEIGHT, "w", 40, 3), *V = tensor(T_WEIGHT, "v", 40, 3);
	W->data = iota(120), V->data = iota(120);
	pack_weights(one_matmul(W), &panels_target);
	CU_ASSERT_EQUAL_FATAL(W->pk, 40);
	for (int r = 0; r < 40; r++)
		for (int i = 0; i < 3; i++)
			CU_ASSERT_EQUAL(packed_at(W, 40, r, i), (float)(r * 3 + i));
	KCall k[KERN_MAX_CALLS];
	CU_ASSERT_EQUAL_FATAL(kern_calls(one_matmul(W)->encode.ops[0], 4, k), 1);
	CU_ASSERT_EQUAL(k[0].k, K_linear_pk);
	CU_ASSERT_STRING_EQUAL(k[0].a[5].c, "w");
	Target plain = { .name = "plain" };
	pack_weights(one_matmul(V), &plain);
	CU_ASSERT_EQUAL(V->pk, 0);
	CU_ASSERT_EQUAL(V->data[5], 5.0f);
}

/* A GLU's matrix (2w rows) packs its halves apart, each in its own
 * panels: w = 20 is a panel of 16 and one of 4, twice. */
static void test_pack_glu_halves_apart(void)
{
	Tensor *W = tensor(T_WEIGHT, "w", 40, 5), *x = tensor(T_ACT, "x", 4, 5), *g = tensor(T_ACT, "g", 4, 20);
	Tensor *pair = tensor(T_ACT, "pair", 2, 40);
	W->data = iota(200), x->id = 1, g->id = 2, pair->id = 3;
	Op glu = { .kind = OP_LINEAR_GLU, .rows = RW_N };
	glu.in[0] = x, glu.in[1] = W, glu.in[3] = pair, glu.out = g;
	Op *ops[] = { &glu };
	Tensor *ts[] = { W, x, g, pair };
	IR ir = { .encode = { .ops = ops, .nops = 1 }, .tensors = ts, .ntensors = 4 };
	pack_weights(&ir, &panels_target);
	CU_ASSERT_EQUAL_FATAL(W->pk, 20);
	for (int r = 0; r < 40; r++)
		for (int i = 0; i < 5; i++)
			CU_ASSERT_EQUAL(packed_at(W, 20, r, i), (float)(r * 5 + i));
	KCall k[KERN_MAX_CALLS];
	CU_ASSERT_EQUAL_FATAL(kern_calls(&glu, 4, k), 1);
	CU_ASSERT_EQUAL(k[0].k, K_linear_glu_pk);
}

/* A matrix some other kernel reads stays in rows: the embedding that the
 * output is tied to (a lookup reads its rows), and an int8 matrix. */
static void test_pack_leaves_shared_and_int8_matrices(void)
{
	Tensor *E = tensor(T_WEIGHT, "emb", 9, 8), *h = tensor(T_ACT, "h", 1, 8), *x = tensor(T_ACT, "x", 4, 8);
	E->data = iota(72), h->id = 1, x->id = 2;
	Op emb = { .kind = OP_EMBED, .rows = RW_N }, logits = { .kind = OP_LOGITS, .rows = RW_ONE };
	emb.in[0] = E, emb.out = x;
	logits.in[0] = h, logits.in[1] = E;
	Op *ops[] = { &emb, &logits };
	Tensor *ts[] = { E, h, x };
	IR ir = { .encode = { .ops = ops, .nops = 2 }, .tensors = ts, .ntensors = 3 };
	pack_weights(&ir, &panels_target);
	CU_ASSERT_EQUAL(E->pk, 0);
	CU_ASSERT_EQUAL(E->data[9], 9.0f);
	Tensor *Q = tensor(T_WEIGHT, "q", 32, 4);
	Q->data = iota(128);
	IR *one = one_matmul(Q);
	quant_weights(one, Q_W8);
	pack_weights(one, &panels_target);
	CU_ASSERT_EQUAL(Q->pk, 0);
}

/* The kernels' panel is the compiler's. */
static void test_pack_panel_matches_the_template(void)
{
	CU_ASSERT_PTR_NOT_NULL(strstr(tmpl_family("generic"), arena_printf("#define K_PANEL %d\n", PANEL)));
}

void register_kernels_suite(void)
{
	CU_pSuite s = CU_add_suite("kernels", NULL, NULL);
	if (!s)
		unit_register_failed("suite kernels");
	ADD_TEST(s, test_every_kernel_is_in_the_generic_template);
	ADD_TEST(s, test_every_template_signature_matches_the_table);
	ADD_TEST(s, test_linear_call_and_macs);
	ADD_TEST(s, test_dynamic_conv_step_calls);
	ADD_TEST(s, test_attention_macs_count_the_keys);
	ADD_TEST(s, test_w8_rounds_half_away_and_scales_by_row_max);
	ADD_TEST(s, test_w8_zero_row_has_scale_zero);
	ADD_TEST(s, test_w8_quantizes_matmul_weights_only);
	ADD_TEST(s, test_int8_calls_take_qx_sized_by_the_widest_input);
	ADD_TEST(s, test_compress_sparse_matrix_is_s4_and_exact);
	ADD_TEST(s, test_compress_dense_formats_and_refusals);
	ADD_TEST(s, test_compress_s4_edges);
	ADD_TEST(s, test_pack_linear_panels);
	ADD_TEST(s, test_pack_glu_halves_apart);
	ADD_TEST(s, test_pack_leaves_shared_and_int8_matrices);
	ADD_TEST(s, test_pack_panel_matches_the_template);
}
