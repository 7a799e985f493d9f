/* report.c — what a model costs: per-layer parameters, multiply-adds per
 * token, scratch and weight bytes, and the memory plan, as a table
 * (--report), as JSON (--report-json, written with json-c) and as a picture
 * of the arena (--report-svg).
 *
 * Multiply-adds count the matrix-like work (linear layers, attention
 * scores and mixing, convolution taps), as the Lite Transformer paper does,
 * for a source and target of REPORT_T tokens (the paper's 30). */
#include <json-c/json.h>
#include <string.h>
#include "ltcc.h"

#define REPORT_T 30

typedef struct Row {
	const char *name;   /* layer: "enc3", "dec0", or "embed"/"output"/... */
	size_t params;
	size_t weight_bytes;/* as stored (int8 rows and scales when quantized) */
	double macs;        /* per token */
	size_t scratch;     /* floats live at the layer's peak */
} Row;

/* "enc3_attn0" -> "enc3"; blocks outside layers keep their name */
static const char *layer_of(const char *block)
{
	const char *u = strchr(block, '_');
	if ((!strncmp(block, "enc", 3) || !strncmp(block, "dec", 3)) && u && block[3] >= '0' && block[3] <= '9')
		return arena_printf("%.*s", (int)(u - block), block);
	return block;
}

/* multiply-adds of one op for one token, at sequence length T */
/* Multiply-adds per row of op o, the keys counted at length T: the sum
 * over the kernel calls that compute it (KERNEL_TABLE). */
static double op_macs(const Op *o, int T)
{
	KCall k[KERN_MAX_CALLS];
	int nk = kern_calls(o, T, k);
	double m = 0;
	for (int i = 0; i < nk; i++)  /* an adaptive embedding's calls are one per band: the widest counts */
		m = o->kind == OP_EMBED_ADAPTIVE ? (kern_macs(&k[i]) > m ? kern_macs(&k[i]) : m) : m + kern_macs(&k[i]);
	return o->rows == RW_ONE ? m : m / T;
}

static Row *row_for(Row *rows, int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	rows[*n].name = name;
	return &rows[(*n)++];
}

static size_t nfloats(const Tensor *t) { return (size_t)t->rows * (size_t)t->cols; }

/* Collect rows for one program; weights are counted once, where first used. */
static int collect(const IR *ir, const Program *p, Row *rows, int n, bool *seen, double *total)
{
	for (int i = 0; i < p->nops; i++) {
		const Op *o = p->ops[i];
		Row *r = row_for(rows, &n, layer_of(o->block));
		double m = op_macs(o, REPORT_T);
		r->macs += m;
		*total += m;
		const Tensor *w[OP_MAX_W];
		int nw = op_weights(o, w);
		for (int k = 0; k < nw; k++)
			if (!seen[w[k]->id]) {
				seen[w[k]->id] = true;
				r->params += nfloats(w[k]);
				r->weight_bytes += quant_tensor_bytes(w[k]);
			}
		/* scratch: floats live at this op */
		size_t live = 0;
		for (int j = 0; j < ir->ntensors; j++) {
			const Tensor *t = ir->tensors[j];
			if (t->kind == T_ACT && !t->base && t->prog == (p == &ir->encode ? 0 : 1) &&
			    t->first <= i && i <= t->last)
				live += nfloats(t);
		}
		if (live > r->scratch)
			r->scratch = live;
	}
	return n;
}

typedef struct Totals {
	Row rows[1100];
	int n;
	double macs_enc, macs_step;
	/* adaptive softmax: MACs a step, all of it and the head alone, and
	 * of a flat V x O output layer; the adaptive layers' weight bytes and
	 * those of the flat layers they replace */
	double soft_macs, head_macs, flat_macs;
	size_t adapt_bytes, flat_bytes;
	size_t params;
	size_t by_kind[4];      /* weight bytes: int8 values, their scales, fp32, compressed */
	int ncz[4];             /* compressed matrices by CzFormat */
	size_t step_weights;    /* bytes of weight a decoder step reads */
} Totals;

static void adaptive_costs(const IR *ir, Totals *T)
{
	const Model *m = ir->m;
	bool *seen = arena_alloc(sizeof(bool) * (size_t)(ir->ntensors + 1));
	const Op *last = ir->step.ops[ir->step.nops - 1];
	size_t V = (size_t)m->tgt_vocab;
	if (ir->aout) {
		KCall k[KERN_MAX_CALLS];
		int nk = kern_calls(last, REPORT_T, k);
		for (int i = 0; i < nk; i++)
			T->soft_macs += kern_macs(&k[i]);
		T->head_macs = kern_macs(&k[0]) + kern_macs(&k[1]);
		T->flat_macs = (double)V * m->dec.out_dim;
		T->flat_bytes += m->aout.tied ? 0 : 4 * V * (size_t)m->dec.out_dim;
	}
	if (ir->ain)
		T->flat_bytes += 4 * V * (size_t)m->dim;
	const AdaptiveIR *ad[2] = { ir->ain, ir->aout };
	for (int a = 0; a < 2; a++)
		for (int b = 0; ad[a] && b < ad[a]->a->nband; b++) {
			const Tensor *t[2] = { ad[a]->E[b], ad[a]->P[b] };
			for (int i = 0; i < 2; i++)
				if (!seen[t[i]->id]) {
					seen[t[i]->id] = true;
					T->adapt_bytes += quant_tensor_bytes(t[i]);
				}
		}
}

static void totals(const IR *ir, Totals *T)
{
	bool *seen = arena_alloc(sizeof(bool) * (size_t)(ir->ntensors + 1));
	memset(T, 0, sizeof *T);
	T->n = collect(ir, &ir->encode, T->rows, 0, seen, &T->macs_enc);
	T->n = collect(ir, &ir->step, T->rows, T->n, seen, &T->macs_step);
	for (int i = 0; i < T->n; i++)
		T->params += T->rows[i].params;
	for (int j = 0; j < ir->ntensors; j++) {
		const Tensor *t = ir->tensors[j];
		if (t->kind != T_WEIGHT)
			continue;
		if (t->cz) {
			T->by_kind[3] += quant_tensor_bytes(t);
			T->ncz[t->cz_fmt]++;
		} else if (t->q) {
			T->by_kind[0] += nfloats(t);
			T->by_kind[1] += sizeof(float) * (size_t)t->rows;
		} else {
			T->by_kind[2] += sizeof(float) * nfloats(t);
		}
	}
	/* what one decoder step reads: every weight its ops touch, once (the
	 * embedding only one row, the output matrix all of it) */
	memset(seen, 0, sizeof(bool) * (size_t)(ir->ntensors + 1));
	for (int i = 0; i < ir->step.nops; i++) {
		const Op *o = ir->step.ops[i];
		const Tensor *w[OP_MAX_W];
		int nw = op_weights(o, w);
		if (o->kind == OP_EMBED_ADAPTIVE)  /* band 0's row and projection */
			nw = 2;
		for (int k = 0; k < nw; k++)
			if (!seen[w[k]->id]) {
				seen[w[k]->id] = true;
				bool row = o->kind == OP_EMBED || (o->kind == OP_EMBED_ADAPTIVE && k == 0);
				T->step_weights += row ? quant_tensor_bytes(w[k]) / (size_t)w[k]->rows : quant_tensor_bytes(w[k]);
			}
	}
	adaptive_costs(ir, T);
}

/* RAM the generated file takes: arena, state and the int8 scratch. */
static long long ram_bytes(const IR *ir)
{
	return (long long)(ir->arena_floats + ir->state_floats) * 4 + (long long)ir->qx_bytes;
}

/* Does the model fit the target's flash and RAM? With `complain`, each
 * shortfall is an error that says by how many bytes. */
bool report_fits(const IR *ir, const Target *t, bool complain)
{
	long long w = (long long)ir->weight_bytes, r = ram_bytes(ir);
	bool ok = true;
	if (t->flash && w > t->flash) {
		ok = false;
		if (complain)
			diag_plain_error("model '%s' does not fit %s: its weights need %lld bytes of flash, the target has %lld (%lld bytes over; --no-fit-check compiles it anyway)",
					 ir->m->name, t->name, w, t->flash, w - t->flash);
	}
	if (t->ram && r > t->ram) {
		ok = false;
		if (complain)
			diag_plain_error("model '%s' does not fit %s: arena, state and scratch need %lld bytes of RAM, the target has %lld (%lld bytes over; --no-fit-check compiles it anyway)",
					 ir->m->name, t->name, r, t->ram, r - t->ram);
	}
	return ok;
}


/* Each compressed matrix: its format, codebook, stream and ratio. */
static void compressed_table(const IR *ir, FILE *f)
{
	fprintf(f, "%-52s %-10s %6s %6s %9s %9s %7s\n", "compressed matrix", "shape", "format", "values",
		"nonzero", "bytes", "vs fp32");
	for (int i = 0; i < ir->ntensors; i++) {
		const Tensor *t = ir->tensors[i];
		if (t->kind != T_WEIGHT || !t->cz)
			continue;
		size_t n = nfloats(t), nz = 0;
		for (size_t k = 0; k < n; k++)
			nz += t->data[k] != 0.0f;
		fprintf(f, "%-52s %-10s %6s %6d %8.1f%% %9zu %6.1fx\n", t->src,
			arena_printf("%dx%d", t->rows, t->cols), cz_format_name[t->cz_fmt], t->cz_nbook,
			100.0 * (double)nz / (double)(n ? n : 1), quant_tensor_bytes(t),
			4.0 * (double)n / (double)quant_tensor_bytes(t));
	}
}

void report_text(const IR *ir, const Target *tg, FILE *f)
{
	static Totals T;
	totals(ir, &T);
	const Model *m = ir->m;
	fprintf(f, "model %s: %s, D=%d; multiply-adds per token at length %d\n", m->name,
		m->is_lm ? "decoder-only" : "encoder-decoder", m->dim, REPORT_T);
	fprintf(f, "%-16s %12s %14s %14s %14s\n", "layer", "params", "MACs/token", "scratch B", "weight B");
	for (int i = 0; i < T.n; i++) {
		const Row *r = &T.rows[i];
		fprintf(f, "%-16s %12zu %14.0f %14zu %14zu\n", r->name, r->params, r->macs, r->scratch * 4, r->weight_bytes);
	}
	fprintf(f, "%-16s %12zu %14s %14zu %14zu\n", "total", T.params, "", ir->arena_floats * 4, ir->weight_bytes);
	if (!m->is_lm)
		fprintf(f, "encoder: %.0f MACs/token, %.2f M for %d tokens (incl. cross K/V)\n", T.macs_enc,
			T.macs_enc * REPORT_T / 1e6, REPORT_T);
	fprintf(f, "decoder step: %.0f MACs (%.2f M for %d steps)\n", T.macs_step, T.macs_step * REPORT_T / 1e6, REPORT_T);
	if (ir->aout)
		fprintf(f, "adaptive softmax: %.0f MACs a step with every tail, %.0f for the head alone (greedy decoding's least); "
			   "a flat %d x %d output layer: %.0f (%.2fx)\n", T.soft_macs, T.head_macs, m->tgt_vocab,
			m->dec.out_dim, T.flat_macs, T.flat_macs / T.soft_macs);
	if (ir->ain || ir->aout)
		fprintf(f, "adaptive layers: %zu B of weights; the flat %s they replace: %zu B (%.2fx)\n", T.adapt_bytes,
			ir->ain && ir->aout && !m->aout.tied ? "embedding and output matrix" : ir->aout && !ir->ain
			? "output matrix" : "embedding (an output tied to it)", T.flat_bytes,
			(double)T.flat_bytes / (double)T.adapt_bytes);
	if (T.by_kind[3])
		compressed_table(ir, f);
	if (ir->quant != Q_NONE || T.by_kind[3])
		fprintf(f, "weights: %zu B compressed (S4 %d, D4 %d, D8 %d matrices), %zu B int8, %zu B of their scales, "
			   "%zu B fp32; %.2fx smaller than fp32 (%zu B)\n", T.by_kind[3], T.ncz[CZ_S4], T.ncz[CZ_D4],
			T.ncz[CZ_D8], T.by_kind[0], T.by_kind[1], T.by_kind[2],
			(double)T.params * 4 / (double)ir->weight_bytes, T.params * 4);
	fprintf(f, "memory: weights %zu B (flash), arena %zu B (lower bound %zu B, naive %zu B), state %zu B",
		ir->weight_bytes, ir->arena_floats * 4, ir->arena_lower_bound * 4, ir->arena_naive * 4,
		ir->state_floats * 4);
	if (ir->qx_bytes)
		fprintf(f, ", int8 input rows %zu B", ir->qx_bytes);
	fputc('\n', f);
	long long w = (long long)ir->weight_bytes, r = ram_bytes(ir);
	Cost c = cost_estimate(ir, tg);
	double ms = 1e3 / (tg->clock_mhz * 1e6);
	fprintf(f, "estimate on %s at %d MHz (%s): encoder %.3f ms for %d tokens, %d decoder steps %.3f ms (%.4f ms a step)\n",
		tg->name, tg->clock_mhz, tg->priced ? arena_printf("cost model: %d prices", tg->priced)
						    : arena_printf("%g MACs a cycle", tg->macs_per_cycle),
		c.enc_cycles * ms, c.T, c.T, c.step_cycles * ms, c.step_cycles * ms / c.T);
	if (!tg->flash && !tg->ram)
		fprintf(f, "target %s: no memory limits\n", tg->name);
	else
		fprintf(f, "target %s: flash %lld of %lld B (margin %lld), RAM %lld of %lld B (margin %lld): %s\n",
			tg->name, w, tg->flash, tg->flash - w, r, tg->ram, tg->ram - r,
			report_fits(ir, tg, false) ? "fits" : "DOES NOT FIT");
}

/* Per kernel, what run_model.h runs (cost.c's run: the encoder over T
 * tokens, T decoder steps, each at its own length): its calls, MACs and
 * other work in each, the figures a per-kernel profile divides by and the
 * cost model's calibration fits to. */
typedef struct KSum { double calls, macs, work; } KSum;

static void sum_calls(const Program *p, int T, KSum *ks)
{
	KCall k[KERN_MAX_CALLS];
	for (int i = 0; i < p->nops; i++) {
		int nk = kern_calls(p->ops[i], T, k);
		for (int j = 0; j < nk; j++) {
			ks[k[j].k].calls++;
			ks[k[j].k].macs += kern_macs(&k[j]);
			ks[k[j].k].work += kern_work(&k[j]);
		}
	}
}

static json_object *kernel_macs(const IR *ir)
{
	KSum enc[K_COUNT] = {{0}}, step[K_COUNT] = {{0}};
	int T = cost_length(ir->m);
	sum_calls(&ir->encode, T, enc);
	for (int t = 1; t <= T; t++)
		sum_calls(&ir->step, t, step);
	json_object *o = json_object_new_object();
	for (int i = 0; i < K_COUNT; i++) {
		if (!enc[i].calls && !step[i].calls)
			continue;
		json_object *r = json_object_new_object();
		json_object_object_add(r, "calls_encoder", json_object_new_int64((int64_t)enc[i].calls));
		json_object_object_add(r, "macs_encoder", json_object_new_int64((int64_t)enc[i].macs));
		json_object_object_add(r, "work_encoder", json_object_new_int64((int64_t)enc[i].work));
		json_object_object_add(r, "calls_steps", json_object_new_int64((int64_t)step[i].calls));
		json_object_object_add(r, "macs_steps", json_object_new_int64((int64_t)step[i].macs));
		json_object_object_add(r, "work_steps", json_object_new_int64((int64_t)step[i].work));
		json_object_object_add(o, kern_name[i], r);
	}
	return o;
}

/* name -> {format, values, bytes} for each compressed matrix */
static json_object *compressed_json(const IR *ir)
{
	json_object *o = json_object_new_object();
	for (int i = 0; i < ir->ntensors; i++) {
		const Tensor *t = ir->tensors[i];
		if (t->kind != T_WEIGHT || !t->cz)
			continue;
		json_object *r = json_object_new_object();
		json_object_object_add(r, "format", json_object_new_string(cz_format_name[t->cz_fmt]));
		json_object_object_add(r, "values", json_object_new_int(t->cz_nbook));
		json_object_object_add(r, "bytes", json_object_new_int64((int64_t)quant_tensor_bytes(t)));
		json_object_object_add(o, t->src, r);
	}
	return o;
}

bool report_json(const IR *ir, const Target *tg, const char *path)
{
	static Totals T;
	totals(ir, &T);
	json_object *o = json_object_new_object(), *layers = json_object_new_array();
	json_object_object_add(o, "model", json_object_new_string(ir->m->name));
	json_object_object_add(o, "params", json_object_new_int64((int64_t)T.params));
	json_object_object_add(o, "macs_encoder", json_object_new_int64((int64_t)(T.macs_enc * REPORT_T)));
	json_object_object_add(o, "macs_decoder_step", json_object_new_int64((int64_t)T.macs_step));
	json_object_object_add(o, "report_length", json_object_new_int(REPORT_T));
	json_object_object_add(o, "weight_bytes", json_object_new_int64((int64_t)ir->weight_bytes));
	json_object_object_add(o, "weight_bytes_int8", json_object_new_int64((int64_t)T.by_kind[0]));
	json_object_object_add(o, "weight_bytes_scales", json_object_new_int64((int64_t)T.by_kind[1]));
	json_object_object_add(o, "weight_bytes_fp32", json_object_new_int64((int64_t)T.by_kind[2]));
	json_object_object_add(o, "weight_bytes_compressed", json_object_new_int64((int64_t)T.by_kind[3]));
	json_object_object_add(o, "compressed", compressed_json(ir));
	json_object_object_add(o, "weight_bytes_as_fp32", json_object_new_int64((int64_t)T.params * 4));
	json_object_object_add(o, "weight_bytes_decoder_step", json_object_new_int64((int64_t)T.step_weights));
	if (ir->ain || ir->aout) {
		json_object_object_add(o, "adaptive_weight_bytes", json_object_new_int64((int64_t)T.adapt_bytes));
		json_object_object_add(o, "flat_weight_bytes", json_object_new_int64((int64_t)T.flat_bytes));
	}
	if (ir->aout) {
		json_object_object_add(o, "adaptive_softmax_macs", json_object_new_int64((int64_t)T.soft_macs));
		json_object_object_add(o, "adaptive_softmax_head_macs", json_object_new_int64((int64_t)T.head_macs));
		json_object_object_add(o, "flat_output_macs", json_object_new_int64((int64_t)T.flat_macs));
	}
	json_object_object_add(o, "arena_bytes", json_object_new_int64((int64_t)ir->arena_floats * 4));
	json_object_object_add(o, "arena_lower_bound_bytes", json_object_new_int64((int64_t)ir->arena_lower_bound * 4));
	json_object_object_add(o, "arena_naive_bytes", json_object_new_int64((int64_t)ir->arena_naive * 4));
	json_object_object_add(o, "state_bytes", json_object_new_int64((int64_t)ir->state_floats * 4));
	json_object_object_add(o, "qx_bytes", json_object_new_int64((int64_t)ir->qx_bytes));
	json_object_object_add(o, "target", json_object_new_string(tg->name));
	json_object_object_add(o, "flash_bytes", json_object_new_int64(tg->flash));
	json_object_object_add(o, "ram_bytes", json_object_new_int64(tg->ram));
	json_object_object_add(o, "fits", json_object_new_boolean(report_fits(ir, tg, false)));
	Cost c = cost_estimate(ir, tg);
	json_object_object_add(o, "estimate_tokens", json_object_new_int(c.T));
	json_object_object_add(o, "estimate_encoder_cycles", json_object_new_double(c.enc_cycles));
	json_object_object_add(o, "estimate_steps_cycles", json_object_new_double(c.step_cycles));
	json_object_object_add(o, "estimate_ms", json_object_new_double(c.ms));
	for (int i = 0; i < T.n; i++) {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "name", json_object_new_string(T.rows[i].name));
		json_object_object_add(r, "params", json_object_new_int64((int64_t)T.rows[i].params));
		json_object_object_add(r, "macs_per_token", json_object_new_int64((int64_t)T.rows[i].macs));
		json_object_object_add(r, "scratch_bytes", json_object_new_int64((int64_t)T.rows[i].scratch * 4));
		json_object_object_add(r, "weight_bytes", json_object_new_int64((int64_t)T.rows[i].weight_bytes));
		json_object_array_add(layers, r);
	}
	json_object_object_add(o, "layers", layers);
	json_object_object_add(o, "kernels", kernel_macs(ir));
	FILE *f = out_create(path);
	if (f)
		fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return f != NULL;
}

/* The arena as a picture: x = op index (encode, then decode_step), y =
 * offset; one rectangle per buffer, coloured by layer, and the lower bound
 * as a dashed line. */
bool report_svg(const IR *ir, const char *path)
{
	FILE *f = out_create(path);
	if (!f)
		return false;
	int ne = ir->encode.nops, ns = ir->step.nops, nops = ne + ns;
	double W = 1200, H = 640, L = 70, Tm = 80;
	double sx = (W - L - 20) / (nops ? nops : 1), sy = (H - Tm - 40) / (double)(ir->arena_floats ? ir->arena_floats : 1);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%.0f\" y=\"18\" font-size=\"14\">%s: scratch arena %zu B (lower bound %zu B, naive %zu B)</text>\n",
		L, ir->m->name, ir->arena_floats * 4, ir->arena_lower_bound * 4, ir->arena_naive * 4);
	for (int i = 0; i < ir->ntensors; i++) {
		const Tensor *t = ir->tensors[i];
		if (t->kind != T_ACT || t->base || t->first < 0)
			continue;
		int x0 = t->first + (t->prog == 1 ? ne : 0), x1 = t->last + (t->prog == 1 ? ne : 0) + 1;
		/* colour by layer (the name up to '_'): FNV-1a, so enc0 and enc1 differ */
		unsigned h = 2166136261u;
		for (const char *p = t->name; *p && *p != '_'; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		h ^= h >> 13;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"hsl(%u,60%%,70%%)\" stroke=\"#333\" stroke-width=\"0.3\"><title>%s: %zu floats at %zu, ops %d-%d</title></rect>\n",
			L + x0 * sx, H - 40 - (double)(t->off + nfloats(t)) * sy, (x1 - x0) * sx, (double)nfloats(t) * sy,
			h % 360, t->name, nfloats(t), t->off, t->first, t->last);
		if ((x1 - x0) * sx > 40 && nfloats(t) * sy > 12)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", L + x0 * sx + 2,
				H - 40 - (double)t->off * sy - 3, t->name);
	}
	/* layer names along the top, where each layer's ops begin */
	const char *prev = "";
	for (int i = 0; i < nops; i++) {
		const Op *o = i < ne ? ir->encode.ops[i] : ir->step.ops[i - ne];
		const char *lay = layer_of(o->block);
		if (strcmp(lay, prev))
			fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"9\" transform=\"rotate(-45 %.1f %.0f)\">%s</text>\n",
				L + i * sx, Tm - 2, L + i * sx, Tm - 2, lay);
		prev = lay;
	}
	double yl = H - 40 - (double)ir->arena_lower_bound * sy;
	fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"red\" stroke-dasharray=\"6,4\"/>\n", L, W - 20, yl, yl);
	fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" fill=\"red\">lower bound</text>\n", W - 100, yl - 4);
	fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L, W - 20, H - 40, H - 40);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">op index: encode (0-%d), then decode_step</text>\n", L, H - 15, ne ? ne - 1 : 0);
	fprintf(f, "<text x=\"10\" y=\"%.0f\" transform=\"rotate(-90 10 %.0f)\">arena offset</text>\n", H / 2, H / 2);
	fprintf(f, "</svg>\n");
	return true;
}
