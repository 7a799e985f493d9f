/* ---- kernels: portable C99 (ltcc templates/generic/kernels.c) ----
 * Matrices are row-major (but a packed Wp: k_panel); `xs`, `ys` are row
 * strides in floats, so a
 * kernel can read or write a column slice of a wider buffer in place.
 * A line that opens with the marker "slash-star-at NAME DEPS" starts a
 * kernel: ltcc copies only the kernels a model calls, and what they call,
 * so the output holds no unused code. */
#include <float.h>  /* FLT_EVAL_METHOD, for k_quant_rows */

/*@ k_fma */
/* a * b + c, fused where the target has a fused multiply-add (fmaf is
 * then one instruction), else the two operations */
#if defined(FP_FAST_FMAF) || defined(__FP_FAST_FMAF)
#define K_FMA(a, b, c) fmaf(a, b, c)
#else
#define K_FMA(a, b, c) ((a) * (b) + (c))
#endif

/*@ k_exp k_fma */
/* e^x without libm, for the softmaxes and the sigmoid: x = n ln2 + r with
 * |r| <= ln2/2 (ln2 in two parts, so r is exact), e^r by its Taylor
 * polynomial to degree 7 (truncation below 6e-9), times 2^n built in the
 * exponent bits (2^128, which is no float, as 2^127 times 2). n is
 * x log2(e) rounded by adding 1.5 * 2^23, which leaves it in the low bits
 * of the sum; the polynomial's steps are fused multiply-adds where the
 * target has them (K_FMA). Relative error below 1.5e-7 against exp over
 * [-87.3, 88.7] (tests/exp measures it, with and without FMA: 9.3e-8 at
 * most); below -87.3 (exp(-inf) of an empty softmax included) it gives 0
 * where libm gives a subnormal, above 88.72 +inf, and NaN stays NaN.
 * About 30 instructions where newlib's expf runs 60. */
static inline float k_exp(float x)
{
	float z, n, r, p, s;
	int32_t k, b;
	if (!(x > -87.33655f))
		return x != x ? x : 0.0f;
	if (x > 88.72283f)
		return HUGE_VALF;
	z = x * 1.44269504f + 12582912.0f;  /* 1.5 * 2^23 + n, n nearest to x log2(e) */
	memcpy(&k, &z, sizeof k);
	k -= 0x4b400000;                      /* the bits of 1.5 * 2^23 */
	n = (float)k;  /* not z - 1.5 * 2^23, which -ffast-math folds to x log2(e) */
	r = K_FMA(n, 2.12194440e-4f, K_FMA(n, -0.693359375f, x));
	p = K_FMA(r, 1.98412698e-4f, 1.38888889e-3f);
	p = K_FMA(p, r, 8.33333333e-3f);
	p = K_FMA(p, r, 4.16666667e-2f);
	p = K_FMA(p, r, 1.66666667e-1f);
	p = K_FMA(p, r, 0.5f);
	p = K_FMA(p, r, 1.0f);
	p = K_FMA(p, r, 1.0f);
	if (k > 127)  /* 2^128 is no float: 2^127, then 2 */
		return p * 1.70141183e38f * 2.0f;
	b = (k + 127) * (1 << 23);
	memcpy(&s, &b, sizeof s);
	return p * s;
}

/*@ k_softmax k_exp */
/* softmax over x[0..n) in place: max-subtracted exp, then divide */
static void k_softmax(float *x, int n)
{
	float mx = x[0], sum = 0.0f;
	int i;
	for (i = 1; i < n; i++)
		mx = x[i] > mx ? x[i] : mx;
	for (i = 0; i < n; i++)
		sum += (x[i] = k_exp(x[i] - mx));
	for (i = 0; i < n; i++)
		x[i] /= sum;
}

/*@ k_softmax_rows k_softmax */
/* softmax over each of x's `rows` rows of `len` (a step's conv taps, per head) */
static void k_softmax_rows(int rows, int len, float *x)
{
	int r;
	for (r = 0; r < rows; r++)
		k_softmax(x + r * len, len);
}

/*@ k_out */
/* the epilogue of a linear layer: (s + bias) * scale, then the activation
 * (0 none, 1 relu, 2 gelu), stored or added to what y holds */
static void k_out(float s, const float *b, int o, float scale, int act, int acc, float *y)
{
	if (b)
		s += b[o];
	s *= scale;
	if (act == 1)
		s = s > 0.0f ? s : 0.0f;
	else if (act == 2)
		s = 0.5f * s * (1.0f + erff(s * 0.70710678118654752f));
	y[o] = acc ? y[o] + s : s;
}

/*@ k_linear k_out */
/* act(x (n,in) @ W^T (in,out) + b) * scale -> y (n,out) */
static void k_linear(int n, int in, int out, const float *restrict x, int xs,
		     const float *restrict W, const float *restrict b,
		     float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, i;
	for (t = 0; t < n; t++) {
		const float *xr = x + (long)t * xs;
		for (o = 0; o < out; o++) {
			const float *wr = W + (long)o * in;
			float s = 0.0f;
			for (i = 0; i < in; i++)
				s += xr[i] * wr[i];
			k_out(s, b, o, scale, act, acc, y + (long)t * ys);
		}
	}
}

/*@ k_linear_ln k_linear k_add_layernorm */
/* y[:, c0:c0+out] += x (n,in) @ W^T + b, then each row of y (D wide) is
 * normalised (gamma, beta) two rows at a time, while they are still in
 * cache: a residual add and LayerNorm in the matmul's epilogue */
static void k_linear_ln(int n, int in, int out, const float *restrict x, int xs,
			const float *restrict W, const float *restrict b, float *restrict y, int ys,
			int c0, int D, const float *restrict gamma, const float *restrict beta)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_linear(r, in, out, x + (long)t * xs, xs, W, b, y + (long)t * ys + c0, ys, 1.0f, 0, 1);
		k_add_layernorm(r, D, y + (long)t * ys, ys, 0, 0, gamma, beta, 0);
	}
}

/*@ k_ln_linear k_linear k_layernorm */
/* y = act(LN(x) (n,in) @ W^T + b): two rows normalised at a time into
 * `pair` (2, in) and fed to the matmul, so LN(x) is never stored */
static void k_ln_linear(int n, int in, int out, const float *restrict x, int xs,
			const float *restrict W, const float *restrict b, float *restrict y, int ys, int act,
			const float *restrict gamma, const float *restrict beta, float *restrict pair)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_layernorm(r, in, x + (long)t * xs, xs, pair, in, gamma, beta);
		k_linear(r, in, out, pair, in, W, b, y + (long)t * ys, ys, 1.0f, act, 0);
	}
}

/*@ k_linear_glu k_linear k_glu */
/* g (n,w) = GLU(x (n,in) @ W^T (in,2w) + b): two rows of linear1's output
 * at a time into `pair` (2, 2w), gated at once, so the (n, 2w) output is
 * never stored; the target's k_linear does the arithmetic */
static void k_linear_glu(int n, int in, int w, const float *restrict x, int xs,
			 const float *restrict W, const float *restrict b,
			 float *restrict g, int gs, float *restrict pair)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_linear(r, in, 2 * w, x + (long)t * xs, xs, W, b, pair, 2 * w, 1.0f, 0, 0);
		k_glu(r, w, pair, 2 * w, g + (long)t * gs, gs);
	}
}

/*@ k_panel */
/* A packed matrix Wp (ltcc's pack pass, for targets that ask for one): its
 * rows in panels of K_PANEL, the last one narrower, each panel stored
 * column by column, so a kernel reads a panel front to back while it
 * multiplies one input into K_PANEL outputs. Row r of the panel that
 * starts at row p (w = min(K_PANEL, out - p) rows wide) holds column i at
 * Wp[p * in + i * w + r - p]. A GLU's matrix packs its halves apart. */
#define K_PANEL 16

/*@ k_linear_pk k_panel k_out */
/* k_linear with a packed matrix: the same sums, in the same order */
static void k_linear_pk(int n, int in, int out, const float *restrict x, int xs,
			const float *restrict Wp, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, i;
	for (t = 0; t < n; t++) {
		const float *xr = x + (long)t * xs;
		for (o = 0; o < out; o++) {
			int p = o - o % K_PANEL, w = out - p < K_PANEL ? out - p : K_PANEL;
			const float *wr = Wp + (long)p * in + (o - p);
			float s = 0.0f;
			for (i = 0; i < in; i++)
				s += xr[i] * wr[(long)i * w];
			k_out(s, b, o, scale, act, acc, y + (long)t * ys);
		}
	}
}

/*@ k_linear_ln_pk k_linear_pk k_add_layernorm */
/* k_linear_ln with a packed matrix */
static void k_linear_ln_pk(int n, int in, int out, const float *restrict x, int xs,
			   const float *restrict Wp, const float *restrict b, float *restrict y, int ys,
			   int c0, int D, const float *restrict gamma, const float *restrict beta)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_linear_pk(r, in, out, x + (long)t * xs, xs, Wp, b, y + (long)t * ys + c0, ys, 1.0f, 0, 1);
		k_add_layernorm(r, D, y + (long)t * ys, ys, 0, 0, gamma, beta, 0);
	}
}

/*@ k_ln_linear_pk k_linear_pk k_layernorm */
/* k_ln_linear with a packed matrix */
static void k_ln_linear_pk(int n, int in, int out, const float *restrict x, int xs,
			   const float *restrict Wp, const float *restrict b, float *restrict y, int ys, int act,
			   const float *restrict gamma, const float *restrict beta, float *restrict pair)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_layernorm(r, in, x + (long)t * xs, xs, pair, in, gamma, beta);
		k_linear_pk(r, in, out, pair, in, Wp, b, y + (long)t * ys, ys, 1.0f, act, 0);
	}
}

/*@ k_linear_glu_pk k_linear_pk k_glu */
/* k_linear_glu with a packed matrix: its halves, packed apart, are two
 * matmuls into the two halves of `pair` */
static void k_linear_glu_pk(int n, int in, int w, const float *restrict x, int xs,
			    const float *restrict Wp, const float *restrict b,
			    float *restrict g, int gs, float *restrict pair)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_linear_pk(r, in, w, x + (long)t * xs, xs, Wp, b, pair, 2 * w, 1.0f, 0, 0);
		k_linear_pk(r, in, w, x + (long)t * xs, xs, Wp + (long)w * in, b ? b + w : 0, pair + w, 2 * w,
			    1.0f, 0, 0);
		k_glu(r, w, pair, 2 * w, g + (long)t * gs, gs);
	}
}

/*@ k_glu k_exp */
/* g (n,w) = u[:, :w] * sigmoid(u[:, w:2w]) */
static void k_glu(int n, int w, const float *restrict u, int us, float *restrict g, int gs)
{
	int t, c;
	for (t = 0; t < n; t++)
		for (c = 0; c < w; c++) {
			float a = u[(long)t * us + c], z = u[(long)t * us + w + c];
			g[(long)t * gs + c] = a / (1.0f + k_exp(-z));
		}
}

/*@ k_dots */
/* sc[j] = q . k_j over hd values, for n >= 1 rows ks apart: a block of
 * attention scores, each summed down its channels in order */
static void k_dots(int hd, const float *q, const float *k, int ks, int n, float *sc)
{
	int c, j;
	for (j = 0; j < n; j++) {
		const float *kr = k + (long)j * ks;
		float s = 0.0f;
		for (c = 0; c < hd; c++)
			s += q[c] * kr[c];
		sc[j] = s;
	}
}

/*@ k_wsum */
/* o[c] += sum_j p[j] v_j[c] over n >= 1 rows vs apart, each o[c] summed
 * over j in order: attention's weighted values, a convolution's taps */
static void k_wsum(int hd, const float *p, const float *v, int vs, int n, float *o)
{
	int c, j;
	for (j = 0; j < n; j++) {
		const float *vr = v + (long)j * vs;
		for (c = 0; c < hd; c++)
			o[c] += p[j] * vr[c];
	}
}

/*@ k_exp_block k_exp */
/* p[j] = e^(p[j] - m) for j < n, returning their sum: a block of
 * attention weights. A function of its own (noinline), so that the exp's
 * constants stay in registers over the loop: inlined between the Cortex-M
 * asm blocks, which clobber every FPU register, GCC reloads them per key. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static float k_exp_block(int n, float *p, float m)
{
	float l = 0.0f;
	int j;
	for (j = 0; j < n; j++)
		l += (p[j] = k_exp(p[j] - m));
	return l;
}

/*@ k_attention k_exp k_dots k_wsum k_exp_block */
/* Multi-head attention, one query row at a time with a streaming softmax:
 * one pass over the keys keeps the running maximum m, the running sum l
 * and the output o scaled to m, so no score row and never a T x T map:
 * o[t, h] = sum_j exp(s_j - m) v_j / l,  s_j = q[t, h] . k[j, h].
 * q is already scaled. The keys go K_ATT_KEYS at a time: the block's
 * scores (k_dots), its maximum, one rescale of what is summed so far if
 * that is a new maximum, the block's exps (k_exp_block), then the values
 * weighted by them (k_wsum). Those three run down a head's channels, which
 * a target's kernels keep in registers (Cortex-M FPU, AVX2). */
#define K_ATT_KEYS 16
static void k_attention(int nq, int nk, int heads, int hd,
			const float *restrict q, int qs, const float *restrict k, int ks,
			const float *restrict v, int vs, float *restrict o, int os)
{
	float sc[K_ATT_KEYS];
	int t, h, j0, j, c, n;
	for (t = 0; t < nq; t++)
		for (h = 0; h < heads; h++) {
			const float *qr = q + (long)t * qs + h * hd;
			float *orow = o + (long)t * os + h * hd, m = -INFINITY, l = 0.0f;
			for (c = 0; c < hd; c++)
				orow[c] = 0.0f;
			for (j0 = 0; j0 < nk; j0 += n) {
				float bm;
				n = nk - j0 < K_ATT_KEYS ? nk - j0 : K_ATT_KEYS;
				k_dots(hd, qr, k + (long)j0 * ks + h * hd, ks, n, sc);
				for (bm = sc[0], j = 1; j < n; j++)
					bm = sc[j] > bm ? sc[j] : bm;
				if (bm > m && j0 > 0) {  /* a new maximum: rescale what is summed so far */
					float r = k_exp(m - bm);
					l *= r;
					for (c = 0; c < hd; c++)
						orow[c] *= r;
				}
				m = bm > m ? bm : m;
				l += k_exp_block(n, sc, m);
				k_wsum(hd, sc, v + (long)j0 * vs + h * hd, vs, n, orow);
			}
			for (c = 0; c < hd; c++)
				orow[c] /= l;
		}
}

/*@ k_attention_map k_softmax */
/* The same attention the way a framework runs it, kept for measuring the
 * streaming kernel against (ltcc --no-stream-attention): the score map
 * S (heads, nq, nk) is stored whole, softmaxed row by row, then S v. */
static void k_attention_map(int nq, int nk, int heads, int hd,
			    const float *restrict q, int qs, const float *restrict k, int ks,
			    const float *restrict v, int vs, float *restrict o, int os, float *restrict S)
{
	int t, h, j, c;
	for (h = 0; h < heads; h++)
		for (t = 0; t < nq; t++) {
			float *sr = S + ((long)h * nq + t) * nk;
			for (j = 0; j < nk; j++) {
				float s = 0.0f;
				for (c = 0; c < hd; c++)
					s += q[(long)t * qs + h * hd + c] * k[(long)j * ks + h * hd + c];
				sr[j] = s;
			}
			k_softmax(sr, nk);
		}
	for (h = 0; h < heads; h++)
		for (t = 0; t < nq; t++) {
			const float *sr = S + ((long)h * nq + t) * nk;
			float *orow = o + (long)t * os + h * hd;
			for (c = 0; c < hd; c++)
				orow[c] = 0.0f;
			for (j = 0; j < nk; j++)
				for (c = 0; c < hd; c++)
					orow[c] += sr[j] * v[(long)j * vs + h * hd + c];
		}
}

/*@ k_conv_row k_wsum */
/* o[t, c] = sum_k wt[c / R, k] * g[t - P + k, c], zero outside [0, n):
 * the taps that fall outside are cut from the bounds once per row (k0,
 * k1), and each head's R channels are summed down its taps by k_wsum */
static void k_conv_row(int t, int n, int w, int heads, int K, int P, const float *restrict g, int gs,
		       const float *restrict wt, float *restrict orow)
{
	int R = w / heads, k0 = t < P ? P - t : 0, k1 = t - P + K > n ? n - t + P : K, h, c;
	for (c = 0; c < w; c++)
		orow[c] = 0.0f;
	if (k1 > k0)
		for (h = 0; h < heads; h++)
			k_wsum(R, wt + h * K + k0, g + (long)(t - P + k0) * gs + h * R, gs, k1 - k0, orow + h * R);
}

/*@ k_conv_light k_softmax k_conv_row */
/* lightweight conv over a whole sequence; wt (heads, K), already softmaxed
 * unless `sm` */
static void k_conv_light(int n, int w, int heads, int K, int P, const float *restrict g, int gs,
			 const float *restrict wt, float *restrict o, int os, float *restrict tmp, int sm)
{
	int t, h;
	const float *use = wt;
	if (sm) {
		for (h = 0; h < heads * K; h++)
			tmp[h] = wt[h];
		for (h = 0; h < heads; h++)
			k_softmax(tmp + h * K, K);
		use = tmp;
	}
	for (t = 0; t < n; t++)
		k_conv_row(t, n, w, heads, K, P, g, gs, use, o + (long)t * os);
}

/*@ k_conv_dyn k_linear k_softmax k_conv_row */
/* dynamic conv over a whole sequence: the taps of step t are
 * softmax(g[t] Ww^T) (heads, K), computed per step, never stored for all t */
static void k_conv_dyn(int n, int w, int heads, int K, int P, const float *restrict g, int gs,
		       const float *restrict Ww, float *restrict o, int os, float *restrict taps, int sm)
{
	int t, h;
	for (t = 0; t < n; t++) {
		k_linear(1, w, heads * K, g + (long)t * gs, gs, Ww, 0, taps, heads * K, 1.0f, 0, 0);
		if (sm)
			for (h = 0; h < heads; h++)
				k_softmax(taps + h * K, K);
		k_conv_row(t, n, w, heads, K, P, g, gs, taps, o + (long)t * os);
	}
}

/*@ k_conv_dyn_taps k_softmax k_conv_row */
/* dynamic conv whose taps (n, heads*K) an earlier matmul stored for every
 * step (ltcc --no-fuse-dyn-taps); softmaxed here, row by row, in place */
static void k_conv_dyn_taps(int n, int w, int heads, int K, int P, const float *restrict g, int gs,
			    float *restrict taps, float *restrict o, int os, int sm)
{
	int t, h;
	for (t = 0; t < n; t++) {
		float *tr = taps + (long)t * heads * K;
		if (sm)
			for (h = 0; h < heads; h++)
				k_softmax(tr + h * K, K);
		k_conv_row(t, n, w, heads, K, P, g, gs, tr, o + (long)t * os);
	}
}

/*@ k_conv_step k_wsum */
/* one causal step: the window is the K-1 rows of history, then g, each
 * head's channels summed down it by k_wsum */
static void k_conv_step(int w, int heads, int K, const float *restrict g, const float *restrict hist,
			const float *restrict wt, float *restrict o)
{
	int R = w / heads, h, c;
	for (c = 0; c < w; c++)
		o[c] = 0.0f;
	for (h = 0; h < heads; h++) {
		if (K > 1)
			k_wsum(R, wt + h * K, hist + h * R, w, K - 1, o + h * R);
		k_wsum(R, wt + h * K + K - 1, g + h * R, w, 1, o + h * R);
	}
}

/*@ k_conv_push */
/* drop the oldest history row, append g */
static void k_conv_push(int w, int K, const float *restrict g, float *restrict hist)
{
	memmove(hist, hist + w, sizeof(float) * (size_t)(K - 2) * (size_t)w);
	memcpy(hist + (long)(K - 2) * w, g, sizeof(float) * (size_t)w);
}

/*@ k_copy */
/* y (n,cols) = x, or y += x when acc: a branch's channel slice copied out
 * or its output copied back (ltcc --no-zero-copy) */
static void k_copy(int n, int cols, const float *restrict x, int xs, float *restrict y, int ys, int acc)
{
	int t, c;
	for (t = 0; t < n; t++)
		for (c = 0; c < cols; c++)
			y[(long)t * ys + c] = acc ? y[(long)t * ys + c] + x[(long)t * xs + c] : x[(long)t * xs + c];
}

/*@ k_add_layernorm */
/* x (n,D) = LayerNorm(x + y) with gamma, beta; eps 1e-5, biased variance */
static void k_add_layernorm(int n, int D, float *restrict x, int xs, const float *restrict y, int ys,
			    const float *restrict gamma, const float *restrict beta, int add)
{
	int t, c;
	for (t = 0; t < n; t++) {
		float *xr = x + (long)t * xs;
		float mean = 0.0f, var = 0.0f, inv;
		if (add)
			for (c = 0; c < D; c++)
				xr[c] += y[(long)t * ys + c];
		for (c = 0; c < D; c++)
			mean += xr[c];
		mean /= (float)D;
		for (c = 0; c < D; c++)
			var += (xr[c] - mean) * (xr[c] - mean);
		var /= (float)D;
		inv = 1.0f / sqrtf(var + 1e-5f);
		for (c = 0; c < D; c++)
			xr[c] = (xr[c] - mean) * inv * gamma[c] + beta[c];
	}
}

/*@ k_layernorm k_add_layernorm */
/* out (n,D) = LayerNorm(x) */
static void k_layernorm(int n, int D, const float *restrict x, int xs, float *restrict out, int os,
			const float *restrict gamma, const float *restrict beta)
{
	int t;
	for (t = 0; t < n; t++) {
		memmove(out + (long)t * os, x + (long)t * xs, sizeof(float) * (size_t)D);
		k_add_layernorm(1, D, out + (long)t * os, os, 0, 0, gamma, beta, 0);
	}
}

/*@ k_sincos k_fma */
/* sin x and cos x together, for the sinusoidal positions: x = q pi/2 + r
 * with |r| <= pi/4 (pi/2 in three parts, the first two short enough that
 * q times them is exact while |q| < 4096), then Cephes' polynomials for
 * sin and cos on [-pi/4, pi/4], swapped and negated by q mod 4. Absolute
 * error below 2e-7 against sin and cos for |x| <= 6000 (tests/exp
 * measures it); beyond, libm's. About 35 instructions for the pair where
 * newlib's sinf and cosf run 150. */
static void k_sincos(float x, float *sn, float *cs)
{
	float z, n, r, r2, ps, pc;
	int32_t q;
	if (!(x >= -6000.0f && x <= 6000.0f)) {
		*sn = sinf(x);
		*cs = cosf(x);
		return;
	}
	z = x * 0.636619772f + 12582912.0f;  /* 1.5 * 2^23 + q, q nearest to x 2/pi */
	memcpy(&q, &z, sizeof q);
	q -= 0x4b400000;
	n = (float)q;  /* as in k_exp */
	r = K_FMA(n, -1.5703125f, x);
	r = K_FMA(n, -4.837512969970703125e-4f, r);
	r = K_FMA(n, -7.54978995489188216e-8f, r);
	r2 = r * r;
	ps = K_FMA(K_FMA(K_FMA(-1.9515295891e-4f, r2, 8.3321608736e-3f), r2, -1.6666654611e-1f) * r2, r, r);
	pc = K_FMA(K_FMA(K_FMA(2.443315711809948e-5f, r2, -1.388731625493765e-3f), r2, 4.166664568298827e-2f)
		   * r2, r2, K_FMA(-0.5f, r2, 1.0f));
	switch (q & 3) {
	case 0: *sn = ps; *cs = pc; break;
	case 1: *sn = pc; *cs = -ps; break;
	case 2: *sn = -ps; *cs = -pc; break;
	default: *sn = -pc; *cs = ps; break;
	}
}

/*@ k_embed k_sincos */
/* x[t] = scale * E[tok[t]] + [sin(p w), cos(p w)], p = first_pos + t;
 * without omega, no positions (learned ones, or none, are added apart) */
static void k_embed(int n, int D, const int32_t *tok, int first_pos, const float *restrict E,
		    float scale, const float *restrict omega, float *restrict x)
{
	int t, i, half = D / 2;
	for (t = 0; t < n; t++) {
		float *xr = x + (long)t * D, p = (float)(first_pos + t);
		const float *er = E + (long)tok[t] * D;
		for (i = 0; i < D; i++)
			xr[i] = scale * er[i];
		for (i = 0; omega && i < half; i++) {
			float sn, cs;
			k_sincos(p * omega[i], &sn, &cs);
			xr[i] += sn;
			xr[half + i] += cs;
		}
	}
}

/*@ k_posenc k_sincos */
/* x[t] += [sin(p w), cos(p w)], p = first_pos + t: the sinusoidal positions
 * of k_embed, for an embedding made another way (adaptive, projected) */
static void k_posenc(int n, int D, int first_pos, const float *restrict omega, float *restrict x)
{
	int t, i, half = D / 2;
	for (t = 0; t < n; t++) {
		float *xr = x + (long)t * D, p = (float)(first_pos + t);
		for (i = 0; i < half; i++) {
			float sn, cs;
			k_sincos(p * omega[i], &sn, &cs);
			xr[i] += sn;
			xr[half + i] += cs;
		}
	}
}

/*@ k_linear_t */
/* x (n,in) @ W (in,out) -> y (n,out), W stored the other way round from
 * k_linear's and read a row at a time: an adaptive softmax tail whose
 * projection is the adaptive input's, transposed (tie_adaptive_proj) */
static void k_linear_t(int n, int in, int out, const float *restrict x, const float *restrict W,
		       float *restrict y)
{
	int t, i, o;
	for (t = 0; t < n; t++) {
		const float *xr = x + (long)t * in;
		float *yr = y + (long)t * out;
		for (o = 0; o < out; o++)
			yr[o] = 0.0f;
		for (i = 0; i < in; i++) {
			const float *wr = W + (long)i * out;
			float xi = xr[i];
			for (o = 0; o < out; o++)
				yr[o] += xi * wr[o];
		}
	}
}

/*@ k_log_softmax2 k_exp */
/* log-softmax over x[0..n) and c[0..m) as one row, in place: an adaptive
 * softmax's head, its words and then one logit per tail cluster */
static void k_log_softmax2(int n, float *x, int m, float *c)
{
	float mx = x[0], s = 0.0f, l;
	int i;
	for (i = 1; i < n; i++)
		mx = x[i] > mx ? x[i] : mx;
	for (i = 0; i < m; i++)
		mx = c[i] > mx ? c[i] : mx;
	for (i = 0; i < n; i++)
		s += k_exp(x[i] - mx);
	for (i = 0; i < m; i++)
		s += k_exp(c[i] - mx);
	l = logf(s);
	for (i = 0; i < n; i++)
		x[i] = (x[i] - mx) - l;
	for (i = 0; i < m; i++)
		c[i] = (c[i] - mx) - l;
}

/*@ k_log_softmax_add k_exp */
/* x = log_softmax(x) + add, in place: a tail cluster's words, each given
 * the cluster's own log-probability */
static void k_log_softmax_add(int n, float *x, float add)
{
	float mx = x[0], s = 0.0f, l;
	int i;
	for (i = 1; i < n; i++)
		mx = x[i] > mx ? x[i] : mx;
	for (i = 0; i < n; i++)
		s += k_exp(x[i] - mx);
	l = logf(s);
	for (i = 0; i < n; i++)
		x[i] = ((x[i] - mx) - l) + add;
}

/*@ k_argmax */
/* the index of the largest of x[0..n); the first one wins ties */
static int32_t k_argmax(int n, const float *x)
{
	int32_t best = 0, i;
	for (i = 1; i < n; i++)
		if (x[i] > x[best])
			best = i;
	return best;
}

/* ---- --quantize w8: int8 weight rows Wq, one fp32 scale per row Ws.
 * Activations and arithmetic stay fp32: each row's dot product with the
 * int8 values, then times the row's scale, then the fp32 epilogue. */

/*@ k_linear_w8 k_out */
/* act(x (n,in) @ (Wq * Ws)^T + b) * scale -> y (n,out) */
static void k_linear_w8(int n, int in, int out, const float *restrict x, int xs,
			const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, i;
	for (t = 0; t < n; t++) {
		const float *xr = x + (long)t * xs;
		for (o = 0; o < out; o++) {
			const int8_t *wr = Wq + (long)o * in;
			float s = 0.0f;
			for (i = 0; i < in; i++)
				s += xr[i] * (float)wr[i];
			k_out(s * Ws[o], b, o, scale, act, acc, y + (long)t * ys);
		}
	}
}

/*@ k_linear_ln_w8 k_linear_w8 k_add_layernorm */
/* k_linear_ln with int8 weights */
static void k_linear_ln_w8(int n, int in, int out, const float *restrict x, int xs,
			   const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			   float *restrict y, int ys, int c0, int D,
			   const float *restrict gamma, const float *restrict beta)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_linear_w8(r, in, out, x + (long)t * xs, xs, Wq, Ws, b, y + (long)t * ys + c0, ys, 1.0f, 0, 1);
		k_add_layernorm(r, D, y + (long)t * ys, ys, 0, 0, gamma, beta, 0);
	}
}

/*@ k_ln_linear_w8 k_linear_w8 k_layernorm */
/* k_ln_linear with int8 weights */
static void k_ln_linear_w8(int n, int in, int out, const float *restrict x, int xs,
			   const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			   float *restrict y, int ys, int act,
			   const float *restrict gamma, const float *restrict beta, float *restrict pair)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_layernorm(r, in, x + (long)t * xs, xs, pair, in, gamma, beta);
		k_linear_w8(r, in, out, pair, in, Wq, Ws, b, y + (long)t * ys, ys, 1.0f, act, 0);
	}
}

/*@ k_linear_glu_w8 k_linear_w8 k_glu */
/* k_linear_glu with int8 weights */
static void k_linear_glu_w8(int n, int in, int w, const float *restrict x, int xs,
			    const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			    float *restrict g, int gs, float *restrict pair)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_linear_w8(r, in, 2 * w, x + (long)t * xs, xs, Wq, Ws, b, pair, 2 * w, 1.0f, 0, 0);
		k_glu(r, w, pair, 2 * w, g + (long)t * gs, gs);
	}
}

/*@ k_conv_dyn_w8 k_linear_w8 k_softmax k_conv_row */
/* k_conv_dyn with an int8 tap projection */
static void k_conv_dyn_w8(int n, int w, int heads, int K, int P, const float *restrict g, int gs,
			  const int8_t *restrict Wq, const float *restrict Ws, float *restrict o, int os,
			  float *restrict taps, int sm)
{
	int t, h;
	for (t = 0; t < n; t++) {
		k_linear_w8(1, w, heads * K, g + (long)t * gs, gs, Wq, Ws, 0, taps, heads * K, 1.0f, 0, 0);
		if (sm)
			for (h = 0; h < heads; h++)
				k_softmax(taps + h * K, K);
		k_conv_row(t, n, w, heads, K, P, g, gs, taps, o + (long)t * os);
	}
}

/*@ k_embed_w8 k_sincos */
/* k_embed with int8 embedding rows: E[tok] = Eq[tok] * Es[tok] */
static void k_embed_w8(int n, int D, const int32_t *tok, int first_pos, const int8_t *restrict Eq,
		       const float *restrict Es, float scale, const float *restrict omega, float *restrict x)
{
	int t, i, half = D / 2;
	for (t = 0; t < n; t++) {
		float *xr = x + (long)t * D, p = (float)(first_pos + t), s = Es[tok[t]];
		const int8_t *er = Eq + (long)tok[t] * D;
		for (i = 0; i < D; i++)
			xr[i] = scale * ((float)er[i] * s);
		for (i = 0; omega && i < half; i++) {
			float sn, cs;
			k_sincos(p * omega[i], &sn, &cs);
			xr[i] += sn;
			xr[half + i] += cs;
		}
	}
}

/* ---- --quantize int8: int8 weight rows Wq with scales Ws, and int8 input
 * rows quantized here, at run time, one scale per row. The sums q_x . q_w
 * are exact in int32, so every target's kernel must give the same ones;
 * the epilogue is fp32: ((float)sum * s_x) * s_w[o], then k_out. */

/*@ k_quant_rows */
/* r rows of x (in wide, xs apart) to q (in apart), by the rule ltcc applies
 * to weights: m = max|x|, s = m / 127, q = round(x * (127 / m)) half away
 * from zero; a row whose max is 0, below 2^-96 or not finite gives q = 0,
 * s = 0. Stored
 * as int16: the 16-bit multiply-adds of the targets read them as they are.
 * LTCC_QTRACE, if defined, is called with each row: regress/ uses it to
 * settle, from what this code did, the roundings that sit on a tie
 * within float noise of the reference's inputs. */
#ifdef LTCC_QTRACE
void LTCC_QTRACE(const int16_t *q, int n, float s);
#endif
static void k_quant_rows(int r, int in, const float *restrict x, int xs, int16_t *restrict q, float *s)
{
	int t, i;
	for (t = 0; t < r; t++) {
		const float *xr = x + (long)t * xs;
		int16_t *qr = q + (long)t * in;
		uint32_t mb = 0, u;
		float m, inv;
		/* max |x| on the bit patterns: for |x| they order as the values
		 * do, and a NaN or Inf sorts above every finite value */
		for (i = 0; i < in; i++) {
			memcpy(&u, &xr[i], 4);
			u &= 0x7fffffffu;
			mb = u > mb ? u : mb;
		}
		/* NaN or Inf (a model that overflowed), or a max below 2^-96 (where
		 * 127 / m could overflow): the row quantizes to q = 0, s = 0 */
		if (mb >= 0x7f800000u || mb < 0x0f800000u)
			mb = 0;
		memcpy(&m, &mb, 4);
		inv = m > 0.0f ? 127.0f / m : 0.0f;
		/* |v| <= 127 (1 + 2^-24)^2 < 127.5, so no clamp */
		for (i = 0; i < in; i++) {
			float v = xr[i] * inv;
#if defined(__ARM_FEATURE_DIRECTED_ROUNDING) || (defined(__ARM_ARCH) && __ARM_ARCH >= 8 && defined(__ARM_FP))
			qr[i] = (int16_t)roundf(v);  /* one VRINTA (Armv8 FPU, Cortex-M55 too) */
#elif FLT_EVAL_METHOD == 0
			/* roundf is a libm call here. Adding and taking away 1.5 * 2^23
			 * rounds to nearest even, exactly (|v| < 2^22, float arithmetic,
			 * -ffast-math would break it); a tie is then moved away from 0 */
			float k = (v + 12582912.0f) - 12582912.0f;
			if (fabsf(v - k) == 0.5f)
				k = v + (v < 0.0f ? -0.5f : 0.5f);
			qr[i] = (int16_t)k;
#else
			int k = (int)v;  /* toward zero; v - k is exact */
			k += (v - (float)k >= 0.5f) - (v - (float)k <= -0.5f);
			qr[i] = (int16_t)k;
#endif
		}
		s[t] = m / 127.0f;
#ifdef LTCC_QTRACE
		LTCC_QTRACE(qr, in, s[t]);
#endif
	}
}

/*@ k_linear_i8 k_out k_quant_rows */
/* act(x (n,in) @ (Wq * Ws)^T + b) * scale -> y (n,out), x quantized one
 * row at a time into qx */
static void k_linear_i8(int n, int in, int out, const float *restrict x, int xs,
			const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc, int16_t *restrict qx)
{
	int t, o, i;
	float sx;
	for (t = 0; t < n; t++) {
		k_quant_rows(1, in, x + (long)t * xs, xs, qx, &sx);
		for (o = 0; o < out; o++) {
			const int8_t *wr = Wq + (long)o * in;
			int32_t s = 0;
			for (i = 0; i < in; i++)
				s += (int32_t)qx[i] * wr[i];
			k_out((float)s * sx * Ws[o], b, o, scale, act, acc, y + (long)t * ys);
		}
	}
}

/*@ k_linear_ln_i8 k_linear_i8 k_add_layernorm */
/* k_linear_ln, int8 */
static void k_linear_ln_i8(int n, int in, int out, const float *restrict x, int xs,
			   const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			   float *restrict y, int ys, int c0, int D,
			   const float *restrict gamma, const float *restrict beta, int16_t *restrict qx)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_linear_i8(r, in, out, x + (long)t * xs, xs, Wq, Ws, b, y + (long)t * ys + c0, ys, 1.0f, 0, 1, qx);
		k_add_layernorm(r, D, y + (long)t * ys, ys, 0, 0, gamma, beta, 0);
	}
}

/*@ k_ln_linear_i8 k_linear_i8 k_layernorm */
/* k_ln_linear, int8: LN(x) is quantized from `pair` */
static void k_ln_linear_i8(int n, int in, int out, const float *restrict x, int xs,
			   const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			   float *restrict y, int ys, int act, const float *restrict gamma,
			   const float *restrict beta, float *restrict pair, int16_t *restrict qx)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_layernorm(r, in, x + (long)t * xs, xs, pair, in, gamma, beta);
		k_linear_i8(r, in, out, pair, in, Wq, Ws, b, y + (long)t * ys, ys, 1.0f, act, 0, qx);
	}
}

/*@ k_linear_glu_i8 k_linear_i8 k_glu */
/* k_linear_glu, int8 */
static void k_linear_glu_i8(int n, int in, int w, const float *restrict x, int xs,
			    const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			    float *restrict g, int gs, float *restrict pair, int16_t *restrict qx)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_linear_i8(r, in, 2 * w, x + (long)t * xs, xs, Wq, Ws, b, pair, 2 * w, 1.0f, 0, 0, qx);
		k_glu(r, w, pair, 2 * w, g + (long)t * gs, gs);
	}
}

/*@ k_conv_dyn_i8 k_linear_i8 k_softmax k_conv_row */
/* k_conv_dyn, int8: the tap projection's input row g[t] is quantized */
static void k_conv_dyn_i8(int n, int w, int heads, int K, int P, const float *restrict g, int gs,
			  const int8_t *restrict Wq, const float *restrict Ws, float *restrict o, int os,
			  float *restrict taps, int sm, int16_t *restrict qx)
{
	int t, h;
	for (t = 0; t < n; t++) {
		k_linear_i8(1, w, heads * K, g + (long)t * gs, gs, Wq, Ws, 0, taps, heads * K, 1.0f, 0, 0, qx);
		if (sm)
			for (h = 0; h < heads; h++)
				k_softmax(taps + h * K, K);
		k_conv_row(t, n, w, heads, K, P, g, gs, taps, o + (long)t * os);
	}
}

/* ---- --compress auto: codebook matrices (compiler/compress.c), decoded
 * as they are read, never expanded in memory. W[o][i] = cb[index]; the
 * stream Wz walks the matrix flat, row after row, in format fmt:
 *   1 (D8) a byte per weight, its index;
 *   2 (D4) two indices a byte, the earlier in the low nibble;
 *   3 (S4) the nonzeros, a byte each: s (high nibble), i (low): i > 0
 *          the weight cb[i] s + 1 positions on from the previous entry
 *          (flat), i = 0 a skip of 16 (s + 1) positions, cb[0] = 0.0, so it
 *          may be applied as any entry is; the entry that steps past a
 *          row's end starts the next row. k_cz_step: how far an entry steps. */

/*@ k_cz_step */
#define k_cz_step(e) ((int)(((e) >> 4) + 1) << ((e) & 15u ? 0 : 4))

/*@ k_cz_row1 k_fma k_cz_step */
/* x . W[o], one row of x: k_cz_rows for a decoder step. S4 takes two
 * entries a step into two sums, so that one's multiply-add need not wait
 * for the other's (the second is read only when the first stays in the
 * row, and then it exists: a row always ends on an entry) */
static float k_cz_row1(int in, int o, const uint8_t *restrict Wz, const float *restrict cb, int fmt,
		       const uint8_t **pp, int *pc, const float *x0)
{
	float s0 = 0.0f, s1 = 0.0f;
	int i;
	if (fmt == 3) {
		const uint8_t *p = *pp;
		int c = *pc;
		for (;;) {
			unsigned e0 = p[0], e1;
			int c0 = c + k_cz_step(e0), c1;
			if (c0 >= in)
				break;
			e1 = p[1];
			c1 = c0 + k_cz_step(e1);
			s0 = K_FMA(cb[e0 & 15u], x0[c0], s0);
			if (c1 >= in) {
				p++;
				c = c0;
				break;
			}
			s1 = K_FMA(cb[e1 & 15u], x0[c1], s1);
			p += 2;
			c = c1;
		}
		*pp = p;
		*pc = c - in;
	} else if (fmt == 1) {
		const uint8_t *w = Wz + (long)o * in;
		for (i = 0; i + 1 < in; i += 2) {
			s0 = K_FMA(cb[w[i]], x0[i], s0);
			s1 = K_FMA(cb[w[i + 1]], x0[i + 1], s1);
		}
		if (i < in)
			s0 = K_FMA(cb[w[i]], x0[i], s0);
	} else {
		long f = (long)o * in;
		for (i = 0; i < in; i++, f++)
			s0 = K_FMA(cb[(Wz[f >> 1] >> (4 * (f & 1))) & 15u], x0[i], s0);
	}
	return s0 + s1;
}

/*@ k_cz_rows k_fma k_cz_step */
/* s[r] = x_r . W[o] for r < 4 rows of x (x0..x3; repeat a pointer for
 * fewer), W[o] the row starting at flat position o * in. S4 walks on from
 * where the previous row ended: *pp the next entry, *pc the position
 * before it relative to row o's start (-1 at the matrix's start); both
 * are left for row o + 1. */
static void k_cz_rows(int in, int o, const uint8_t *restrict Wz, const float *restrict cb, int fmt,
		      const uint8_t **pp, int *pc, const float *x0, const float *x1, const float *x2,
		      const float *x3, float s[4])
{
	float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
	int i;
	if (fmt == 3) {
		const uint8_t *p = *pp;
		int c = *pc;
		for (;;) {
			unsigned e = *p;
			int nc = c + k_cz_step(e);
			float v;
			if (nc >= in)
				break;
			p++;
			c = nc;
			v = cb[e & 15u];
			s0 = K_FMA(v, x0[c], s0);
			s1 = K_FMA(v, x1[c], s1);
			s2 = K_FMA(v, x2[c], s2);
			s3 = K_FMA(v, x3[c], s3);
		}
		*pp = p;
		*pc = c - in;
	} else {
		long f = (long)o * in;
		for (i = 0; i < in; i++, f++) {
			unsigned k = fmt == 1 ? Wz[f] : (Wz[f >> 1] >> (4 * (f & 1))) & 15u;
			float v = cb[k];
			s0 = K_FMA(v, x0[i], s0);
			s1 = K_FMA(v, x1[i], s1);
			s2 = K_FMA(v, x2[i], s2);
			s3 = K_FMA(v, x3[i], s3);
		}
	}
	s[0] = s0;
	s[1] = s1;
	s[2] = s2;
	s[3] = s3;
}

/*@ k_cz_decode k_cz_step */
/* row o of a codebook matrix into w (in floats); S4 walks on from *pp,
 * *pc as k_cz_rows does: for a family that multiplies dense rows faster
 * than it walks sparse ones */
static void k_cz_decode(int in, int o, const uint8_t *restrict Wz, const float *restrict cb, int fmt,
			const uint8_t **pp, int *pc, float *restrict w)
{
	int i;
	if (fmt == 3) {
		const uint8_t *p = *pp;
		int c = *pc;
		for (i = 0; i < in; i++)
			w[i] = 0.0f;
		for (;;) {
			unsigned e = *p;
			int nc = c + k_cz_step(e);
			if (nc >= in)
				break;
			p++;
			c = nc;
			w[c] = cb[e & 15u];
		}
		*pp = p;
		*pc = c - in;
	} else {
		long f = (long)o * in;
		for (i = 0; i < in; i++, f++)
			w[i] = cb[fmt == 1 ? Wz[f] : (Wz[f >> 1] >> (4 * (f & 1))) & 15u];
	}
}

/*@ k_linear_cz k_linear_cz_walk */
/* act(x (n,in) @ W^T (in,out) + b) * scale -> y (n,out), W a codebook
 * matrix: k_linear_cz_walk */
static void k_linear_cz(int n, int in, int out, const float *restrict x, int xs,
			const uint8_t *restrict Wz, const float *restrict cb, int fmt, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc)
{
	k_linear_cz_walk(n, in, out, x, xs, Wz, cb, fmt, b, y, ys, scale, act, acc);
}

/*@ k_linear_cz_walk k_cz_rows k_cz_row1 k_out */
/* k_linear_cz as the stream is walked: four rows of x at a time, each
 * weight decoded once for the four; a decoder step's one row alone */
static void k_linear_cz_walk(int n, int in, int out, const float *restrict x, int xs,
			     const uint8_t *restrict Wz, const float *restrict cb, int fmt, const float *restrict b,
			     float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, r, k;
	for (t = 0; t < n; t += 4) {
		const float *xr[4];
		const uint8_t *p = Wz;
		int c = -1;
		r = n - t < 4 ? n - t : 4;
		for (k = 0; k < 4; k++)
			xr[k] = x + (long)(t + (k < r ? k : r - 1)) * xs;
		for (o = 0; o < out; o++) {
			float s[4];
			if (r == 1) {
				k_out(k_cz_row1(in, o, Wz, cb, fmt, &p, &c, xr[0]), b, o, scale, act, acc, y + (long)t * ys);
				continue;
			}
			k_cz_rows(in, o, Wz, cb, fmt, &p, &c, xr[0], xr[1], xr[2], xr[3], s);
			for (k = 0; k < r; k++)
				k_out(s[k], b, o, scale, act, acc, y + (long)(t + k) * ys);
		}
	}
}

/*@ k_linear_ln_cz k_linear_cz k_add_layernorm */
/* k_linear_ln with a codebook matrix: all rows in one k_linear_cz call
 * (the stream walked once per four rows), then their LayerNorms */
static void k_linear_ln_cz(int n, int in, int out, const float *restrict x, int xs,
			   const uint8_t *restrict Wz, const float *restrict cb, int fmt, const float *restrict b,
			   float *restrict y, int ys, int c0, int D,
			   const float *restrict gamma, const float *restrict beta)
{
	k_linear_cz(n, in, out, x, xs, Wz, cb, fmt, b, y + c0, ys, 1.0f, 0, 1);
	k_add_layernorm(n, D, y, ys, 0, 0, gamma, beta, 0);
}

/*@ k_ln_linear_cz k_linear_cz k_layernorm */
/* k_ln_linear with a codebook matrix: two rows normalised into `pair` */
static void k_ln_linear_cz(int n, int in, int out, const float *restrict x, int xs,
			   const uint8_t *restrict Wz, const float *restrict cb, int fmt, const float *restrict b,
			   float *restrict y, int ys, int act,
			   const float *restrict gamma, const float *restrict beta, float *restrict pair)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_layernorm(r, in, x + (long)t * xs, xs, pair, in, gamma, beta);
		k_linear_cz(r, in, out, pair, in, Wz, cb, fmt, b, y + (long)t * ys, ys, 1.0f, act, 0);
	}
}

/*@ k_linear_glu_cz k_linear_cz k_glu */
/* k_linear_glu with a codebook matrix: two rows of linear1's output in `pair` */
static void k_linear_glu_cz(int n, int in, int w, const float *restrict x, int xs,
			    const uint8_t *restrict Wz, const float *restrict cb, int fmt, const float *restrict b,
			    float *restrict g, int gs, float *restrict pair)
{
	int t;
	for (t = 0; t < n; t += 2) {
		int r = n - t < 2 ? n - t : 2;
		k_linear_cz(r, in, 2 * w, x + (long)t * xs, xs, Wz, cb, fmt, b, pair, 2 * w, 1.0f, 0, 0);
		k_glu(r, w, pair, 2 * w, g + (long)t * gs, gs);
	}
}

/*@ k_conv_dyn_cz k_linear_cz k_softmax k_conv_row */
/* k_conv_dyn with a codebook tap projection */
static void k_conv_dyn_cz(int n, int w, int heads, int K, int P, const float *restrict g, int gs,
			  const uint8_t *restrict Wz, const float *restrict cb, int fmt, float *restrict o, int os,
			  float *restrict taps, int sm)
{
	int t, h;
	for (t = 0; t < n; t++) {
		k_linear_cz(1, w, heads * K, g + (long)t * gs, gs, Wz, cb, fmt, 0, taps, heads * K, 1.0f, 0, 0);
		if (sm)
			for (h = 0; h < heads; h++)
				k_softmax(taps + h * K, K);
		k_conv_row(t, n, w, heads, K, P, g, gs, taps, o + (long)t * os);
	}
}

/*@ k_embed_cz k_sincos k_cz_step */
/* k_embed with a codebook table: row tok[t] decoded into x[t]; S4 walks
 * the stream from its start to the row (an embedding is a lookup) */
static void k_embed_cz(int n, int D, const int32_t *tok, int first_pos, const uint8_t *restrict Ez,
		       const float *restrict cb, int fmt, float scale, const float *restrict omega,
		       float *restrict x)
{
	int t, i, half = D / 2;
	for (t = 0; t < n; t++) {
		float *xr = x + (long)t * D, p = (float)(first_pos + t);
		long f = (long)tok[t] * D;
		if (fmt == 3) {
			const uint8_t *q = Ez;
			long pos = -1, end = f + D;
			for (i = 0; i < D; i++)
				xr[i] = 0.0f;
			for (;;) {
				pos += k_cz_step(*q);
				if (pos >= end)
					break;
				if (pos >= f)
					xr[pos - f] = scale * cb[*q & 15u];
				q++;
			}
		} else {
			for (i = 0; i < D; i++, f++)
				xr[i] = scale * cb[fmt == 1 ? Ez[f] : (Ez[f >> 1] >> (4 * (f & 1))) & 15u];
		}
		for (i = 0; omega && i < half; i++) {
			float sn, cs;
			k_sincos(p * omega[i], &sn, &cs);
			xr[i] += sn;
			xr[half + i] += cs;
		}
	}
}
