/* test_weights.c — the safetensors loader (weights.c) on files written
 * here byte by byte: conversions are exact, and every malformed file is
 * refused with a message naming the file and the problem, never a crash. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"

/* Write 8-byte little-endian `hlen`, the header text, then `n` data bytes. */
static const char *st_raw(const char *name, uint64_t hlen, const char *header, const void *data, size_t n)
{
	size_t hl = strlen(header);
	unsigned char *buf = malloc(8 + hl + n + 1);
	for (int i = 0; i < 8; i++)
		buf[i] = (unsigned char)(hlen >> (8 * i));
	memcpy(buf + 8, header, hl);
	if (n)
		memcpy(buf + 8 + hl, data, n);
	const char *path = tmp_path(name);
	CU_ASSERT_TRUE_FATAL(write_bytes(path, buf, 8 + hl + n));
	free(buf);
	return path;
}

static const char *st_file(const char *name, const char *header, const void *data, size_t n)
{
	return st_raw(name, strlen(header), header, data, n);
}

/* n little-endian F32 values into out (4n bytes), whatever the host order. */
static void le_f32(const float *v, int n, unsigned char *out)
{
	for (int i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &v[i], 4);
		for (int b = 0; b < 4; b++)
			out[4 * i + b] = (unsigned char)(u >> (8 * b));
	}
}

static void le_u16(const uint16_t *v, int n, unsigned char *out)
{
	for (int i = 0; i < n; i++) {
		out[2 * i] = (unsigned char)v[i];
		out[2 * i + 1] = (unsigned char)(v[i] >> 8);
	}
}

static WeightFile *load(const char *path, const char **diags)
{
	cap_begin();
	WeightFile *wf = wf_load(path, WEIGHTS_MAX_BYTES);
	*diags = cap_end();
	return wf;
}

/* wf_load refuses `path` with one error "ltcc: error: PATH: ...want...". */
static bool refused(const char *path, const char *want)
{
	const char *d;
	WeightFile *wf = load(path, &d);
	char *head = arena_printf("ltcc: error: %s: ", path);
	if (wf)
		fprintf(stderr, "\n--- %s loaded, expected: %s\n", path, want);
	return !wf && diag_error_count() == 1 && has_text(d, head) && has_text(d, want);
}
#define REFUSED(path, want) CU_ASSERT_TRUE(refused(path, want))

/* ---- valid files ---- */

static void test_f32_values_and_shapes(void)
{
	float v[10] = { 1, 2, 3, 4, 5, 6, -0.5f, 0, 1e-3f, 3.25f };
	unsigned char data[40];
	le_f32(v, 10, data);
	const char *p = st_file("f32.safetensors",
		"{\"__metadata__\":{\"format\":\"pt\"},"
		"\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
		"\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[24,40]}}", data, 40);
	const char *d;
	WeightFile *wf = load(p, &d);
	CU_ASSERT_STRING_EQUAL(d, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
	CU_ASSERT_EQUAL(wf->n, 2);                       /* __metadata__ is no tensor */
	CU_ASSERT_STRING_EQUAL(wf->path, p);
	WTensor *a = wf_find(wf, "a"), *b = wf_find(wf, "b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NULL(wf_find(wf, "c"));
	CU_ASSERT_PTR_NULL(wf_find(wf, "__metadata__"));
	CU_ASSERT_STRING_EQUAL(a->dtype, "F32");
	CU_ASSERT_EQUAL(a->ndim, 2);
	CU_ASSERT_EQUAL(a->shape[0], 2);
	CU_ASSERT_EQUAL(a->shape[1], 3);
	CU_ASSERT_EQUAL(a->numel, 6);
	CU_ASSERT_EQUAL(b->ndim, 1);
	CU_ASSERT_EQUAL(b->shape[0], 4);
	CU_ASSERT_EQUAL(b->numel, 4);
	CU_ASSERT_FALSE(a->used);
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(a->data[i], v[i]);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(b->data[i], v[6 + i]);
}

static void test_tensors_in_any_order_and_touching(void)
{
	/* b's bytes come first; a starts exactly where b ends */
	float v[3] = { 7, 8, 9 };
	unsigned char data[12];
	le_f32(v, 3, data);
	const char *p = st_file("order.safetensors",
		"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
		"\"b\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}", data, 12);
	const char *d;
	WeightFile *wf = load(p, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
	CU_ASSERT_EQUAL(wf_find(wf, "a")->data[0], 9.0f);
	CU_ASSERT_EQUAL(wf_find(wf, "b")->data[0], 7.0f);
	CU_ASSERT_EQUAL(wf_find(wf, "b")->data[1], 8.0f);
}

static void test_scalar_and_empty_tensors(void)
{
	float v[1] = { 42 };
	unsigned char data[4];
	le_f32(v, 1, data);
	const char *p = st_file("scalar.safetensors",
		"{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
		"\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[4,4]}}", data, 4);
	const char *d;
	WeightFile *wf = load(p, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
	CU_ASSERT_EQUAL(wf_find(wf, "s")->ndim, 0);
	CU_ASSERT_EQUAL(wf_find(wf, "s")->numel, 1);
	CU_ASSERT_EQUAL(wf_find(wf, "s")->data[0], 42.0f);
	CU_ASSERT_EQUAL(wf_find(wf, "e")->numel, 0);
}

static void test_f16_converted_exactly(void)
{
	static const uint16_t h[] = { 0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0x7C00, 0xFC00 };
	const float want[] = {
		1.0f, -2.0f, 0.333251953125f, 65504.0f,
		5.9604644775390625e-08f,     /* 2^-24, smallest subnormal */
		6.0975551605224609375e-05f,  /* 1023 * 2^-24, largest subnormal */
		6.103515625e-05f,            /* 2^-14, smallest normal */
		-0.0f,
	};
	unsigned char data[20];
	le_u16(h, 10, data);
	const char *p = st_file("f16.safetensors", "{\"h\":{\"dtype\":\"F16\",\"shape\":[10],\"data_offsets\":[0,20]}}", data, 20);
	const char *d;
	WeightFile *wf = load(p, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
	WTensor *t = wf_find(wf, "h");
	CU_ASSERT_STRING_EQUAL(t->dtype, "F16");
	for (int i = 0; i < 8; i++) {
		if (t->data[i] != want[i])
			fprintf(stderr, "\nF16 0x%04x: got %.17g, want %.17g\n", h[i], t->data[i], want[i]);
		CU_ASSERT_EQUAL(t->data[i], want[i]);
	}
	CU_ASSERT_TRUE(signbit(t->data[7]));
	CU_ASSERT_TRUE(isinf(t->data[8]) && t->data[8] > 0);
	CU_ASSERT_TRUE(isinf(t->data[9]) && t->data[9] < 0);
}

static void test_bf16_converted_exactly(void)
{
	static const uint16_t b[] = { 0x3F80, 0xC040, 0x3E20, 0x7F7F, 0x0080, 0x0001, 0xFF80 };
	const float want[] = {
		1.0f, -3.0f, 0.15625f,
		3.3895313892515355e+38f,     /* (2 - 2^-7) * 2^127, the largest */
		1.1754943508222875e-38f,     /* 2^-126 */
		9.1835496157991212e-41f,     /* 2^-133, subnormal */
	};
	unsigned char data[14];
	le_u16(b, 7, data);
	const char *p = st_file("bf16.safetensors", "{\"b\":{\"dtype\":\"BF16\",\"shape\":[7],\"data_offsets\":[0,14]}}", data, 14);
	const char *d;
	WeightFile *wf = load(p, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
	WTensor *t = wf_find(wf, "b");
	for (int i = 0; i < 6; i++) {
		if (t->data[i] != want[i])
			fprintf(stderr, "\nBF16 0x%04x: got %.17g, want %.17g\n", b[i], t->data[i], want[i]);
		CU_ASSERT_EQUAL(t->data[i], want[i]);
	}
	CU_ASSERT_TRUE(isinf(t->data[6]) && t->data[6] < 0);
}

static void test_f64_rounded_to_f32(void)
{
	double v[2] = { 0.1, -2.5 };
	unsigned char data[16];
	for (int i = 0; i < 2; i++) {
		uint64_t u;
		memcpy(&u, &v[i], 8);
		for (int k = 0; k < 8; k++)
			data[8 * i + k] = (unsigned char)(u >> (8 * k));
	}
	const char *p = st_file("f64.safetensors", "{\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", data, 16);
	const char *d;
	WeightFile *wf = load(p, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
	CU_ASSERT_EQUAL(wf_find(wf, "d")->data[0], 0.1f);
	CU_ASSERT_EQUAL(wf_find(wf, "d")->data[1], -2.5f);
}

static void test_header_padding_accepted(void)
{
	/* writers pad the header with spaces (or NULs) to align the data */
	float v[1] = { 1.5f };
	unsigned char data[4];
	le_f32(v, 1, data);
	const char hdr[] = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}     ";
	const char *d;
	CU_ASSERT_PTR_NOT_NULL(load(st_file("pad.safetensors", hdr, data, 4), &d));
	/* NUL padding: write it by hand, strlen would stop at the NUL */
	unsigned char buf[8 + 64 + 4];
	size_t hl = strlen(hdr) - 5;
	memset(buf, 0, sizeof buf);
	buf[0] = (unsigned char)(hl + 3);
	memcpy(buf + 8, hdr, hl);
	memcpy(buf + 8 + hl + 3, data, 4);
	const char *p = tmp_path("nulpad.safetensors");
	CU_ASSERT_TRUE_FATAL(write_bytes(p, buf, 8 + hl + 3 + 4));
	WeightFile *wf = load(p, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wf);
	CU_ASSERT_EQUAL(wf_find(wf, "a")->data[0], 1.5f);
}

/* ---- malformed files ---- */

static const unsigned char zeros[64];

static void test_header_length_past_eof(void)
{
	const char *hdr = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
	const char *p = st_raw("past.safetensors", strlen(hdr) + 100, hdr, zeros, 4);
	REFUSED(p, arena_printf("header length %zu runs past the end of the file (%zu bytes)\n",
				strlen(hdr) + 100, 8 + strlen(hdr) + 4));
	/* a length that would wrap around when added to anything */
	p = st_raw("huge.safetensors", UINT64_MAX, hdr, zeros, 4);
	REFUSED(p, "header length 18446744073709551615 runs past the end of the file");
}

static void test_json_not_an_object(void)
{
	REFUSED(st_file("array.safetensors", "[1, 2, 3]", NULL, 0), "header must be a JSON object\n");
	REFUSED(st_file("number.safetensors", "42 ", NULL, 0), "header must be a JSON object\n");
	REFUSED(st_file("string.safetensors", "\"F32\"", NULL, 0), "header must be a JSON object\n");
}

static void test_invalid_json(void)
{
	REFUSED(st_file("badjson.safetensors", "{\"a\": }", NULL, 0),
		"header is not valid JSON: unexpected character at byte 6 of the header\n");
	REFUSED(st_file("unfinished.safetensors", "{\"a\": {\"dtype\"", NULL, 0),
		"header is not valid JSON: unexpected end of data");
	REFUSED(st_file("notjson.safetensors", "hello", NULL, 0), "header is not valid JSON");
	REFUSED(st_file("emptyhdr.safetensors", "", NULL, 0), "header is not valid JSON");
}

static void test_trailing_comma_is_invalid_json(void)
{
	/* json-c accepts this unless strict */
	REFUSED(st_file("comma.safetensors",
			"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}", zeros, 4),
		"header is not valid JSON: unexpected character");
}

static void test_trailing_bytes_after_json(void)
{
	REFUSED(st_file("trail.safetensors",
			"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", zeros, 4),
		"header has trailing bytes after its JSON object\n");
}

static void test_data_offsets_past_end(void)
{
	/* a file cut short: 6 floats announced, 5 present */
	REFUSED(st_file("trunc.safetensors",
			"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
			"\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", zeros, 20),
		"tensor 'b': data_offsets [8, 24] run past the end of the data (20 bytes; file truncated?)\n");
}

static void test_data_offsets_not_a_range(void)
{
	REFUSED(st_file("reversed.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", zeros, 4),
		"tensor 'a': data_offsets [4, 0] are not a range\n");
	REFUSED(st_file("negative.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", zeros, 4),
		"tensor 'a': data_offsets [-4, 0] are not a range\n");
	REFUSED(st_file("threeoffs.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", zeros, 8),
		"tensor 'a': data_offsets must be [begin, end]\n");
	REFUSED(st_file("floatoffs.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", zeros, 4),
		"tensor 'a': data_offsets must be [begin, end]\n");
}

static void test_overlapping_tensors(void)
{
	REFUSED(st_file("overlap.safetensors",
			"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
			"\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", zeros, 24),
		"tensors 'a' and 'b' overlap in the data section\n");
	/* one tensor inside another */
	REFUSED(st_file("inside.safetensors",
			"{\"big\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]},"
			"\"small\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", zeros, 32),
		"tensors 'big' and 'small' overlap in the data section\n");
}

static void test_overlap_across_an_empty_tensor(void)
{
	/* z holds no bytes and sorts between the two overlapping tensors */
	REFUSED(st_file("overlap0.safetensors",
			"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
			"\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
			"\"c\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", zeros, 16),
		"tensors 'a' and 'c' overlap in the data section\n");
}

static void test_dtype_shape_byte_count_mismatch(void)
{
	REFUSED(st_file("count.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", zeros, 16),
		"tensor 'a': F32 shape needs 12 bytes, but data_offsets span 16\n");
	REFUSED(st_file("count16.safetensors", "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", zeros, 16),
		"tensor 'a': BF16 shape needs 8 bytes, but data_offsets span 16\n");
}

static void test_unsupported_dtype(void)
{
	REFUSED(st_file("i32.safetensors", "{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", zeros, 4),
		"tensor 'a': unsupported dtype \"I32\" (ltcc reads F32, F16, BF16 and F64)\n");
	REFUSED(st_file("numdtype.safetensors", "{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", zeros, 4),
		"tensor 'a': unsupported dtype 4");
}

static void test_bad_shapes(void)
{
	REFUSED(st_file("negshape.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", zeros, 4),
		"tensor 'a': shape entry 0 is not a size\n");
	REFUSED(st_file("strshape.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":\"4\",\"data_offsets\":[0,4]}}", zeros, 4),
		"tensor 'a': shape must be a list of at most 8 sizes\n");
	REFUSED(st_file("ninedims.safetensors",
			"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", zeros, 4),
		"tensor 'a': shape must be a list of at most 8 sizes\n");
	/* 2^40 * 2^40 elements: caught before anything overflows */
	REFUSED(st_file("bigshape.safetensors",
			"{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,4]}}", zeros, 4),
		"tensor 'a': shape too large\n");
}

static void test_entry_missing_a_field(void)
{
	REFUSED(st_file("nodtype.safetensors", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", zeros, 4),
		"tensor 'a': header entry needs dtype, shape and data_offsets\n");
	REFUSED(st_file("notobj.safetensors", "{\"a\":[0,4]}", zeros, 4),
		"tensor 'a': header entry needs dtype, shape and data_offsets\n");
}

static void test_empty_file(void)
{
	const char *p = tmp_path("empty.safetensors");
	CU_ASSERT_TRUE_FATAL(write_bytes(p, "", 0));
	REFUSED(p, "not a safetensors file: 0 bytes, shorter than the 8-byte header length\n");
}

static void test_file_shorter_than_8_bytes(void)
{
	const char *p = tmp_path("short.safetensors");
	CU_ASSERT_TRUE_FATAL(write_bytes(p, "\x10\0\0\0\0", 5));
	REFUSED(p, "not a safetensors file: 5 bytes, shorter than the 8-byte header length\n");
}

static void test_missing_file(void)
{
	REFUSED(tmp_path("does-not-exist.safetensors"), "cannot read weight file: No such file or directory\n");
}

/* Every prefix of a valid file, and the file with each header byte
 * replaced: loads or is refused with an error, never crashes (run this
 * under AddressSanitizer to see it). */
static void test_truncations_and_corruptions_never_crash(void)
{
	float v[6] = { 1, 2, 3, 4, 5, 6 };
	unsigned char data[24];
	le_f32(v, 6, data);
	const char *hdr = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
			  "\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[16,24]}}";
	const char *p = st_file("whole.safetensors", hdr, data, 24);
	FILE *f = fopen(p, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	unsigned char whole[512];
	size_t len = fread(whole, 1, sizeof whole, f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(len, 8 + strlen(hdr) + 24);
	const char *q = tmp_path("cut.safetensors");
	int refused_n = 0;
	for (size_t cut = 0; cut < len; cut++) {
		CU_ASSERT_TRUE_FATAL(write_bytes(q, whole, cut));
		const char *d;
		WeightFile *wf = load(q, &d);
		CU_ASSERT_TRUE(wf == NULL && diag_error_count() == 1 && strstr(d, q) != NULL);
		refused_n += wf == NULL;
	}
	CU_ASSERT_EQUAL(refused_n, (int)len);      /* no prefix is a valid file */
	static const unsigned char subst[] = { 0, '"', '{', '}', '[', ']', ',', ':', '9', '-', 0xff };
	for (size_t i = 0; i < 8 + strlen(hdr); i++)
		for (size_t s = 0; s < sizeof subst; s++) {
			unsigned char bad[512];
			memcpy(bad, whole, len);
			bad[i] = subst[s];
			CU_ASSERT_TRUE_FATAL(write_bytes(q, bad, len));
			const char *d;
			WeightFile *wf = load(q, &d);
			/* either loaded cleanly or refused with exactly one error */
			CU_ASSERT_TRUE(wf ? *d == 0 && diag_error_count() == 0
					  : diag_error_count() == 1 && strstr(d, q) != NULL);
		}
}

void register_weights_suite(void)
{
	CU_pSuite s = CU_add_suite("weights", NULL, NULL);
	if (!s)
		unit_register_failed("suite weights");
	ADD_TEST(s, test_f32_values_and_shapes);
	ADD_TEST(s, test_tensors_in_any_order_and_touching);
	ADD_TEST(s, test_scalar_and_empty_tensors);
	ADD_TEST(s, test_f16_converted_exactly);
	ADD_TEST(s, test_bf16_converted_exactly);
	ADD_TEST(s, test_f64_rounded_to_f32);
	ADD_TEST(s, test_header_padding_accepted);
	ADD_TEST(s, test_header_length_past_eof);
	ADD_TEST(s, test_json_not_an_object);
	ADD_TEST(s, test_invalid_json);
	ADD_TEST(s, test_trailing_comma_is_invalid_json);
	ADD_TEST(s, test_trailing_bytes_after_json);
	ADD_TEST(s, test_data_offsets_past_end);
	ADD_TEST(s, test_data_offsets_not_a_range);
	ADD_TEST(s, test_overlapping_tensors);
	ADD_TEST(s, test_overlap_across_an_empty_tensor);
	ADD_TEST(s, test_dtype_shape_byte_count_mismatch);
	ADD_TEST(s, test_unsupported_dtype);
	ADD_TEST(s, test_bad_shapes);
	ADD_TEST(s, test_entry_missing_a_field);
	ADD_TEST(s, test_empty_file);
	ADD_TEST(s, test_file_shorter_than_8_bytes);
	ADD_TEST(s, test_missing_file);
	ADD_TEST(s, test_truncations_and_corruptions_never_crash);
}
