/* ---- kernels for Armv8.1-M with Helium (MVE), 4 floats a vector:
 * Cortex-M55 (ltcc templates/mve/kernels.c, layered over templates/generic) ---- */
#include <arm_mve.h>

/*@ k_linear k_out */
/* act(x (n,in) @ W^T + b) * scale -> y: four outputs at a time, 4 input
 * channels a step with tail predication (vctp32q), so any width runs
 * without a scalar tail; one VFMA.F32 on q registers per output and step */
static void k_linear(int n, int in, int out, const float *restrict x, int xs,
		     const float *restrict W, const float *restrict b,
		     float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, i, j;
	for (t = 0; t < n; t++) {
		const float *xr = x + (long)t * xs;
		float *yr = y + (long)t * ys;
		for (o = 0; o < out; o += 4) {
			int m = out - o < 4 ? out - o : 4;
			const float *w0 = W + (long)o * in;
			float32x4_t a[4];
			for (j = 0; j < 4; j++)
				a[j] = vdupq_n_f32(0.0f);
			for (i = 0; i < in; i += 4) {
				mve_pred16_t p = vctp32q((uint32_t)(in - i));
				float32x4_t xv = vld1q_z_f32(xr + i, p);  /* inactive lanes read as 0 */
				for (j = 0; j < m; j++)
					a[j] = vfmaq_f32(a[j], xv, vld1q_z_f32(w0 + (long)j * in + i, p));
			}
			for (j = 0; j < m; j++) {
				float s = vgetq_lane_f32(a[j], 0) + vgetq_lane_f32(a[j], 1) +
					  vgetq_lane_f32(a[j], 2) + vgetq_lane_f32(a[j], 3);
				k_out(s, b, o + j, scale, act, acc, yr);
			}
		}
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

/*@ k_linear_i8 k_out k_quant_rows k_pack8 */
/* act(x (n,in) @ (Wq * Ws)^T + b) * scale -> y, int8 weights and input
 * rows quantized four at a time into qx, then narrowed to int8 there: two
 * rows by three outputs (six accumulators: VMLADAVA writes only even
 * registers), 16 channels a step, one VMLADAVA.S8 (16 products summed into
 * a general register) per row and output; a lone row by four outputs. The
 * last 1..15 channels in one step of zero-filling predicated loads
 * (VCTP.8). A block short of outputs repeats its last weight row. Sums
 * are kept for 48 outputs, then the epilogue runs over them: set up once
 * per 48 outputs, not per block, and one call of k_out (in an int8 model
 * its only caller, so the compiler inlines it). */
static void k_linear_i8(int n, int in, int out, const float *restrict x, int xs,
			const int8_t *restrict Wq, const float *restrict Ws, const float *restrict b,
			float *restrict y, int ys, float scale, int act, int acc, int16_t *restrict qx)
{
	int t0, t, o, oc, i, k, r, m, mc, two, tail = in & 15;
	int32_t S[2][48];
	float sx[4];
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
					for (o = 0; o < mc; o++)
						k_out((float)S[i][o] * sx[t + i] * Ws[oc + o], b, oc + o, scale, act, acc,
						      y + (long)(t0 + t + i) * ys);
			}
		}
	}
}
