/* exp_test.c — the generated code's k_exp and k_sincos (and, built for
 * AVX2, k_exp8) against the C library's exp, sin and cos in double
 * precision. It includes a model file ltcc wrote (tests/exp/run.sh),
 * so it tests the function exactly as emitted. Over [-87.3, 88.7] it walks
 * every STRIDE-th float and every float in [-1, 1] at a coarser stride,
 * and reports the largest relative error; then the edges: exp(-inf) = 0
 * (an empty softmax's running maximum), NaN in NaN out, 0 below -87.34,
 * +inf above 88.73, exp(0) = 1 exactly. k_sincos: the largest absolute
 * error over [-6000, 6000] (every STRIDE-th float, and all of [0, 4) at a
 * coarser one), where its reduction holds, and past it, where libm takes
 * over. Exit 0 when the errors are within the bounds the template states. */
#include "m.c"
#include <stdio.h>

#define BOUND 1.5e-7
#define SC_BOUND 2e-7

static double worst;
static float worst_x;
#if defined(__AVX2__) && defined(__FMA__)
static double worst8;
static float worst8_x;
#endif

static void check(float x)
{
	double want = exp((double)x), got = (double)k_exp(x);
	double e = fabs(got - want) / want;
	if (e > worst) {
		worst = e;
		worst_x = x;
	}
#if defined(__AVX2__) && defined(__FMA__)
	float v[8];
	_mm256_storeu_ps(v, k_exp8(_mm256_set1_ps(x)));
	e = fabs((double)v[0] - want) / want;
	if (e > worst8) {
		worst8 = e;
		worst8_x = x;
	}
#endif
}

#if defined(__AVX2__) && defined(__FMA__)
/* k_exp8's lanes at x, as one float (0 if they differ) */
static float exp8(float x)
{
	float v[8];
	_mm256_storeu_ps(v, k_exp8(_mm256_set1_ps(x)));
	for (int i = 1; i < 8; i++)
		if (memcmp(&v[i], &v[0], sizeof v[0]))
			return 0.0f;
	return v[0];
}
#endif

static double sc_worst;
static float sc_worst_x;

static void check_sc(float x)
{
	float sn, cs;
	k_sincos(x, &sn, &cs);
	double e = fabs((double)sn - sin((double)x)), f = fabs((double)cs - cos((double)x));
	e = e > f ? e : f;
	if (e > sc_worst || e != e) {
		sc_worst = e != e ? INFINITY : e;
		sc_worst_x = x;
	}
}

/* every `stride`-th float from a up to b (a < b, both finite), to f */
static void walk(float a, float b, uint32_t stride, void (*f)(float))
{
	for (float x = a; x <= b;) {
		f(x);
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
	walk(-87.33f, 88.72f, 257, check);
	walk(-1.0f, 1.0f, 127, check);
	printf("k_exp: max relative error %.3g at x = %.9g (bound %.3g)\n", worst, (double)worst_x, BOUND);
	bad |= !(worst <= BOUND);
	bad |= k_exp(-INFINITY) != 0.0f;
	bad |= k_exp(-88.0f) != 0.0f || k_exp(-1000.0f) != 0.0f;
	bad |= !(k_exp(NAN) != k_exp(NAN));
	bad |= k_exp(88.75f) != INFINITY || k_exp(INFINITY) != INFINITY;
	bad |= k_exp(0.0f) != 1.0f;
	printf("k_exp edges: %s\n", bad ? "WRONG" : "exp(-inf) = 0, NaN kept, 0 below -87.34, inf above 88.73, exp(0) = 1");
#if defined(__AVX2__) && defined(__FMA__)
	int bad8 = !(worst8 <= BOUND);
	bad8 |= exp8(-INFINITY) != 0.0f || exp8(-88.0f) != 0.0f || !(exp8(NAN) != exp8(NAN));
	bad8 |= exp8(88.75f) != INFINITY || exp8(INFINITY) != INFINITY || exp8(0.0f) != 1.0f;
	printf("k_exp8 (AVX2): max relative error %.3g at x = %.9g (bound %.3g), edges %s\n", worst8,
	       (double)worst8_x, BOUND, bad8 ? "WRONG" : "as k_exp's");
	bad |= bad8;
#endif
	walk(-6000.0f, 6000.0f, 1021, check_sc);
	walk(0.0f, 4.0f, 31, check_sc);
	walk(6000.0f, 7000.0f, 1021, check_sc);  /* libm's */
	printf("k_sincos: max absolute error %.3g at x = %.9g (bound %.3g)\n", sc_worst, (double)sc_worst_x, SC_BOUND);
	bad |= !(sc_worst <= SC_BOUND);
	return bad;
}
