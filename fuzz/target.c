/* target.c — libFuzzer harness for the target-description loader:
 * tgt_parse (libxml2 read, RelaxNG validation, field checks).
 * Input: the XML text. A loaded target's fields must hold what the
 * loader promises, since they reach the generated C file. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_begin();
	char *buf = fz_cstring(data, size);  /* tgt_parse wants buf[len] == 0 */
	Target *t = tgt_parse(buf, size, "fuzz.xml");
	free(buf);
	if ((t != NULL) != (diag_error_count() == 0))
		die("tgt_parse returned %s after %d errors", t ? "a target" : "NULL", diag_error_count());
	if (t) {
		if (!t->name[0] || strspn(t->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(t->name))
			die("target name '%s' passed the checks", t->name);
		if (strpbrk(t->cflags, "\"\\*\n;&|`$"))
			die("target cflags '%s' passed the checks", t->cflags);
		if (!tmpl_family(t->family))
			die("unknown family '%s' passed the checks", t->family);
		/* what emit and report do with it: the header comment lines */
		fprintf(fz_devnull, "%s %s\n", emit_comment_text(t->name), emit_comment_text(t->description));
	}
	fz_end();
	return 0;
}
