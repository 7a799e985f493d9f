/* ---- kernels for in-order scalar cores with a single-precision FPU and
 * fused multiply-add: Cortex-M4/M7 (VFMA.F32), RV32F (fmadd.s)
 * (ltcc templates/scalar/kernels.c, layered over templates/generic) ---- */

/*@ k_linear k_out */
/* act(x (n,in) @ W^T + b) * scale -> y: four outputs at a time, so each
 * x[i] loaded feeds four fused multiply-adds and the loop overhead is
 * shared; fmaf compiles to one instruction on these FPUs */
static void k_linear(int n, int in, int out, const float *restrict x, int xs,
		     const float *restrict W, const float *restrict b,
		     float *restrict y, int ys, float scale, int act, int acc)
{
	int t, o, i;
	for (t = 0; t < n; t++) {
		const float *xr = x + (long)t * xs;
		float *yr = y + (long)t * ys;
		for (o = 0; o + 4 <= out; o += 4) {
			const float *w0 = W + (long)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
			float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
			for (i = 0; i < in; i++) {
				float xv = xr[i];
				s0 = fmaf(xv, w0[i], s0);
				s1 = fmaf(xv, w1[i], s1);
				s2 = fmaf(xv, w2[i], s2);
				s3 = fmaf(xv, w3[i], s3);
			}
			k_out(s0, b, o, scale, act, acc, yr);
			k_out(s1, b, o + 1, scale, act, acc, yr);
			k_out(s2, b, o + 2, scale, act, acc, yr);
			k_out(s3, b, o + 3, scale, act, acc, yr);
		}
		for (; o < out; o++) {
			const float *wr = W + (long)o * in;
			float s = 0.0f;
			for (i = 0; i < in; i++)
				s = fmaf(xr[i], wr[i], s);
			k_out(s, b, o, scale, act, acc, yr);
		}
	}
}
