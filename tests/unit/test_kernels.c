/* test_kernels.c — the kernel table (KERNEL_TABLE, kernels.c) against the
 * templates it describes, and the calls and multiply-adds it gives. */
#include <ctype.h>
#include <string.h>
#include "unit.h"

/* The parameter names of `static void NAME(...)` in a template, space-
 * separated, or NULL if the template does not define it. */
static const char *signature(const char *text, const char *name)
{
	const char *p = strstr(text, arena_printf("static void %s(", name));
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
}
