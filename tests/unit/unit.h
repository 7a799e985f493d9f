/* unit.h — shared by the CUnit suites in tests/unit/.
 *
 * Each suite file defines one register function, called by main.c.
 * Diagnostics are captured into memory (diag_set_stream) so a test can
 * assert on the exact text; cap_begin() also resets the error count. */
#ifndef UNIT_H
#define UNIT_H

#include <CUnit/CUnit.h>
#include <stdbool.h>
#include "ltcc.h"

void register_parse_suite(void);
void register_check_suite(void);
void register_weights_suite(void);
void register_lower_suite(void);
void register_files_suite(void);
void register_kernels_suite(void);
void register_space_suite(void);

/* Start capturing diagnostics (and diag_reset()); cap_end() stops and
 * returns everything printed since, valid until the next cap_begin(). */
void cap_begin(void);
const char *cap_end(void);

/* `text` contains `want`; on failure both are printed, to help the reader. */
bool has_text(const char *text, const char *want);

/* got == want; on failure both are printed. */
bool same_text(const char *got, const char *want);
#define ASSERT_TEXT(got, want) CU_ASSERT_TRUE(same_text(got, want))

/* A fresh temporary directory for the run (made on first use, removed at
 * exit with its files) and a path inside it. */
const char *tmp_path(const char *name);

/* Write `n` bytes to `path`; false on failure. */
bool write_bytes(const char *path, const void *data, size_t n);

/* Add a test, failing the registration loudly if CUnit refuses. */
#define ADD_TEST(suite, fn) \
	do { if (!CU_add_test(suite, #fn, fn)) unit_register_failed(#fn); } while (0)
void unit_register_failed(const char *what);

#endif
