/* ltd.c — libFuzzer harness for the .ltd front end: lexer, parser and
 * checker (src_from_string -> ast_parse -> check_model).
 * Input: the text of a model description. Like src_read, an input with a
 * NUL byte is refused with a diagnostic before the lexer sees it. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_begin();
	char *text = fz_cstring(data, size);
	SrcFile *src = src_from_string("fuzz.ltd", text);
	free(text);
	Node *root = NULL;
	if (strlen(src->text) != size) {
		diag_error((Loc){ src, 0, 0 }, "file contains a NUL byte");
	} else if (ast_parse(src, &root)) {
		Model *m = check_model(root, "fuzz.ltd");
		/* a model is returned exactly when no error was reported */
		if ((m != NULL) != (diag_error_count() == 0))
			die("check_model returned %s after %d errors", m ? "a model" : "NULL", diag_error_count());
	} else if (diag_error_count() == 0) {
		die("ast_parse failed without an error");
	}
	fz_end();
	return 0;
}
