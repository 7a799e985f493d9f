/* kern_i8.c — one target's int8 matmul (k_linear_i8) against arithmetic
 * done here, exactly.
 *
 * It includes the model file ltcc wrote for the target with --quantize
 * int8 (m.c, --prefix m), so it tests the kernels that file ships. Two
 * checks over random shapes, strides and row counts:
 *   1. integer rows whose max|x| is 127 quantize to themselves with scale
 *      1, so with unit weight scales y must be the int32 sum, exactly;
 *   2. float rows, scales, bias, relu/gelu and accumulate: y must be
 *      bit-identical to the rule (quantize, int32 sum, ((float)sum * s_x)
 *      * s_w[o] + b, * scale, activation) computed here.
 * With -DKI8_ICOUNT (in QEMU with -icount) it then prints the kernel's
 * instructions per multiply-add at the shapes CMSIS-NN was measured on.
 * Rows that are zero, tiny (max near 2^-96), or hold a NaN or an Inf are
 * among them. Exit 0 when every check passes. */
#include "m.c"
#include <stdio.h>
#ifdef KI8_ICOUNT
#include "rt.h"
#endif

#define MAXN 6
#define MAXIN 80
#define MAXOUT 12
#define QROWS 4   /* compiler/ltcc.h QX_ROWS: the rows a kernel may quantize at once */

static float x[MAXN * (MAXIN + 3)], y[MAXN * (MAXOUT + 2)], want[MAXN * (MAXOUT + 2)];
static float Ws[MAXOUT], bias[MAXOUT];
static int8_t W[MAXOUT * MAXIN];
static int16_t scratch[QROWS * MAXIN];

static uint32_t seed = 12345u;
static int rnd(int lo, int hi)
{
	seed = seed * 1664525u + 1013904223u;
	return lo + (int)((seed >> 8) % (uint32_t)(hi - lo + 1));
}
static float frnd(void) { return (float)rnd(-1000000, 1000000) / 250000.0f; }

/* the rule, written again: compiler/quant.c and tools/reference.py */
static float quant_ref(const float *xr, int in, int16_t *q)
{
	float m = 0.0f, inv;
	int i, finite = 1;
	for (i = 0; i < in; i++) {
		finite &= isfinite(xr[i]) != 0;
		m = fabsf(xr[i]) > m ? fabsf(xr[i]) : m;
	}
	if (!finite || m < 0x1p-96f)  /* not finite, or 127 / m could overflow: zeros */
		m = 0.0f;
	inv = m > 0.0f ? 127.0f / m : 0.0f;
	for (i = 0; i < in; i++) {
		float v = xr[i] * inv, t = truncf(v);  /* v - t is exact: the true fraction */
		float r = fabsf(v - t) >= 0.5f ? t + (v < 0.0f ? -1.0f : 1.0f) : t;
		q[i] = (int16_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : r);
	}
	return m / 127.0f;
}

static float epilogue(int32_t s, float sx, int o, const float *b, float scale, int act, int acc, float prev)
{
	float v = (float)s * sx * Ws[o];
	if (b)
		v += b[o];
	v *= scale;
	if (act == 1)
		v = v > 0.0f ? v : 0.0f;
	else if (act == 2)
		v = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
	return acc ? prev + v : v;
}

static int trial(int k, int ints)
{
	int n = rnd(1, MAXN), in = rnd(1, MAXIN), out = rnd(1, MAXOUT);
	int xs = in + rnd(0, 3), ys = out + rnd(0, 2), t, o, i, bad = 0;
	int act = ints ? 0 : rnd(0, 2), acc = rnd(0, 1), nob = ints || rnd(0, 2) == 0;
	float scale = ints ? 1.0f : (rnd(0, 1) ? 1.0f : 0.35355339f);
	for (i = 0; i < out * in; i++)
		W[i] = (int8_t)rnd(-127, 127);
	for (o = 0; o < out; o++) {
		Ws[o] = ints ? 1.0f : (rnd(0, 7) ? (float)rnd(1, 1000000) / 3e7f : 0.0f);
		bias[o] = nob ? 0.0f : frnd();
	}
	for (t = 0; t < n; t++) {
		float *xr = x + t * xs;
		int kind = ints ? 0 : rnd(0, 19);  /* 1: zero, 2: tiny, 3: NaN, 4: Inf; else normal */
		for (i = 0; i < in; i++)
			xr[i] = kind == 1 ? 0.0f : ints ? (float)rnd(-127, 127) : frnd();
		if (kind == 2) {  /* max around 2^-96, either side */
			float tiny = ldexpf(1.0f, rnd(-101, -95));
			for (i = 0; i < in; i++)
				xr[i] *= tiny;
		}
		if (kind == 3 || kind == 4)
			xr[rnd(0, in - 1)] = kind == 3 ? NAN : -INFINITY;
		if (ints)
			xr[rnd(0, in - 1)] = rnd(0, 1) ? 127.0f : -127.0f;
	}
	for (i = 0; i < n * ys; i++)
		y[i] = want[i] = (float)rnd(-50, 50) / 8.0f;
	for (t = 0; t < n; t++) {
		int16_t q[MAXIN];
		float sx = quant_ref(x + t * xs, in, q);
		for (o = 0; o < out; o++) {
			int64_t s = 0;
			for (i = 0; i < in; i++)
				s += (int64_t)q[i] * W[o * in + i];
			want[t * ys + o] = epilogue((int32_t)s, sx, o, nob ? 0 : bias, scale, act, acc, want[t * ys + o]);
		}
	}
	k_linear_i8(n, in, out, x, xs, W, Ws, nob ? 0 : bias, y, ys, scale, act, acc, scratch);
	for (t = 0; t < n; t++)
		for (o = 0; o < ys; o++)
			if (memcmp(&y[t * ys + o], &want[t * ys + o], sizeof(float))) {
				if (!bad++)
					printf("FAIL %s trial %d: n %d in %d out %d xs %d ys %d act %d acc %d: "
					       "y[%d][%d] = %.9g, want %.9g\n", ints ? "integer" : "float", k, n, in, out,
					       xs, ys, act, acc, t, o, (double)y[t * ys + o], (double)want[t * ys + o]);
			}
	return bad != 0;
}

#ifdef KI8_ICOUNT
static int8_t Wb[496 * 496];
static float xb[30 * 496], yb[30 * 496], Wsb[496];
static int16_t qb[QROWS * 496];

static void icount_shape(int n, int d)
{
	int i;
	for (i = 0; i < d * d; i++)
		Wb[i] = (int8_t)rnd(-127, 127);
	for (i = 0; i < n * d; i++)
		xb[i] = frnd();
	for (i = 0; i < d; i++)
		Wsb[i] = 0.001f;
	uint64_t t0 = rt_icount();
	k_linear_i8(n, d, d, xb, d, Wb, Wsb, 0, yb, d, 1.0f, 0, 0, qb);
	uint64_t c = rt_icount() - t0 - rt_icount_overhead();
	printf("icount k_linear_i8 %dx%d->%d: %llu instructions, %.3f per MAC\n", n, d, d,
	       (unsigned long long)c, (double)c / ((double)n * d * d));
}
#endif

int main(void)
{
	int k, fails = 0, trials = 400;
	for (k = 0; k < trials; k++)
		fails += trial(k, k % 2 == 0);
	printf("kern_i8: %d of %d trials bit-exact\n", trials - fails, trials);
#ifdef KI8_ICOUNT
	icount_shape(30, 64);
	icount_shape(30, 200);
	icount_shape(30, 496);
#endif
	return fails != 0;
}
