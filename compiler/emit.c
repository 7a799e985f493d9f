/* emit.c — the IR as one C99 file and its header.
 *
 * Requires: a planned IR. Guarantees: output that compiles warning-free
 * with -std=c99 -Wall -Wextra -pedantic, allocates nothing, and reads top
 * to bottom: kernels, weights, the memory plan, one function per block,
 * then the entry points as a straight line of block calls. Output depends
 * only on the inputs and options (no times, hosts or absolute paths). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ltcc.h"

typedef struct Emit {
	const IR *ir;
	const EmitOpts *o;
	FILE *f;
	const char *P;      /* symbol prefix */
	const char *U;      /* macro prefix, upper case */
} Emit;

static const char *upper(const char *s)
{
	char *u = arena_strdup(s);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

/* Text from the inputs (tensor names, file names, target fields) inside a
 * block comment: printable ASCII only, and nothing that could end the
 * comment, open another or, through a trigraph, splice a line. */
const char *emit_comment_text(const char *s)
{
	size_t n = strlen(s);
	char *d = arena_alloc(2 * n + 1), *p = d;
	for (; *s; s++) {
		char c = *s >= 0x20 && *s < 0x7f && *s != '\\' ? *s : '?';
		if (p > d && ((p[-1] == '*' && c == '/') || (p[-1] == '/' && c == '*') || (p[-1] == '?' && c == '?')))
			*p++ = ' ';
		*p++ = c;
	}
	*p = 0;
	return d;
}

/* A C string literal with the same bytes as s: octal escapes for anything
 * but plain printable ASCII, and for '?' so no trigraph forms. */
const char *emit_c_string(const char *s)
{
	char *d = arena_alloc(4 * strlen(s) + 3), *p = d;
	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?')
			*p++ = (char)c;
		else
			p += sprintf(p, "\\%03o", c);
	}
	*p++ = '"';
	*p = 0;
	return d;
}

/* Exact float text: %.9g round-trips fp32; make sure it reads as a float. */
const char *emit_float_text(float v)
{
	char buf[40];
	snprintf(buf, sizeof buf, "%.9g", (double)v);
	if (!strpbrk(buf, ".en"))
		strcat(buf, ".0");
	return arena_printf("%sf", buf);
}

void emit_float(FILE *f, float v)
{
	fputs(emit_float_text(v), f);
}

/* ---- kernels: the template's marked chunks that this model calls ---- */

#define MAX_KERNELS 128  /* chunks in one family's template, and generic's with them */

typedef struct Chunk { const char *name, *deps, *text; size_t len; } Chunk;

/* Split the template at lines that open with the marker "/" "*@". */
static int chunks(const char *t, Chunk *c, const char **head, size_t *head_len)
{
	int n = 0;
	const char *p = strstr(t, "\n/*@");
	*head = t;
	*head_len = p ? (size_t)(p - t) + 1 : strlen(t);
	while (p) {
		if (n == MAX_KERNELS)
			die("a kernel template has more than %d kernels", MAX_KERNELS);
		p++;                                 /* at the marker */
		const char *eol = strchr(p, '\n');
		char *line = arena_printf("%.*s", (int)(eol - p), p);
		char *nm = line + 3, *end = strstr(nm, "*/");
		if (end)
			*end = 0;
		while (*nm == ' ')
			nm++;
		char *sp = strchr(nm, ' ');
		c[n].deps = sp ? sp + 1 : "";
		if (sp)
			*sp = 0;
		c[n].name = nm;
		c[n].text = eol + 1;
		p = strstr(eol, "\n/*@");
		c[n].len = p ? (size_t)(p - eol) : strlen(eol + 1);
		n++;
	}
	return n;
}

static void need(const char *name, Chunk *c, int n, bool *used)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(c[i].name, name) && !used[i]) {
			used[i] = true;
			char *deps = arena_strdup(c[i].deps);
			for (char *sv, *d = strtok_r(deps, " ", &sv); d; d = strtok_r(NULL, " ", &sv))
				need(d, c, n, used);
		}
}

/* The kernels op o calls: the same calls emit_op prints. */
static void need_op(const Op *o, Chunk *c, int n, bool *used)
{
	KCall k[KERN_MAX_CALLS];
	int nk = kern_calls(o, 0, k);
	for (int i = 0; i < nk; i++)
		need(kern_name[k[i].k], c, n, used);
}

/* A kernel after the kernels it calls, each once. */
static void put_chunk(FILE *f, Chunk *c, int n, int i, bool *done)
{
	if (done[i])
		return;
	done[i] = true;
	char *deps = arena_strdup(c[i].deps);
	for (char *sv, *d = strtok_r(deps, " ", &sv); d; d = strtok_r(NULL, " ", &sv))
		for (int j = 0; j < n; j++)
			if (!strcmp(c[j].name, d))
				put_chunk(f, c, n, j, done);
	fwrite(c[i].text, 1, c[i].len, f);
}

/* The generic kernels, with the target family's versions of the ones its
 * ISA does better put in their place (and its head, e.g. an #include,
 * after the generic head). */
static void emit_kernels(Emit *e)
{
	Chunk c[MAX_KERNELS], fc[MAX_KERNELS];
	bool used[MAX_KERNELS] = {0};
	const char *head, *fhead = "";
	size_t head_len, fhead_len = 0;
	int n = chunks(tmpl_family("generic"), c, &head, &head_len);
	const char *fam = e->o->target->family;
	if (strcmp(fam, "generic")) {
		int nf = chunks(tmpl_family(fam), fc, &fhead, &fhead_len);
		for (int j = 0; j < nf; j++) {
			int i = 0;
			while (i < n && strcmp(c[i].name, fc[j].name))
				i++;
			if (i == n && n++ == MAX_KERNELS)
				die("generic and %s kernels together are more than %d", fam, MAX_KERNELS);
			c[i] = fc[j];
		}
	}
	const Program *ps[2] = { &e->ir->encode, &e->ir->step };
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < ps[p]->nops; i++)
			need_op(ps[p]->ops[i], c, n, used);
	need("k_argmax", c, n, used);  /* greedy decoding's pick */
	fwrite(head, 1, head_len, e->f);
	fwrite(fhead, 1, fhead_len, e->f);
	bool done[MAX_KERNELS] = {0};
	for (int i = 0; i < n; i++)
		if (used[i])
			put_chunk(e->f, c, n, i, done);
}

/* ---- weights ---- */

/* a GCC/Clang section attribute, or nothing */
static const char *section(const char *name)
{
	return name ? arena_printf(" __attribute__((section(\"%s\")))", name) : "";
}

static void emit_floats(Emit *e, const char *name, const float *v, size_t n)
{
	fprintf(e->f, "static const float %s[%zu] ALIGNED%s = {", name, n, section(e->o->sec_weights));
	for (size_t k = 0; k < n; k++) {
		fputs(k % 8 ? " " : "\n\t", e->f);
		emit_float(e->f, v[k]);
		fputc(',', e->f);
	}
	fprintf(e->f, "\n};\n");
}

static void emit_int8s(Emit *e, const char *name, const int8_t *v, size_t n)
{
	fprintf(e->f, "static const int8_t %s[%zu] ALIGNED%s = {", name, n, section(e->o->sec_weights));
	for (size_t k = 0; k < n; k++)
		fprintf(e->f, "%s%d,", k % 16 ? " " : "\n\t", v[k]);
	fprintf(e->f, "\n};\n");
}

static void emit_bytes(Emit *e, const char *name, const uint8_t *v, size_t n)
{
	fprintf(e->f, "static const uint8_t %s[%zu] ALIGNED%s = {", name, n, section(e->o->sec_weights));
	for (size_t k = 0; k < n; k++)
		fprintf(e->f, "%s%u,", k % 16 ? " " : "\n\t", v[k]);
	fprintf(e->f, "\n};\n");
}

/* What a compressed matrix's stream holds (compress.c has the formats). */
static const char *cz_comment(const Tensor *t)
{
	static const char *const how[] = {
		[CZ_D8] = "one byte per weight, its codebook index",
		[CZ_D4] = "two codebook indices a byte, the earlier in the low nibble",
		[CZ_S4] = "the nonzeros, a byte each: s (high nibble), i (low); i > 0: cb[i] at s + 1 positions on, i = 0: skip 16 (s + 1) zeros",
	};
	return arena_printf(", compressed %s: %d codebook values, %s", cz_format_name[t->cz_fmt], t->cz_nbook,
			    how[t->cz_fmt]);
}

/* How a packed matrix's values are ordered (pack.c). */
static const char *pk_comment(const Tensor *t)
{
	const char *how = arena_printf("in panels of %d rows, each panel column by column (W[r][i] at p*%d + i*w + "
				       "r-p, p = r - r%%%d, w = min(%d, rows - p)", PANEL, t->cols, PANEL, PANEL);
	if (t->pk < t->rows)  /* a GLU's matrix */
		return arena_printf(", packed for the matmul: each half of %d rows %s, r and rows counted in the "
				    "half; the second half from %d on)", t->pk, how, t->pk * t->cols);
	return arena_printf(", packed for the matmul: %s)", how);
}

static void emit_weights(Emit *e)
{
	const IR *ir = e->ir;
	fprintf(e->f, "/* ---- weights: static const, so they stay in flash ---- */\n");
	for (int i = 0; i < ir->ntensors; i++) {
		Tensor *t = ir->tensors[i];
		if (t->kind != T_WEIGHT)
			continue;
		fprintf(e->f, "\n/* %s (%d, %d)%s%s%s */\n", emit_comment_text(t->src), t->rows, t->cols,
			t->note && *t->note ? ", " : "", t->note ? t->note : "",
			t->cz ? cz_comment(t) : t->q ? ", int8 rows: W[r][j] = q[r][j] * s[r]" : t->pk ? pk_comment(t) : "");
		if (t->cz) {
			emit_bytes(e, t->name, t->cz, t->cz_bytes);
			emit_floats(e, arena_printf("%s_cb", t->name), t->cz_book, (size_t)t->cz_nbook);
		} else if (t->q) {
			emit_int8s(e, t->name, t->q, (size_t)t->rows * (size_t)t->cols);
			emit_floats(e, arena_printf("%s_s", t->name), t->qs, (size_t)t->rows);
		} else {
			emit_floats(e, t->name, t->data, (size_t)t->rows * (size_t)t->cols);
		}
	}
	int half = ir->m->dim / 2;
	if (!ir->sinusoids) {
		fputc('\n', e->f);
		return;
	}
	fprintf(e->f, "\n/* sinusoidal positions: omega_i = exp(-i ln(10000) / (D/2 - 1)), as fairseq computes it in fp32 */\n");
	fprintf(e->f, "static const float pos_omega[%d] = {", half);
	float step = (float)(log(10000.0) / (half - 1 > 0 ? half - 1 : 1));
	for (int i = 0; i < half; i++) {
		fputs(i % 8 ? " " : "\n\t", e->f);
		emit_float(e->f, expf((float)i * -step));
		fputc(',', e->f);
	}
	fprintf(e->f, "\n};\n\n");
}

/* ---- the memory plan ---- */

static const char *shape_of(const Tensor *t)
{
	return arena_printf("(%d, %d)", t->rows, t->cols);
}

static void emit_plan(Emit *e)
{
	const IR *ir = e->ir;
	FILE *f = e->f;
	fprintf(f, "/* ---- memory plan ----\n"
		   " * One scratch arena shared by encode and decode_step (they never run at\n"
		   " * the same time); buffers whose live ranges overlap never share bytes.\n"
		   " * Offsets and sizes in floats; live ranges are op indices. */\n");
	if (!e->o->external_buffers) {  /* the default instance's; others bring their own */
		fprintf(f, "static float arena_buf[%zu] ALIGNED%s;\n", ir->arena_floats ? ir->arena_floats : 1,
			section(e->o->sec_arena));
		fprintf(f, "static float state_buf[%zu] ALIGNED%s;  /* K/V caches, conv histories, cross K/V */\n",
			ir->state_floats ? ir->state_floats : 1, section(e->o->sec_state));
	}
	if (ir->qx_bytes)  /* static even with external buffers: a few rows, kept apart from the floats */
		fprintf(f, "static int16_t qx[%zu] ALIGNED;  /* int8 matmuls: up to %d input rows, quantized */\n",
			ir->qx_bytes / 2, QX_ROWS);
	fprintf(f, "\n/* The instance a call works on (%s_ctx in the header): its buffers, position\n"
		   " * and source length. The %s_* calls without _ctx use the default one. */\n", e->P, e->P);
	fprintf(f, "static %s_ctx %s_default%s;\nstatic %s_ctx *cx = &%s_default;\n", e->P, e->P,
		e->o->external_buffers ? "" : " = { arena_buf, state_buf, 0, 0, 0 }", e->P, e->P);
	fprintf(f, "#define arena    (cx->arena_mem)\n#define state    (cx->state_mem)\n");
	fprintf(f, "#define st_pos   (cx->pos)    /* decoder steps taken */\n");
	fprintf(f, "#define st_src_n (cx->src_n)  /* source length */\n");
	fprintf(f, "#define st_ready (cx->ready)  /* a source has been encoded */\n\n");
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < ir->ntensors; i++) {
			Tensor *t = ir->tensors[i];
			if (t->base || (pass == 0 && t->kind != T_ACT) || (pass == 1 && t->kind != T_STATE))
				continue;
			if (t->kind == T_ACT && t->first < 0)
				continue;
			size_t sz = (size_t)t->rows * (size_t)t->cols;
			if (t->kind == T_ACT)
				fprintf(f, "#define %-18s (arena + %zu)  /* %-10s %7zu floats, ops %d-%d of %s */\n",
					t->name, t->off, shape_of(t), sz, t->first, t->last,
					t->prog == 0 ? "encode" : "decode_step");
			else
				fprintf(f, "#define %-18s (state + %zu)  /* %-10s %7zu floats, persistent */\n",
					t->name, t->off, shape_of(t), sz);
		}
	fputc('\n', f);
}

/* ---- ops ---- */

static bool inline_op(const Op *o)
{
	return o->kind == OP_EMBED || o->kind == OP_EMBED_ADAPTIVE || o->kind == OP_LOGITS || o->kind == OP_ADAPTIVE_OUT;
}

static void emit_call(FILE *f, const KCall *k, const char *indent)
{
	fprintf(f, "%s%s(", indent, kern_name[k->k]);
	for (int j = 0; j < k->nargs; j++)
		fprintf(f, "%s%s", j ? ", " : "", k->a[j].c);
	fprintf(f, ");\n");
}

/* The token's band picks its call. */
static void emit_embed_adaptive(Emit *e, const Op *o)
{
	KCall k[KERN_MAX_CALLS];
	int nk = kern_calls(o, 0, k);
	const Adaptive *a = o->ad->a;
	fprintf(e->f, "\t/* adaptive input: the token's row of its band, projected up to D */\n");
	for (int b = 0; b < nk; b++) {
		if (b + 1 < nk)
			fprintf(e->f, "\t%sif (token < %d)\n", b ? "else " : "", a->cut[b]);
		else
			fprintf(e->f, "\telse\n");
		emit_call(e->f, &k[b], nk > 1 ? "\t\t" : "\t");
	}
}

static void emit_op(Emit *e, const Op *o)
{
	KCall k[KERN_MAX_CALLS];
	if (o->kind == OP_EMBED_ADAPTIVE) {
		emit_embed_adaptive(e, o);
		return;
	}
	int nk = kern_calls(o, 0, k);
	for (int i = 0; i < nk; i++)
		emit_call(e->f, &k[i], "\t");
}

/* The head, then each tail; greedy decoding skips a tail none of whose
 * words can win: a word's log-probability is at most its cluster's. */
static void emit_adaptive_out(Emit *e, const Op *o)
{
	KCall k[KERN_MAX_CALLS];
	int nk = kern_calls(o, 0, k);
	const Adaptive *a = o->ad->a;
	FILE *f = e->f;
	fprintf(f, "\tint32_t best = 0, t;\n");
	fprintf(f, "\t/* head: the %d first words and one logit per tail cluster, one log-softmax */\n", a->cut[0]);
	for (int i = 0; i < 3; i++)
		emit_call(f, &k[i], "\t");
	fprintf(f, "\tif (greedy)\n\t\tbest = k_argmax(%d, logits);\n", a->cut[0]);
	for (int b = 1; b < a->nband; b++) {
		int lo = a->cut[b - 1], size = a->cut[b] - lo;
		fprintf(f, "\t/* tail cluster %d: words %d to %d */\n", b - 1, lo, a->cut[b] - 1);
		fprintf(f, "\tif (!greedy || %s[%d] > logits[best]) {\n", kern_ref(o->ad->cls, false), b - 1);
		for (int i = 3 * b; i < 3 * b + 3 && i < nk; i++)
			emit_call(f, &k[i], "\t\t");
		fprintf(f, "\t\tt = %d + k_argmax(%d, logits + %d);\n\t\tif (logits[t] > logits[best])\n"
			   "\t\t\tbest = t;\n\t}\n", lo, size, lo);
	}
	fprintf(f, "\treturn best;\n");
}

static const char *where(const Emit *e, Loc l)
{
	(void)e;
	if (!l.file)
		return "";
	const char *b = strrchr(l.file->name, '/');
	return arena_printf("%s:%d", emit_comment_text(b ? b + 1 : l.file->name), l.line);
}

/* One static function per block: a run of consecutive ops with one name. */
static void emit_blocks(Emit *e, const Program *p, bool enc)
{
	FILE *f = e->f;
	for (int i = 0; i < p->nops;) {
		const Op *o = p->ops[i];
		if (inline_op(o)) {
			i++;
			continue;
		}
		fprintf(f, "/* %s: %s (%s) */\n", o->block, o->what, where(e, o->loc));
		fprintf(f, "static void %s(%s)\n{\n", o->block, enc ? "int n" : "void");
		int j = i;
		for (; j < p->nops && p->ops[j]->block == o->block && !inline_op(p->ops[j]); j++)
			emit_op(e, p->ops[j]);
		/* the block's result: its last op's output buffer */
		const Tensor *r = p->ops[j - 1]->out;
		while (r->base)
			r = r->base;
		fprintf(f, "\tTRACE(\"%s\", %s, %s%d);\n}\n\n", o->block, r->name,
			enc && r->kind == T_ACT ? "(long)n * " : "", enc && r->kind == T_ACT ? r->cols : r->rows * r->cols);
		i = j;
	}
}

/* The straight line of block calls for ops [0, end), the inline ops in place. */
static void emit_calls(Emit *e, const Program *p, bool enc, int end)
{
	for (int i = 0; i < end; i++) {
		const Op *o = p->ops[i];
		if (inline_op(o))
			emit_op(e, o);
		else if (i == 0 || p->ops[i - 1]->block != o->block || inline_op(p->ops[i - 1]))
			fprintf(e->f, "\t%s(%s);\n", o->block, enc ? "n" : "");
	}
}

/* What greedy decoding starts from: a source to translate, or a prompt to continue. */
static const char *src_name(const Model *m) { return m->is_lm ? "prompt" : "src"; }

/* The default instance's calls: the _ctx ones on P_default. */
static void emit_default_entries(Emit *e)
{
	const Model *m = e->ir->m;
	FILE *f = e->f;
	const char *P = e->P;
	fprintf(f, "/* ---- the default instance ---- */\n\n");
	if (e->o->external_buffers)
		fprintf(f, "void %s_set_buffers(float *arena_buf, float *state_buf)\n{\n"
			   "\t%s_init(&%s_default, arena_buf, state_buf);\n}\n\n", P, P, P);
	fprintf(f, "void %s_reset(void)\n{\n\t%s_ctx_reset(&%s_default);\n}\n\n", P, P, P);
	if (!m->is_lm) {
		fprintf(f, "int %s_encode(const int32_t *src, int32_t n)\n{\n\treturn %s_ctx_encode(&%s_default, src, n);\n}\n\n",
			P, P, P);
		fprintf(f, "const float *%s_encoder_output(void)\n{\n\treturn %s_ctx_encoder_output(&%s_default);\n}\n\n",
			P, P, P);
	}
	fprintf(f, "int %s_greedy(const int32_t *%s, int32_t n, int32_t *out, int32_t max_out)\n{\n"
		   "\treturn %s_ctx_greedy(&%s_default, %s, n, out, max_out);\n}\n\n", P, src_name(m), P, P, src_name(m));
	fprintf(f, "int %s_decode_step(int32_t token, float *logits)\n{\n"
		   "\treturn %s_ctx_decode_step(&%s_default, token, logits);\n}\n", P, P, P);
}

static void emit_greedy(Emit *e)
{
	FILE *f = e->f;
	const char *P = e->P, *U = e->U;
	fprintf(f, "int %s_ctx_greedy(%s_ctx *ctx, const int32_t *src, int32_t n, int32_t *out, int32_t max_out)\n{\n",
		P, P);
	fprintf(f, "\tstatic float logits[%s_VOCAB];  /* one call at a time: shared */\n", U);
	fprintf(f, "\tint32_t tok = %s_EOS, count = 0;\n", U);
	fprintf(f, "\tint rc = %s_ctx_encode(ctx, src, n);\n\tif (rc)\n\t\treturn rc;\n", P);
	fprintf(f, "\tif (!out && max_out > 0)\n\t\treturn %s_ERR_LENGTH;\n", U);
	fprintf(f, "\twhile (count < max_out && st_pos < %s_MAX_TARGET) {\n", U);
	fprintf(f, "\t\tdecode_hidden(tok);\n\t\tst_pos++;\n\t\ttok = decode_output(logits, 1);\n");
	fprintf(f, "\t\tif (tok == %s_EOS)\n\t\t\tbreak;\n\t\tout[count++] = tok;\n\t}\n\treturn count;\n}\n\n", U);
}

/* A language model continues a prompt; only its last step needs an output. */
static void emit_greedy_lm(Emit *e)
{
	FILE *f = e->f;
	const char *P = e->P, *U = e->U;
	fprintf(f, "int %s_ctx_greedy(%s_ctx *ctx, const int32_t *prompt, int32_t n, int32_t *out, int32_t max_out)\n{\n",
		P, P);
	fprintf(f, "\tstatic float logits[%s_VOCAB];  /* one call at a time: shared */\n", U);
	fprintf(f, "\tint32_t tok, count = 0, t;\n");
	fprintf(f, "\tcx = ctx;\n\tif (!arena || !state)\n\t\treturn %s_ERR_NO_BUFFERS;\n", U);
	fprintf(f, "\tif (!prompt || n < 1 || n > %s_MAX_TARGET || (!out && max_out > 0))\n\t\treturn %s_ERR_LENGTH;\n", U, U);
	fprintf(f, "\tfor (t = 0; t < n; t++)\n\t\tif (prompt[t] < 0 || prompt[t] >= %s_VOCAB)\n\t\t\treturn %s_ERR_TOKEN;\n", U, U);
	fprintf(f, "\t%s_ctx_reset(ctx);\n\tfor (t = 0; t < n; t++) {\n\t\tdecode_hidden(prompt[t]);\n\t\tst_pos++;\n\t}\n", P);
	fprintf(f, "\ttok = decode_output(logits, 1);\n");
	fprintf(f, "\twhile (count < max_out && tok != %s_EOS) {\n\t\tout[count++] = tok;\n", U);
	fprintf(f, "\t\tif (count == max_out || st_pos >= %s_MAX_TARGET)\n\t\t\tbreak;\n", U);
	fprintf(f, "\t\tdecode_hidden(tok);\n\t\tst_pos++;\n\t\ttok = decode_output(logits, 1);\n\t}\n\treturn count;\n}\n\n");
}

/* The decoder step in two: its layers, then its output, which greedy
 * decoding cuts to what its pick needs. */
static void emit_step(Emit *e)
{
	const Program *p = &e->ir->step;
	const Op *last = p->ops[p->nops - 1];
	FILE *f = e->f;
	if (last->kind != OP_LOGITS && last->kind != OP_ADAPTIVE_OUT)
		die("the decoder step does not end with its output");
	fprintf(f, "/* ---- the decoder step: its layers, then its output ---- */\n\n");
	fprintf(f, "static void decode_hidden(int32_t token)\n{\n");
	emit_calls(e, p, false, p->nops - 1);
	fprintf(f, "}\n\n/* The step's %s into logits[%s_VOCAB]; greedy: only what the pick needs, and\n"
		   " * the pick (the first of equals) */\n", last->ad ? "log-probabilities" : "logits", e->U);
	fprintf(f, "static int32_t decode_output(float *logits, int greedy)\n{\n");
	if (last->ad) {
		emit_adaptive_out(e, last);
	} else {
		emit_op(e, last);
		fprintf(f, "\treturn greedy ? k_argmax(%s_VOCAB, logits) : 0;\n", e->U);
	}
	fprintf(f, "}\n\n");
}

static void emit_entries(Emit *e)
{
	const IR *ir = e->ir;
	const Model *m = ir->m;
	FILE *f = e->f;
	const char *P = e->P, *U = e->U;

	fprintf(f, "/* ---- entry points, on an instance: each sets cx first ---- */\n\n");
	/* new state memory holds no source and no history: start over, or a
	 * language model's first step would read whatever it held */
	fprintf(f, "void %s_init(%s_ctx *ctx, float *arena_mem, float *state_mem)\n{\n", P, P);
	fprintf(f, "\tctx->arena_mem = arena_mem;\n\tctx->state_mem = state_mem;\n\tctx->pos = 0;\n");
	fprintf(f, "\tctx->src_n = 0;\n\tctx->ready = 0;\n\t%s_ctx_reset(ctx);\n}\n\n", P);
	/* without state a reset changes nothing, not even the position:
	 * position and history stay in step */
	fprintf(f, "void %s_ctx_reset(%s_ctx *ctx)\n{\n\tcx = ctx;\n\tif (!state)\n\t\treturn;\n", P, P);
	fprintf(f, "\tst_pos = 0;\n");
	for (int i = 0; i < ir->ntensors; i++) {
		Tensor *t = ir->tensors[i];
		if (t->kind == T_STATE && strstr(t->name, "_hist"))
			fprintf(f, "\tmemset(%s, 0, sizeof(float) * %d);  /* zeros before the sequence */\n",
				t->name, t->rows * t->cols);
	}
	fprintf(f, "}\n\n");

	if (!m->is_lm) {
		fprintf(f, "int %s_ctx_encode(%s_ctx *ctx, const int32_t *src, int32_t n)\n{\n\tint32_t t;\n", P, P);
		fprintf(f, "\tcx = ctx;\n\tif (!arena || !state)\n\t\treturn %s_ERR_NO_BUFFERS;\n", U);
		fprintf(f, "\tif (!src || n < 1 || n > %s_MAX_SOURCE)\n\t\treturn %s_ERR_LENGTH;\n", U, U);
		fprintf(f, "\tfor (t = 0; t < n; t++)\n\t\tif (src[t] < 0 || src[t] >= %s_SRC_VOCAB)\n\t\t\treturn %s_ERR_TOKEN;\n", U, U);
		emit_calls(e, &ir->encode, true, ir->encode.nops);
		fprintf(f, "\tst_src_n = n;\n\tst_ready = 1;\n\t%s_ctx_reset(ctx);\n\treturn 0;\n}\n\n", P);
		fprintf(f, "const float *%s_ctx_encoder_output(%s_ctx *ctx)\n{\n\tcx = ctx;\n\treturn arena ? %s : 0;\n}\n\n",
			P, P, ir->enc_out->name);
	}

	fprintf(f, "int %s_ctx_decode_step(%s_ctx *ctx, int32_t token, float *logits)\n{\n", P, P);
	fprintf(f, "\tcx = ctx;\n\tif (!arena || !state)\n\t\treturn %s_ERR_NO_BUFFERS;\n", U);
	if (!m->is_lm)
		fprintf(f, "\tif (!st_ready)\n\t\treturn %s_ERR_NO_SOURCE;\n", U);
	fprintf(f, "\tif (token < 0 || token >= %s_VOCAB)\n\t\treturn %s_ERR_TOKEN;\n", U, U);
	fprintf(f, "\tif (st_pos >= %s_MAX_TARGET)\n\t\treturn %s_ERR_FULL;\n", U, U);
	fprintf(f, "\tif (!logits)\n\t\treturn %s_ERR_LENGTH;\n", U);
	fprintf(f, "\tdecode_hidden(token);\n\tdecode_output(logits, 0);\n\tst_pos++;\n\treturn 0;\n}\n\n");
	if (m->is_lm)
		emit_greedy_lm(e);
	else
		emit_greedy(e);
	emit_default_entries(e);
}

void emit_c(const IR *ir, const EmitOpts *o, FILE *f, const char *hname)
{
	Emit e = { ir, o, f, o->prefix, upper(o->prefix) };
	const Model *m = ir->m;
	fprintf(f, "/* %s.c — generated by ltcc %s; do not edit.\n", o->prefix, LTCC_VERSION);
	fprintf(f, " * command: %s\n", emit_comment_text(o->cmdline));
	fprintf(f, " * model:   %s (%s), %s, D=%d, target %s\n", m->name, emit_comment_text(o->ltd_name),
		m->is_lm ? "decoder-only" : "encoder-decoder", m->dim, emit_comment_text(o->target->name));
	fprintf(f, " * build:   cc %s -c %s.c\n */\n", emit_comment_text(o->target->cflags), o->prefix);
	fprintf(f, "#include <math.h>\n#include <stdint.h>\n#include <string.h>\n#include \"%s\"\n\n", hname);
	fprintf(f, "/* weights, arena and state on the target's alignment (its <memory align>) */\n"
		   "#if defined(__GNUC__)\n#define ALIGNED __attribute__((aligned(%d)))\n#else\n#define ALIGNED\n#endif\n\n",
		o->target->align);
	emit_kernels(&e);
	fputc('\n', f);
	emit_weights(&e);
	emit_plan(&e);
	fprintf(f, "/* build with -D%s_TRACE to have %s_trace() called with each block's result */\n", e.U, e.P);
	fprintf(f, "#ifdef %s_TRACE\nvoid %s_trace(const char *block, const float *x, long n);\n", e.U, e.P);
	fprintf(f, "#define TRACE(block, x, n) %s_trace(block, x, n)\n#else\n#define TRACE(block, x, n) ((void)0)\n#endif\n\n", e.P);
	fprintf(f, "/* ---- blocks: encoder, run over the whole source (n rows) ---- */\n\n");
	emit_blocks(&e, &ir->encode, true);
	fprintf(f, "/* ---- blocks: decoder, one step (row) at position st_pos ---- */\n\n");
	emit_blocks(&e, &ir->step, false);
	emit_step(&e);
	emit_entries(&e);
}

/* Instances: a context per sequence, its buffers the caller's. */
static void emit_ctx_api(const IR *ir, const EmitOpts *o, FILE *f)
{
	const char *P = o->prefix, *U = upper(o->prefix);
	bool lm = ir->m->is_lm;
	fprintf(f, "/* ---- instances ----\n"
		   " * Each %s_ctx is one model instance: a sequence of its own, on its own\n"
		   " * state (%s_STATE_BYTES, K/V caches and conv histories) and an arena\n"
		   " * (%s_ARENA_BYTES of scratch, which instances may share: nothing in it\n"
		   " * outlives a call but the encoder output). The weights are one copy for\n"
		   " * all. One call into the model at a time (no two threads or interrupts\n"
		   " * in it at once); between calls, instances interleave freely. The calls\n"
		   " * without _ctx work on a default instance with buffers of its own%s. */\n",
		P, U, U, o->external_buffers ? arena_printf(" (given by %s_set_buffers)", P) : "");
	fprintf(f, "typedef struct %s_ctx {  /* set by %s_init */\n", P, P);
	fprintf(f, "\tfloat *arena_mem, *state_mem;  /* aligned to %s_ALIGN is best */\n", U);
	fprintf(f, "\tint32_t pos, src_n;     /* decoder steps taken, source length */\n");
	fprintf(f, "\tint ready;              /* a source has been encoded */\n} %s_ctx;\n", P);
	fprintf(f, "#define %s_CTX_BYTES (sizeof(%s_ctx))\n", U, P);
	/* with the arena and state (when not the caller's), every byte of RAM */
	fprintf(f, "/* the rest of the RAM this model's file takes, besides arena and state:\n"
		   " * the int8 scratch, greedy's logits, the default instance and the\n"
		   " * current-instance pointer */\n");
	fprintf(f, "#define %s_STATIC_BYTES (%zu + sizeof(%s_ctx) + sizeof(void *))\n\n", U,
		ir->qx_bytes + (size_t)ir->m->tgt_vocab * 4, P);
	fprintf(f, "/* Give an instance its buffers and start it over. */\n");
	fprintf(f, "void %s_init(%s_ctx *ctx, float *arena, float *state);\n", P, P);
	if (!lm) {
		fprintf(f, "int %s_ctx_encode(%s_ctx *ctx, const int32_t *src, int32_t n);\n", P, P);
		fprintf(f, "const float *%s_ctx_encoder_output(%s_ctx *ctx);\n", P, P);
	}
	fprintf(f, "int %s_ctx_greedy(%s_ctx *ctx, const int32_t *%s, int32_t n, int32_t *out, int32_t max_out);\n",
		P, P, src_name(ir->m));
	fprintf(f, "int %s_ctx_decode_step(%s_ctx *ctx, int32_t token, float *logits);\n", P, P);
	fprintf(f, "void %s_ctx_reset(%s_ctx *ctx);\n\n/* ---- the default instance ---- */\n", P, P);
}

void emit_h(const IR *ir, const EmitOpts *o, FILE *f)
{
	const Model *m = ir->m;
	const char *P = o->prefix, *U = upper(o->prefix);
	fprintf(f, "/* %s.h — generated by ltcc %s; do not edit.\n * model: %s (%s), target %s */\n",
		P, LTCC_VERSION, m->name, emit_comment_text(o->ltd_name), emit_comment_text(o->target->name));
	fprintf(f, "#ifndef %s_H\n#define %s_H\n\n#include <stdint.h>\n\n", U, U);
	fprintf(f, "#define %s_DIM          %d\n", U, m->dim);
	if (!m->is_lm)
		fprintf(f, "#define %s_SRC_VOCAB    %d\n#define %s_MAX_SOURCE   %d\n", U, m->src_vocab, U, m->max_source);
	fprintf(f, "#define %s_VOCAB        %d   /* logits per step */\n", U, m->tgt_vocab);
	fprintf(f, "#define %s_MAX_TARGET   %d\n", U, m->max_target);
	fprintf(f, "#define %s_BOS %d\n#define %s_PAD %d\n#define %s_EOS %d\n#define %s_UNK %d\n",
		U, m->bos, U, m->pad, U, m->eos, U, m->unk);
	fprintf(f, "#define %s_ARENA_BYTES  %zu\n", U, ir->arena_floats * 4);
	fprintf(f, "#define %s_STATE_BYTES  %zu\n", U, ir->state_floats * 4);
	fprintf(f, "#define %s_WEIGHT_BYTES %zu\n", U, ir->weight_bytes);
	fprintf(f, "#define %s_ALIGN        %d   /* bytes: weights, arena and state (the target's) */\n",
		U, o->target->align);
	if (ir->qx_bytes)  /* static, beside arena and state: RAM the caller does not give */
		fprintf(f, "#define %s_QX_BYTES     %zu   /* int8 matmuls' quantized input rows (static) */\n",
			U, ir->qx_bytes);
	fputc('\n', f);
	fprintf(f, "/* return codes */\n#define %s_ERR_TOKEN     (-1)  /* token id outside the vocabulary */\n", U);
	fprintf(f, "#define %s_ERR_LENGTH    (-2)  /* length < 1 or above the maximum, or NULL */\n", U);
	fprintf(f, "#define %s_ERR_FULL      (-3)  /* decoder already at max target length */\n", U);
	if (!m->is_lm)
		fprintf(f, "#define %s_ERR_NO_SOURCE (-4)  /* decode_step before encode */\n", U);
	fprintf(f, "#define %s_ERR_NO_BUFFERS (-5) /* an instance without buffers%s */\n", U,
		o->external_buffers ? arena_printf(" (%s_set_buffers not called yet)", P) : "");
	if (o->external_buffers)
		fprintf(f, "#define %s_EXTERNAL_BUFFERS 1  /* the default instance's buffers are the caller's */\n", U);
	fputc('\n', f);
	fprintf(f, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
	emit_ctx_api(ir, o, f);
	if (o->external_buffers) {
		fprintf(f, "/* Give the model its memory before anything else: arena %s_ARENA_BYTES and\n"
			   " * state %s_STATE_BYTES bytes, float-aligned (%s_ALIGN is best), kept for as long as the\n"
			   " * model is used. Calling it again starts over: a new sequence, %s. */\n", U, U, U,
			m->is_lm ? "its history cleared" : "and a source to encode before the next step");
		fprintf(f, "void %s_set_buffers(float *arena, float *state);\n", P);
	}
	if (!m->is_lm) {
		fprintf(f, "/* Encode src[0..n); starts a new target sequence. 0 or an error code. */\n");
		fprintf(f, "int %s_encode(const int32_t *src, int32_t n);\n", P);
		fprintf(f, "/* The encoder's output (n, %s_DIM), valid until the next decode step. */\n", U);
		fprintf(f, "const float *%s_encoder_output(void);\n", P);
	}
	if (m->aout.on)
		fprintf(f, "/* Feed one token at the next position; writes logits[%s_VOCAB]: with this\n"
			   " * model's adaptive softmax, the log-probabilities of the whole vocabulary\n"
			   " * (fairseq's get_log_prob), not raw logits. */\n", U);
	else
		fprintf(f, "/* Feed one token at the next position; writes logits[%s_VOCAB]. */\n", U);
	fprintf(f, "int %s_decode_step(int32_t token, float *logits);\n", P);
	fprintf(f, "/* Start a new target sequence%s. */\n", m->is_lm ? "" : " for the same source");
	fprintf(f, "void %s_reset(void);\n", P);
	if (!m->is_lm)
		fprintf(f, "/* Encode src, then decode greedily from EOS; writes up to max_out tokens\n"
			   " * (the final EOS not included) and returns how many, or an error code. */\n");
	else
		fprintf(f, "/* Start a new sequence with prompt[0..n), then continue it greedily; writes\n"
			   " * up to max_out tokens (stopping before an EOS) and returns how many, or\n"
			   " * an error code. */\n");
	fprintf(f, "int %s_greedy(const int32_t *%s, int32_t n, int32_t *out, int32_t max_out);\n", P, src_name(m));
	fprintf(f, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}
