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
