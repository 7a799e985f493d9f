/* main.c — runs the CUnit suites of tests/unit/ (from the repo root:
 * the lower suite reads models/mixed.ltd). Exit status 0 only if every
 * test passed. */
#include <CUnit/Basic.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"

/* ---- diagnostics capture ---- */

static FILE *cap_f;
static char *cap_buf;
static size_t cap_len;

void cap_begin(void)
{
	if (cap_f)
		fclose(cap_f);
	free(cap_buf);
	cap_buf = NULL;
	cap_len = 0;
	cap_f = open_memstream(&cap_buf, &cap_len);
	if (!cap_f) {
		perror("open_memstream");
		exit(2);
	}
	diag_set_stream(cap_f);
	diag_reset();
}

const char *cap_end(void)
{
	diag_set_stream(NULL);
	if (cap_f) {
		fclose(cap_f);
		cap_f = NULL;
	}
	return cap_buf ? cap_buf : "";
}

bool has_text(const char *text, const char *want)
{
	if (text && strstr(text, want))
		return true;
	fprintf(stderr, "\n--- expected to find:\n%s\n--- in:\n%s---\n", want, text ? text : "(null)\n");
	return false;
}

bool same_text(const char *got, const char *want)
{
	if (got && !strcmp(got, want))
		return true;
	fprintf(stderr, "\n--- expected:\n%s--- got:\n%s---\n", want, got ? got : "(null)\n");
	return false;
}

/* ---- temporary files ---- */

static char tmp_dir[64];
static char *tmp_files[256];
static int ntmp;

static void rm_tmp(void)
{
	for (int i = 0; i < ntmp; i++) {
		remove(tmp_files[i]);
		free(tmp_files[i]);
	}
	if (tmp_dir[0])
		rmdir(tmp_dir);
}

const char *tmp_path(const char *name)
{
	if (!tmp_dir[0]) {
		strcpy(tmp_dir, "/tmp/ltcc-unit-XXXXXX");
		if (!mkdtemp(tmp_dir)) {
			perror("mkdtemp");
			exit(2);
		}
		atexit(rm_tmp);
	}
	/* malloc, not the arena: rm_tmp runs after arena_free_all */
	char *p = malloc(strlen(tmp_dir) + strlen(name) + 2);
	if (!p || ntmp == (int)(sizeof tmp_files / sizeof tmp_files[0])) {
		fprintf(stderr, "tmp_path: out of slots\n");
		exit(2);
	}
	sprintf(p, "%s/%s", tmp_dir, name);
	for (int i = 0; i < ntmp; i++)
		if (!strcmp(tmp_files[i], p)) {
			free(p);
			return tmp_files[i];
		}
	return tmp_files[ntmp++] = p;
}

bool write_bytes(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(data, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

void unit_register_failed(const char *what)
{
	fprintf(stderr, "cannot register %s: %s\n", what, CU_get_error_msg());
	exit(2);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
		return 2;
	}
	register_parse_suite();
	register_check_suite();
	register_weights_suite();
	register_lower_suite();
	register_files_suite();
	register_kernels_suite();
	register_space_suite();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures();
	unsigned run = CU_get_number_of_tests_run();
	unsigned tfailed = CU_get_number_of_tests_failed();
	unsigned sfailed = CU_get_number_of_suites_failed();   /* setup failed */
	CU_cleanup_registry();
	cap_end();
	free(cap_buf);
	arena_free_all();
	printf("\nunit tests: %u run, %u failed (%u failed assertions), %u suites not set up\n",
	       run, tfailed, failed, sfailed);
	return failed || tfailed || sfailed ? 1 : 0;
}
