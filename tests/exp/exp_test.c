/* exp_test.c — the generated code's k_exp against the C library's exp in
 * double precision. It includes a model file ltcc wrote (tests/exp/run.sh),
 * so it tests the function exactly as emitted. Over [-87.3, 88.7] it walks
 * every STRIDE-th float and every float in [-1, 1] at a coarser stride,
 * and reports the largest relative error; then the edges: exp(-inf) = 0
 * (an empty softmax's running maximum), NaN in NaN out, 0 below -87.34,
 * +inf above 88.73, exp(0) = 1 exactly. Exit 0 when the error is within
 * the bound the template states. */
#include "m.c"
#include <stdio.h>

#define BOUND 1.5e-7

static double worst;
static float worst_x;

static void check(float x)
{
	double want = exp((double)x), got = (double)k_exp(x);
	double e = fabs(got - want) / want;
	if (e > worst) {
		worst = e;
		worst_x = x;
	}
}

/* every `stride`-th float from a up to b (a < b, both finite) */
static void walk(float a, float b, uint32_t stride)
{
	for (float x = a; x <= b;) {
		check(x);
		uint32_t u;
		memcpy(&u, &x, sizeof u);
		/* negative floats grow toward zero as their bits shrink */
		if (x < 0.0f)
			u = u > 0x80000000u + stride ? u - stride : 0u;
		else
			u += stride;
		memcpy(&x, &u, sizeof x);
	}
}

int main(void)
{
	int bad = 0;
	walk(-87.33f, 88.72f, 257);
	walk(-1.0f, 1.0f, 127);
	printf("k_exp: max relative error %.3g at x = %.9g (bound %.3g)\n", worst, (double)worst_x, BOUND);
	bad |= !(worst <= BOUND);
	bad |= k_exp(-INFINITY) != 0.0f;
	bad |= k_exp(-88.0f) != 0.0f || k_exp(-1000.0f) != 0.0f;
	bad |= !(k_exp(NAN) != k_exp(NAN));
	bad |= k_exp(88.75f) != INFINITY || k_exp(INFINITY) != INFINITY;
	bad |= k_exp(0.0f) != 1.0f;
	printf("k_exp edges: %s\n", bad ? "WRONG" : "exp(-inf) = 0, NaN kept, 0 below -87.34, inf above 88.73, exp(0) = 1");
	return bad;
}
