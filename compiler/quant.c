/* quant.c — weight quantization (--quantize w8, int8).
 *
 * Requires: a fused IR (folds such as the q scaling already applied to the
 * fp32 weights). Guarantees: every weight matrix a matmul reads (a
 * linear's W, dynamic conv's tap projection, the embeddings and the
 * output matrix) holds int8 rows with one fp32 scale per row, and
 * ir->weight_bytes counts what the generated file stores.
 *
 * The rule, the one tools/reference.py --quantize w8 simulates:
 *   m = max_j |W[r,j]|;  m < 2^-96 (0 too): q = 0, s = 0  (127 / m must
 *        not overflow; activations take the same rule, and NaN or Inf
 *        rows too, which weights never are: lower.c refuses them);
 *   else q[r,j] = round(W[r,j] * (127.0f / m)), half away from zero,
 *        clamped to [-127, 127];  s[r] = m / 127.0f   (all fp32).
 * --quantize int8 also marks those weights act8: the matmuls by them
 * quantize each input row by the same rule at run time (k_quant_rows in
 * templates/generic), sum q_x * q_w in int32 and scale the sum by
 * s_x * s_w in fp32. ir->qx_bytes sizes the scratch those rows go to. */
#include <math.h>
#include <string.h>
#include "ltcc.h"

size_t quant_tensor_bytes(const Tensor *t)
{
	size_t n = (size_t)t->rows * (size_t)t->cols;
	if (t->cz)
		return t->cz_bytes + sizeof(float) * (size_t)t->cz_nbook;
	return t->q ? n + sizeof(float) * (size_t)t->rows : sizeof(float) * n;
}

void quant_row(const float *w, int n, int8_t *q, float *s)
{
	float m = 0.0f;
	for (int j = 0; j < n; j++)
		m = fabsf(w[j]) > m ? fabsf(w[j]) : m;
	if (m < 0x1p-96f) {
		memset(q, 0, (size_t)n);
		*s = 0.0f;
		return;
	}
	float inv = 127.0f / m;
	for (int j = 0; j < n; j++) {
		float r = roundf(w[j] * inv);
		q[j] = (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : r);
	}
	*s = m / 127.0f;
}

static void quantize(Tensor *t)
{
	if (!t || t->q || t->cz)  /* compressed (compress.c): exact already, and smaller */
		return;
	t->q = arena_alloc((size_t)t->rows * (size_t)t->cols);
	t->qs = arena_alloc(sizeof(float) * (size_t)t->rows);
	for (int r = 0; r < t->rows; r++)
		quant_row(t->data + (size_t)r * (size_t)t->cols, t->cols, t->q + (size_t)r * (size_t)t->cols, &t->qs[r]);
}

Tensor *op_matmul_weight(const Op *o)
{
	switch (o->kind) {
	case OP_LINEAR: case OP_LINEAR_ACC: case OP_LINEAR_ACC_LN: case OP_LN_LINEAR:
	case OP_LINEAR_GLU: case OP_LOGITS:
		return o->in[1];
	case OP_CONV_DYN:  /* the tap projection, unless an earlier LINEAR made the taps */
		return o->taps_in ? NULL : o->in[1];
	case OP_EMBED:
		return o->in[0];
	default:
		return NULL;
	}
}

void quant_weights(IR *ir, Quant mode)
{
	ir->quant = mode;
	ir->qx_bytes = 0;
	const Program *ps[2] = { &ir->encode, &ir->step };
	for (int p = 0; p < 2 && mode != Q_NONE; p++)
		for (int i = 0; i < ps[p]->nops; i++) {
			const Op *o = ps[p]->ops[i];
			Tensor *w = op_matmul_weight(o);
			if (!w || w->cz)
				continue;
			quantize(w);
			w->act8 = mode == Q_I8;
			size_t in = (size_t)w->cols;  /* an embedding is a lookup, not a matmul */
			if (w->act8 && o->kind != OP_EMBED && QX_ROWS * in * 2 > ir->qx_bytes)
				ir->qx_bytes = QX_ROWS * in * 2;
		}
	ir->weight_bytes = 0;
	for (int i = 0; i < ir->ntensors; i++)
		if (ir->tensors[i]->kind == T_WEIGHT)
			ir->weight_bytes += quant_tensor_bytes(ir->tensors[i]);
}

/* --quantize MODE: none, w8 or int8; -1 if unknown. */
Quant quant_parse(const char *mode)
{
	static const char *const names[] = { [Q_NONE] = "none", [Q_W8] = "w8", [Q_I8] = "int8" };
	Quant q = Q_NONE;
	while (q <= Q_I8 && strcmp(mode, names[q]))
		q++;
	return q > Q_I8 ? (Quant)-1 : q;
}

/* Can --quantize MODE compile model m? If not, says why. */
bool quant_supports(const Model *m, Quant mode)
{
	if (mode == Q_NONE || !(m->ain.on || m->aout.on))
		return true;
	/* their band matrices have no int8 kernels yet */
	diag_error(m->ain.on ? m->ain.loc : m->aout.loc, "--quantize does not support adaptive input or "
		   "softmax models yet; compile this one in fp32");
	return false;
}
