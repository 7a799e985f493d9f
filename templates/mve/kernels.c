/* ---- kernels for Armv8.1-M with Helium (MVE), 4 floats a vector:
 * Cortex-M55 (ltcc templates/mve/kernels.c, layered over templates/generic) ---- */
#include <arm_mve.h>

/*@ k_mve_sum */
/* the sum of a vector's four lanes */
static float k_mve_sum(float32x4_t a)
{
	return (vgetq_lane_f32(a, 0) + vgetq_lane_f32(a, 1)) + (vgetq_lane_f32(a, 2) + vgetq_lane_f32(a, 3));
}

/*@ k_dot22 k_mve_sum */
/* s[r][j] = x_r . W[j] for two rows of x (x0, x0 + xs) and two rows of W
 * (w0, w0 + in), four channels a step: two x and two W vectors loaded per
 * four VFMA.F32, the four sums and the four loads in Helium's eight q
 * registers (a wider tile spills); the in % 4 last channels in one
 * predicated step (vctp32q) */
static void k_dot22(int in, const float *x0, int xs, const float *w0, float s[2][2])
{
	const float *x1 = x0 + xs, *w1 = w0 + in;
	float32x4_t a00 = vdupq_n_f32(0.0f), a01 = a00, a10 = a00, a11 = a00;
	int i;
	for (i = 0; i + 4 <= in; i += 4) {  /* pointers stepped, not indexed: loads with writeback */
		float32x4_t u = vld1q_f32(x0), v = vld1q_f32(x1), w = vld1q_f32(w0);
		a00 = vfmaq_f32(a00, u, w);
		a10 = vfmaq_f32(a10, v, w);
		w = vld1q_f32(w1);
		a01 = vfmaq_f32(a01, u, w);
		a11 = vfmaq_f32(a11, v, w);
		x0 += 4, x1 += 4, w0 += 4, w1 += 4;
	}
	if (i < in) {
		mve_pred16_t p = vctp32q((uint32_t)(in - i));
		float32x4_t u = vld1q_z_f32(x0, p), v = vld1q_z_f32(x1, p), w = vld1q_z_f32(w0, p);
		a00 = vfmaq_f32(a00, u, w);
		a10 = vfmaq_f32(a10, v, w);
		w = vld1q_z_f32(w1, p);
		a01 = vfmaq_f32(a01, u, w);
		a11 = vfmaq_f32(a11, v, w);
	}
	s[0][0] = k_mve_sum(a00);
	s[0][1] = k_mve_sum(a01);
	s[1][0] = k_mve_sum(a10);
	s[1][1] = k_mve_sum(a11);
}

/*@ k_dot1 k_mve_sum */
/* x . w over in channels, four a step, the last ones predicated */
static float k_dot1(int in, const float *x, const float *w)
{
	float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0;
	int i;
	for (i = 0; i + 8 <= in; i += 8) {
		a0 = vfmaq_f32(a0, vld1q_f32(x + i), vld1q_f32(w + i));
		a1 = vfmaq_f32(a1, vld1q_f32(x + i + 4), vld1q_f32(w + i + 4));
	}
	for (; i < in; i += 4) {
		mve_pred16_t p = vctp32q((uint32_t)(in - i));
		a0 = vfmaq_f32(a0, vld1q_z_f32(x + i, p), vld1q_z_f32(w + i, p));
	}
	return k_mve_sum(vaddq_f32(a0, a1));
}

/*@ k_dot14 k_mve_sum */
/* s[j] = x . W[j] for four rows of W (w0, in apart): one x vector loaded
 * per four W vectors and four VFMA.F32, for a decoder step's one row */
static void k_dot14(int in, const float *x, const float *w0, float s[4])
{
	const float *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
	float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
	int i;
	for (i = 0; i + 4 <= in; i += 4) {
		float32x4_t u = vld1q_f32(x);
		a0 = vfmaq_f32(a0, u, vld1q_f32(w0));
		a1 = vfmaq_f32(a1, u, vld1q_f32(w1));
		a2 = vfmaq_f32(a2, u, vld1q_f32(w2));
		a3 = vfmaq_f32(a3, u, vld1q_f32(w3));
		x += 4, w0 += 4, w1 += 4, w2 += 4, w3 += 4;
	}
	if (i < in) {
		mve_pred16_t p = vctp32q((uint32_t)(in - i));
		float32x4_t u = vld1q_z_f32(x, p);
		a0 = vfmaq_f32(a0, u, vld1q_z_f32(w0, p));
		a1 = vfmaq_f32(a1, u, vld1q_z_f32(w1, p));
		a2 = vfmaq_f32(a2, u, vld1q_z_f32(w2, p));
		a3 = vfmaq_f32(a3, u, vld1q_z_f32(w3, p));
	}
	s[0] = k_mve_sum(a0);
	s[1] = k_mve_sum(a1);
	s[2] = k_mve_sum(a2);
	s[3] = k_mve_sum(a3);
}

/*@ k_linear k_out k_dot22 k_dot14 k_dot1 */
/* act(x (n,in) @ W^T + b) * scale -> y: two rows of x by two outputs at a
 * time (k_dot22), each W vector loaded once for two rows and each x vector
 * for two outputs; a last odd row (a decoder step's) four outputs at a
 * time (k_dot14); the outputs left one at a time (k_dot1) */
static void k_linear(int n, int in, int out, const float *restrict x, int xs,
		     const float *restrict W, const float *restrict b,
		     float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, r;
	for (t = 0; t + 2 <= n; t += 2) {
		const float *xr = x + (long)t * xs;
		float *y0 = y + (long)t * ys, *y1 = y0 + ys;
		for (o = 0; o + 2 <= out; o += 2) {
			float s[2][2];
			k_dot22(in, xr, xs, W + (long)o * in, s);
			k_out(s[0][0], b, o, scale, act, acc, y0);
			k_out(s[0][1], b, o + 1, scale, act, acc, y0);
			k_out(s[1][0], b, o, scale, act, acc, y1);
			k_out(s[1][1], b, o + 1, scale, act, acc, y1);
		}
		for (; o < out; o++)
			for (r = 0; r < 2; r++)
				k_out(k_dot1(in, xr + (long)r * xs, W + (long)o * in), b, o, scale, act, acc, y0 + (long)r * ys);
	}
	if (t < n) {  /* a decoder step's one row, or the last of an odd n */
		const float *xr = x + (long)t * xs;
		float *yr = y + (long)t * ys, s[4];
		for (o = 0; o < out; o += 4) {  /* the out % 4 last in here too: GCC 12 misjudges a
						 * tail loop after this one as overflowing when out
						 * is a constant multiple of 4 */
			if (out - o < 4) {
				for (r = 0; o + r < out; r++)
					k_out(k_dot1(in, xr, W + (long)(o + r) * in), b, o + r, scale, act, acc, yr);
				break;
			}
			k_dot14(in, xr, W + (long)o * in, s);
			for (r = 0; r < 4; r++)
				k_out(s[r], b, o + r, scale, act, acc, yr);
		}
	}
}

/*@ k_pk_out4 k_out */
/* k_out on the m <= 4 outputs o.. of a row held in a vector's first lanes:
 * bias, scale, ReLU and the add into y by lanes, predicated to m; GELU
 * lane by lane */
static void k_pk_out4(float32x4_t v, int m, const float *b, int o, float scale, int act, int acc, float *y)
{
	mve_pred16_t p = vctp32q((uint32_t)m);
	if (act == 2) {
		float s[4];
		int j;
		vst1q_f32(s, v);
		for (j = 0; j < m; j++)
			k_out(s[j], b, o + j, scale, act, acc, y);
		return;
	}
	if (b)
		v = vaddq_f32(v, vld1q_z_f32(b + o, p));
	v = vmulq_n_f32(v, scale);
	if (act == 1)
		v = vmaxnmq_f32(v, vdupq_n_f32(0.0f));
	if (acc)
		v = vaddq_f32(vld1q_z_f32(y + o, p), v);
	vst1q_p_f32(y + o, v, p);
}

/*@ k_pk_out4s k_pk_out4 */
/* k_pk_out4 on the m outputs o.. held four a vector in v[0], v[1], ... */
static void k_pk_out4s(const float32x4_t *v, int m, const float *b, int o, float scale, int act, int acc, float *y)
{
	int k;
	for (k = 0; 4 * k < m; k++)
		k_pk_out4(v[k], m - 4 * k < 4 ? m - 4 * k : 4, b, o + 4 * k, scale, act, acc, y);
}

/*@ k_pk_tile k_panel */
/* Tiles of a packed panel (its columns `step` floats apart: K_PANEL, or
 * the width of a matrix's last, narrower panel) times rows of x: per
 * column, W vectors each multiplied by a row's x[i] from a core register
 * (VFMA.F32 by a scalar) into accumulators that are the outputs, so no
 * lane sums. Helium has eight q registers: a full panel's one row by all
 * 16 outputs (k_pk_tile16) or two rows by eight (k_pk_tile28), four
 * accumulators either way, in GNU asm two columns a step, the loads
 * stepping the pointer, which GCC 12 does not find; the C k_pk_tile8 (R
 * = 1 or 2 rows by eight outputs) is their reference and does a matrix's
 * last, narrower panel. */
#if K_PANEL != 16
#error "k_pk_tile is written for panels of four 4-float vectors"
#endif

/* one row, the 16 outputs of a full panel p into s[0..3]: 19 instructions
 * for 32 MACs */
static inline __attribute__((always_inline)) void k_pk_tile16(int in, const float *x, const float *p,
							      float32x4_t s[4])
{
	float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0, u, v;
	int k = in / 2;
	if (k > 0) {
		float x0, x1;
		__asm__("1:\n\t"
			"ldrd %[x0], %[x1], [%[x]], #8\n\t"
			"vldrw.u32 %q[u], [%[p]], #128\n\t"
			"vldrw.u32 %q[v], [%[p], #-112]\n\t"
			"vfma.f32 %q[a0], %q[u], %[x0]\n\t"
			"vfma.f32 %q[a1], %q[v], %[x0]\n\t"
			"vldrw.u32 %q[u], [%[p], #-96]\n\t"
			"vldrw.u32 %q[v], [%[p], #-80]\n\t"
			"vfma.f32 %q[a2], %q[u], %[x0]\n\t"
			"vfma.f32 %q[a3], %q[v], %[x0]\n\t"
			"vldrw.u32 %q[u], [%[p], #-64]\n\t"
			"vldrw.u32 %q[v], [%[p], #-48]\n\t"
			"vfma.f32 %q[a0], %q[u], %[x1]\n\t"
			"vfma.f32 %q[a1], %q[v], %[x1]\n\t"
			"vldrw.u32 %q[u], [%[p], #-32]\n\t"
			"vldrw.u32 %q[v], [%[p], #-16]\n\t"
			"vfma.f32 %q[a2], %q[u], %[x1]\n\t"
			"vfma.f32 %q[a3], %q[v], %[x1]\n\t"
			"subs %[k], %[k], #1\n\t"
			"bne 1b"
			: [a0] "+w"(a0), [a1] "+w"(a1), [a2] "+w"(a2), [a3] "+w"(a3), [u] "=&w"(u), [v] "=&w"(v),
			  [x0] "=&r"(x0), [x1] "=&r"(x1), [x] "+r"(x), [p] "+r"(p), [k] "+r"(k)
			:
			: "memory", "cc");
	}
	if (in % 2) {  /* the odd last column */
		a0 = vfmaq_n_f32(a0, vld1q_f32(p), *x);
		a1 = vfmaq_n_f32(a1, vld1q_f32(p + 4), *x);
		a2 = vfmaq_n_f32(a2, vld1q_f32(p + 8), *x);
		a3 = vfmaq_n_f32(a3, vld1q_f32(p + 12), *x);
	}
	s[0] = a0, s[1] = a1, s[2] = a2, s[3] = a3;
}

/* two rows (xs apart), eight outputs of a full panel: 16 instructions for
 * 32 MACs */
static inline __attribute__((always_inline)) void k_pk_tile28(int in, const float *x, int xs, const float *p,
							      float32x4_t s[2][2])
{
	const float *x1 = x + xs;
	float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, c0 = a0, c1 = a0, u, v;
	int k = in / 2;
	if (k > 0) {
		float x00, x01, x10, x11;
		__asm__("1:\n\t"
			"ldrd %[x00], %[x01], [%[xa]], #8\n\t"
			"ldrd %[x10], %[x11], [%[xb]], #8\n\t"
			"vldrw.u32 %q[u], [%[p]], #128\n\t"
			"vldrw.u32 %q[v], [%[p], #-112]\n\t"
			"vfma.f32 %q[a0], %q[u], %[x00]\n\t"
			"vfma.f32 %q[a1], %q[v], %[x00]\n\t"
			"vfma.f32 %q[c0], %q[u], %[x10]\n\t"
			"vfma.f32 %q[c1], %q[v], %[x10]\n\t"
			"vldrw.u32 %q[u], [%[p], #-64]\n\t"
			"vldrw.u32 %q[v], [%[p], #-48]\n\t"
			"vfma.f32 %q[a0], %q[u], %[x01]\n\t"
			"vfma.f32 %q[a1], %q[v], %[x01]\n\t"
			"vfma.f32 %q[c0], %q[u], %[x11]\n\t"
			"vfma.f32 %q[c1], %q[v], %[x11]\n\t"
			"subs %[k], %[k], #1\n\t"
			"bne 1b"
			: [a0] "+w"(a0), [a1] "+w"(a1), [c0] "+w"(c0), [c1] "+w"(c1), [u] "=&w"(u), [v] "=&w"(v),
			  [x00] "=&r"(x00), [x01] "=&r"(x01), [x10] "=&r"(x10), [x11] "=&r"(x11),
			  [xa] "+r"(x), [xb] "+r"(x1), [p] "+r"(p), [k] "+r"(k)
			:
			: "memory", "cc");
	}
	if (in % 2) {
		u = vld1q_f32(p), v = vld1q_f32(p + 4);
		a0 = vfmaq_n_f32(a0, u, *x), a1 = vfmaq_n_f32(a1, v, *x);
		c0 = vfmaq_n_f32(c0, u, *x1), c1 = vfmaq_n_f32(c1, v, *x1);
	}
	s[0][0] = a0, s[0][1] = a1, s[1][0] = c0, s[1][1] = c1;
}

/* the C reference: R rows (xs apart) by the m <= 8 outputs of a panel
 * whose columns are `step` apart; nv = 2 (eight outputs) or 1 (four) loads
 * whole vectors, nv = 0 loads predicated to m */
static inline __attribute__((always_inline)) void k_pk_tile8(const int R, const int nv, int in, const float *x,
							     int xs, const float *p, int step, int m,
							     float32x4_t s[2][2])
{
	const float *x1 = x + (R > 1 ? xs : 0);
	mve_pred16_t p0 = vctp32q((uint32_t)(m < 4 ? m : 4)), p1 = vctp32q((uint32_t)(m > 4 ? m - 4 : 0));
	float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, c0 = a0, c1 = a0, u, v = a0;
	int i;
	for (i = 0; i < in; i++, p += step) {
		u = nv ? vld1q_f32(p) : vld1q_z_f32(p, p0);
		a0 = vfmaq_n_f32(a0, u, x[i]);
		if (R > 1)
			c0 = vfmaq_n_f32(c0, u, x1[i]);
		if (nv == 1)
			continue;
		v = nv ? vld1q_f32(p + 4) : vld1q_z_f32(p + 4, p1);
		a1 = vfmaq_n_f32(a1, v, x[i]);
		if (R > 1)
			c1 = vfmaq_n_f32(c1, v, x1[i]);
	}
	s[0][0] = a0, s[0][1] = a1, s[1][0] = c0, s[1][1] = c1;
}

/*@ k_linear_pk k_pk_tile k_pk_out4s */
/* act(x (n,in) @ W^T + b) * scale -> y with W packed (k_panel): for
 * each full panel, two rows of x at a time by eight of its outputs, a
 * last row (a decoder step's) by all sixteen; a last, narrower panel
 * eight outputs at a time; the epilogue on vectors (k_pk_out4s). Where
 * the row-major k_linear sums each output's lanes and calls k_out for
 * it, here the outputs are the lanes. */
static void k_linear_pk(int n, int in, int out, const float *restrict x, int xs,
			const float *restrict Wp, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, h, j, r;
	for (o = 0; o + K_PANEL <= out; o += K_PANEL) {
		const float *P = Wp + (long)o * in;
		for (t = 0; t + 2 <= n; t += 2)
			for (h = 0; h < K_PANEL; h += 8) {
				float32x4_t s[2][2];
				k_pk_tile28(in, x + (long)t * xs, xs, P + h, s);
				for (j = 0; j < 2; j++)
					k_pk_out4s(s[j], 8, b, o + h, scale, act, acc, y + (long)(t + j) * ys);
			}
		if (t < n) {
			float32x4_t s[4];
			k_pk_tile16(in, x + (long)t * xs, P, s);
			k_pk_out4s(s, K_PANEL, b, o, scale, act, acc, y + (long)t * ys);
		}
	}
	for (h = 0; o + h < out; h += 8) {  /* the last panel, w = out - o wide */
		int w = out - o, m = w - h < 8 ? w - h : 8;
		const float *P = Wp + (long)o * in + h;
		for (t = 0; t < n; t += r) {
			float32x4_t s[2][2];
			const float *xr = x + (long)t * xs;
			r = n - t >= 2 ? 2 : 1;
			if (r == 2)
				m == 8 ? k_pk_tile8(2, 2, in, xr, xs, P, w, m, s) : m == 4 ? k_pk_tile8(2, 1, in, xr, xs, P, w, m, s)
				       : k_pk_tile8(2, 0, in, xr, xs, P, w, m, s);
			else
				m == 8 ? k_pk_tile8(1, 2, in, xr, xs, P, w, m, s) : m == 4 ? k_pk_tile8(1, 1, in, xr, xs, P, w, m, s)
				       : k_pk_tile8(1, 0, in, xr, xs, P, w, m, s);
			for (j = 0; j < r; j++)
				k_pk_out4s(s[j], m, b, o + h, scale, act, acc, y + (long)(t + j) * ys);
		}
	}
}

/*@ k_dots */
/* the generic k_dots (sc[j] = q . k_j, n >= 1 rows ks apart): four keys a
 * vector, their channel c gathered (VLDRW with byte offsets 0, ks, 2ks,
 * 3ks) and multiplied by q[c], so each score is still summed down its
 * channels in order; the n % 4 last keys in one predicated pass */
static void k_dots(int hd, const float *q, const float *k, int ks, int n, float *sc)
{
	uint32x4_t off = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)ks * 4u);
	int c, j;
	for (j = 0; j + 4 <= n; j += 4) {
		const float *kr = k + (long)j * ks;
		float32x4_t s = vdupq_n_f32(0.0f);
		for (c = 0; c < hd; c++)
			s = vfmaq_n_f32(s, vldrwq_gather_offset_f32(kr + c, off), q[c]);
		vst1q_f32(sc + j, s);
	}
	if (j < n) {
		mve_pred16_t m = vctp32q((uint32_t)(n - j));
		const float *kr = k + (long)j * ks;
		float32x4_t s = vdupq_n_f32(0.0f);
		for (c = 0; c < hd; c++)
			s = vfmaq_n_f32(s, vldrwq_gather_offset_z_f32(kr + c, off, m), q[c]);
		vst1q_p_f32(sc + j, s, m);
	}
}

/*@ k_wsum */
/* the generic k_wsum (o[c] += sum_j p[j] v_j[c], n >= 1 rows vs apart):
 * sixteen channels at a time in four q registers while every row passes,
 * each v vector loaded once and multiplied by p[j]; then four at a time,
 * the last ones predicated (vctp32q: predicated loads cost a VPST each, so
 * only there) */
static void k_wsum(int hd, const float *p, const float *v, int vs, int n, float *o)
{
	int c, j;
	for (c = 0; c + 16 <= hd; c += 16) {
		float32x4_t a0 = vld1q_f32(o + c), a1 = vld1q_f32(o + c + 4);
		float32x4_t a2 = vld1q_f32(o + c + 8), a3 = vld1q_f32(o + c + 12);
		const float *vr = v + c;
		for (j = 0; j < n; j++, vr += vs) {
			float pj = p[j];
			a0 = vfmaq_n_f32(a0, vld1q_f32(vr), pj);
			a1 = vfmaq_n_f32(a1, vld1q_f32(vr + 4), pj);
			a2 = vfmaq_n_f32(a2, vld1q_f32(vr + 8), pj);
			a3 = vfmaq_n_f32(a3, vld1q_f32(vr + 12), pj);
		}
		vst1q_f32(o + c, a0);
		vst1q_f32(o + c + 4, a1);
		vst1q_f32(o + c + 8, a2);
		vst1q_f32(o + c + 12, a3);
	}
	for (; c < hd; c += 4) {
		mve_pred16_t m = vctp32q((uint32_t)(hd - c));
		float32x4_t a = vld1q_z_f32(o + c, m);
		const float *vr = v + c;
		if (hd - c >= 4)
			for (j = 0; j < n; j++, vr += vs)
				a = vfmaq_n_f32(a, vld1q_f32(vr), p[j]);
		else
			for (j = 0; j < n; j++, vr += vs)
				a = vfmaq_n_f32(a, vld1q_z_f32(vr, m), p[j]);
		vst1q_p_f32(o + c, a, m);
	}
}

/*@ k_linear_w8 k_out */
/* act(x (n,in) @ (Wq * Ws)^T + b) * scale -> y, int8 weight rows with one
 * scale each: k_linear's loop, each weight vector loaded widened
 * (VLDRB.S32: four int8 into four 32-bit lanes) and converted (VCVT) */
static void k_linear_w8(int n, int in, int out, const float *restrict x, int xs,
			const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, i, j;
	for (t = 0; t < n; t++) {
		const float *xr = x + (long)t * xs;
		float *yr = y + (long)t * ys;
		for (o = 0; o < out; o += 4) {
			int m = out - o < 4 ? out - o : 4;
			const int8_t *w0 = Wq + (long)o * in;
			float32x4_t a[4];
			for (j = 0; j < 4; j++)
				a[j] = vdupq_n_f32(0.0f);
			for (i = 0; i < in; i += 4) {
				mve_pred16_t p = vctp32q((uint32_t)(in - i));
				float32x4_t xv = vld1q_z_f32(xr + i, p);  /* inactive lanes read as 0 */
				for (j = 0; j < m; j++)
					a[j] = vfmaq_f32(a[j], xv, vcvtq_f32_s32(vldrbq_z_s32(w0 + (long)j * in + i, p)));
			}
			for (j = 0; j < m; j++) {
				float s = vgetq_lane_f32(a[j], 0) + vgetq_lane_f32(a[j], 1) +
					  vgetq_lane_f32(a[j], 2) + vgetq_lane_f32(a[j], 3);
				k_out(s * Ws[o + j], b, o + j, scale, act, acc, yr);
			}
		}
	}
}

/*@ k_quant_rows */
/* r rows of x to q, int16, and their scales s: templates/generic's
 * k_quant_rows, the same q and s bit for bit (its comment has the rule),
 * four floats a step. max|x| on the bits, as there: those of |x| (x's
 * bits without the sign) order as the values do, VMAX.U32; a NaN or an
 * Inf (bits >= Inf's), or m < 2^-96, makes the row's m 0, so q = 0 and
 * s = 0, as in the generic. Then
 * v = x * (127 / m) by VMUL.F32, and one VCVTA.S32.F32 rounds half away
 * from zero (VRINTA's rounding) and converts; VSTRH.32 stores the low
 * halves. MVE float arithmetic flushes subnormals to zero (and rounds to
 * nearest, the C default); that changes no q when m >= 2^-96: inv = 127 / m
 * is then normal, a subnormal x gives |v| < 2^-23 and q = 0 either way,
 * and a product that underflows is below 0.5 too. With m = 0 every v is
 * +-0, or NaN (Inf * 0) which converts to 0 as VCVT does there. */
#ifdef LTCC_QTRACE
void LTCC_QTRACE(const int16_t *q, int n, float s);
#endif
static void k_quant_rows(int r, int in, const float *restrict x, int xs, int16_t *restrict q, float *s)
{
	int t, i;
	const uint32x4_t mag = vdupq_n_u32(0x7fffffffu);
	for (t = 0; t < r; t++) {
		const float *xr = x + (long)t * xs;
		int16_t *qr = q + (long)t * in;
		uint32x4_t mv = vdupq_n_u32(0);
		uint32_t mb;
		float m, inv;
		for (i = 0; i + 4 <= in; i += 4)
			mv = vmaxq_u32(mv, vandq_u32(vreinterpretq_u32_f32(vld1q_f32(xr + i)), mag));
		if (i < in)  /* inactive lanes read as 0 */
			mv = vmaxq_u32(mv, vandq_u32(vreinterpretq_u32_f32(
				vldrwq_z_f32(xr + i, vctp32q((uint32_t)(in - i)))), mag));
		mb = vmaxvq_u32(0, mv);
		if (mb >= 0x7f800000u || mb < 0x0f800000u)  /* the generic's zero rows */
			mb = 0;
		memcpy(&m, &mb, 4);
		inv = m > 0.0f ? 127.0f / m : 0.0f;
		for (i = 0; i + 4 <= in; i += 4)
			vstrhq_s32(qr + i, vcvtaq_s32_f32(vmulq_n_f32(vld1q_f32(xr + i), inv)));
		if (i < in) {
			mve_pred16_t p = vctp32q((uint32_t)(in - i));
			vstrhq_p_s32(qr + i, vcvtaq_s32_f32(vmulq_n_f32(vldrwq_z_f32(xr + i, p), inv)), p);
		}
		s[t] = m / 127.0f;
#ifdef LTCC_QTRACE
		LTCC_QTRACE(qr, in, s[t]);
#endif
	}
}

/*@ k_pack8 */
/* r rows of q (in int16 apart, values in [-127, 127]) narrowed in place to
 * int8, row t at byte 2 * t * in, 8 a step (VLDRH.S16, then VSTRB.16 keeps
 * each lane's low byte): every store lands below the bytes not yet read */
static void k_pack8(int r, int in, int16_t *q)
{
	int t, k;
	for (t = 0; t < r; t++) {
		const int16_t *s = q + (long)t * in;
		int8_t *d = (int8_t *)(q + (long)t * in);
		for (k = in >> 3; k > 0; k--) {
			vstrbq_s16(d, vldrhq_s16(s));
			s += 8;
			d += 8;
		}
		if (in & 7) {
			mve_pred16_t p = vctp16q((uint32_t)(in & 7));
			vstrbq_p_s16(d, vldrhq_z_s16(s, p), p);
		}
	}
}

/*@ k_tame */
/* 1 if each of p[0..n) is 0 or of magnitude in [2^-42, 2^30] (k_out_i8
 * says why): with u the bits of p[i] shifted up by one (the sign gone),
 * u = 0 or 0x55000000 <= u <= 0x9d000000; u - 1 wraps a zero to the top,
 * so one max and one min settle it */
static int k_tame(const float *p, int n)
{
	uint32x4_t lo = vdupq_n_u32(0xffffffffu), hi = vdupq_n_u32(0);
	int i;
	uint32x4_t u;
	for (i = 0; i + 4 <= n; i += 4) {
		u = vshlq_n_u32(vreinterpretq_u32_f32(vld1q_f32(p + i)), 1);
		hi = vmaxq_u32(hi, u);
		lo = vminq_u32(lo, vsubq_n_u32(u, 1));
	}
	if (i < n) {  /* inactive lanes read as 0, which passes */
		u = vshlq_n_u32(vreinterpretq_u32_f32(vldrwq_z_f32(p + i, vctp32q((uint32_t)(n - i)))), 1);
		hi = vmaxq_u32(hi, u);
		lo = vminq_u32(lo, vsubq_n_u32(u, 1));
	}
	return vmaxvq_u32(0, hi) <= 0x9d000000u && vminvq_u32(0xffffffffu, lo) >= 0x54ffffffu;
}
/* the same for one value */
static int k_tame1(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	u <<= 1;
	return u - 1 >= 0x54ffffffu && u <= 0x9d000000u;
}

/*@ k_out_i8 k_out k_tame */
/* k_linear_i8's epilogue over mc outputs: y[o] gets what k_out((float)S[o]
 * * sx * Ws[o], b, o, scale, act, acc, y) gives, the same fp32 operations
 * in the same order, four outputs a step on MVE (VCVT, VMUL, VMUL, VADD,
 * VMUL, relu by VCMP and VPSEL, VADD; none fused), the tests of b, act and
 * acc made once, not per output. That is when `tame` (from the caller: act
 * is not gelu, and scale, Ws[] and b[] are each 0 or of magnitude in
 * [2^-42, 2^30], k_tame) and sx and, with acc, y[0..mc) are so too; else
 * the generic's calls of k_out, on the scalar FPU. MVE float arithmetic
 * flushes subnormals, in and out, and gives the default NaN; in range no
 * subnormal, NaN or Inf arises, so the results are the scalar FPU's (both
 * round to nearest): |(float)S| is 0 or in [1, 2^31]; times sx, then Ws,
 * 0 or in [2^-84, 2^91]; plus b: if the sum is below 2^-66, the addends
 * are within 2^-66 of each other, so both >= 2^-43 and multiples of 2^-66,
 * and it is 0; times scale, 0 or in [2^-126, 2^122] (2^-126 is normal);
 * plus y, as plus b. Own code (noinline), so the loops have the registers. */
__attribute__((noinline))
static void k_out_i8(int mc, const int32_t *restrict S, float sx, const float *restrict Ws,
		     const float *restrict b, float scale, int act, int acc, float *restrict y, int tame)
{
	int o;
	float32x4_t v;
#define K_OUT_I8V1(B, RELU, ACC, s, w, bv, yv)                                          \
	v = vmulq_f32(vmulq_n_f32(vcvtq_f32_s32(s), sx), w);                            \
	if (B)                                                                          \
		v = vaddq_f32(v, bv);                                                   \
	v = vmulq_n_f32(v, scale);                                                      \
	if (RELU)                                                                       \
		v = vpselq_f32(v, vdupq_n_f32(0.0f), vcmpgtq_n_f32(v, 0.0f));           \
	if (ACC)                                                                        \
		v = vaddq_f32(yv, v);
#define K_OUT_I8V(B, RELU, ACC)                                                         \
	for (o = 0; o + 4 <= mc; o += 4) {                                              \
		K_OUT_I8V1(B, RELU, ACC, vld1q_s32(S + o), vld1q_f32(Ws + o),           \
			   vld1q_f32(b + o), vld1q_f32(y + o))                          \
		vst1q_f32(y + o, v);                                                    \
	}                                                                               \
	if (o < mc) {                                                                   \
		mve_pred16_t p = vctp32q((uint32_t)(mc - o));                           \
		K_OUT_I8V1(B, RELU, ACC, vldrwq_z_s32(S + o, p), vldrwq_z_f32(Ws + o, p), \
			   vldrwq_z_f32(b + o, p), vldrwq_z_f32(y + o, p))              \
		vstrwq_p_f32(y + o, v, p);                                              \
	}
	if (tame && k_tame1(sx) && (!acc || k_tame(y, mc)))
		switch ((b != 0) << 2 | (act == 1) << 1 | (acc != 0)) {
		case 0: K_OUT_I8V(0, 0, 0) break;
		case 1: K_OUT_I8V(0, 0, 1) break;
		case 2: K_OUT_I8V(0, 1, 0) break;
		case 3: K_OUT_I8V(0, 1, 1) break;
		case 4: K_OUT_I8V(1, 0, 0) break;
		case 5: K_OUT_I8V(1, 0, 1) break;
		case 6: K_OUT_I8V(1, 1, 0) break;
		default: K_OUT_I8V(1, 1, 1) break;
		}
	else
		for (o = 0; o < mc; o++)
			k_out((float)S[o] * sx * Ws[o], b, o, scale, act, acc, y);
#undef K_OUT_I8V
#undef K_OUT_I8V1
}

/*@ k_linear_i8 k_out_i8 k_tame k_quant_rows k_pack8 */
/* act(x (n,in) @ (Wq * Ws)^T + b) * scale -> y, int8 weights and input
 * rows quantized four at a time into qx, then narrowed to int8 there: two
 * rows by three outputs (six accumulators: VMLADAVA writes only even
 * registers), 16 channels a step, one VMLADAVA.S8 (16 products summed into
 * a general register) per row and output; a lone row by four outputs. The
 * last 1..15 channels in one step of zero-filling predicated loads
 * (VCTP.8). A block short of outputs repeats its last weight row. Sums
 * are kept for 48 outputs, then the epilogue runs over them (k_out_i8:
 * four outputs a step when the values allow it, which tame, found once
 * a call, and a test of each row's sx settle). */
static void k_linear_i8(int n, int in, int out, const float *restrict x, int xs,
			const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc, int16_t *restrict qx)
{
	int t0, t, o, oc, i, k, r, m, mc, two, tail = in & 15;
	int32_t S[2][48];
	float sx[4];
	/* the epilogue's MVE path needs these in range (k_out_i8) */
	int tame = act != 2 && k_tame1(scale) && k_tame(Ws, out) && (!b || k_tame(b, out));
	for (t0 = 0; t0 < n; t0 += 4) {
		r = n - t0 < 4 ? n - t0 : 4;
		k_quant_rows(r, in, x + (long)t0 * xs, xs, qx, sx);
		k_pack8(r, in, qx);
		for (t = 0; t < r; t += two) {
			const int8_t *q0 = (const int8_t *)(qx + (long)t * in), *q1 = q0 + 2 * in;
			two = r - t >= 2 ? 2 : 1;
			for (oc = 0; oc < out; oc += 48) {
				mc = out - oc < 48 ? out - oc : 48;
				if (two == 2)
					for (o = 0; o < mc; o += 3) {
						const int8_t *a = q0, *c = q1, *w0 = Wq + (long)(oc + o) * in, *w1, *w2;
						int32_t s0 = 0, s1 = 0, s2 = 0, u0 = 0, u1 = 0, u2 = 0;
						int8x16_t av, cv, wv;
						m = mc - o;
						w1 = m > 1 ? w0 + in : w0;
						w2 = m > 2 ? w1 + in : w1;
						for (k = in >> 4; k > 0; k--) {
							av = vld1q_s8(a);
							cv = vld1q_s8(c);
							a += 16;
							c += 16;
							wv = vld1q_s8(w0);
							w0 += 16;
							s0 = vmladavaq_s8(s0, av, wv);
							u0 = vmladavaq_s8(u0, cv, wv);
							wv = vld1q_s8(w1);
							w1 += 16;
							s1 = vmladavaq_s8(s1, av, wv);
							u1 = vmladavaq_s8(u1, cv, wv);
							wv = vld1q_s8(w2);
							w2 += 16;
							s2 = vmladavaq_s8(s2, av, wv);
							u2 = vmladavaq_s8(u2, cv, wv);
						}
						if (tail) {
							mve_pred16_t p = vctp8q((uint32_t)tail);
							av = vldrbq_z_s8(a, p);
							cv = vldrbq_z_s8(c, p);
							wv = vldrbq_z_s8(w0, p);
							s0 = vmladavaq_s8(s0, av, wv);
							u0 = vmladavaq_s8(u0, cv, wv);
							wv = vldrbq_z_s8(w1, p);
							s1 = vmladavaq_s8(s1, av, wv);
							u1 = vmladavaq_s8(u1, cv, wv);
							wv = vldrbq_z_s8(w2, p);
							s2 = vmladavaq_s8(s2, av, wv);
							u2 = vmladavaq_s8(u2, cv, wv);
						}
						S[0][o] = s0; S[0][o + 1] = s1; S[0][o + 2] = s2;
						S[1][o] = u0; S[1][o + 1] = u1; S[1][o + 2] = u2;
					}
				else
					for (o = 0; o < mc; o += 4) {
						const int8_t *a = q0, *w0 = Wq + (long)(oc + o) * in, *w1, *w2, *w3;
						int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
						int8x16_t av;
						m = mc - o;
						w1 = m > 1 ? w0 + in : w0;
						w2 = m > 2 ? w1 + in : w1;
						w3 = m > 3 ? w2 + in : w2;
						for (k = in >> 4; k > 0; k--) {
							av = vld1q_s8(a);
							a += 16;
							s0 = vmladavaq_s8(s0, av, vld1q_s8(w0));
							s1 = vmladavaq_s8(s1, av, vld1q_s8(w1));
							s2 = vmladavaq_s8(s2, av, vld1q_s8(w2));
							s3 = vmladavaq_s8(s3, av, vld1q_s8(w3));
							w0 += 16;
							w1 += 16;
							w2 += 16;
							w3 += 16;
						}
						if (tail) {
							mve_pred16_t p = vctp8q((uint32_t)tail);
							av = vldrbq_z_s8(a, p);
							s0 = vmladavaq_s8(s0, av, vldrbq_z_s8(w0, p));
							s1 = vmladavaq_s8(s1, av, vldrbq_z_s8(w1, p));
							s2 = vmladavaq_s8(s2, av, vldrbq_z_s8(w2, p));
							s3 = vmladavaq_s8(s3, av, vldrbq_z_s8(w3, p));
						}
						S[0][o] = s0; S[0][o + 1] = s1; S[0][o + 2] = s2; S[0][o + 3] = s3;
					}
				for (i = 0; i < two; i++)
					k_out_i8(mc, S[i], sx[t + i], Ws + oc, b ? b + oc : 0, scale, act, acc,
						 y + (long)(t0 + t + i) * ys + oc, tame);
			}
		}
	}
}
