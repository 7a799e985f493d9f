/* target.c — target descriptions: XML read with libxml2 and validated
 * against targets/target.rng before use.
 *
 * The shipped targets and the schema are compiled into ltcc (so `-t NAME`
 * needs no search path); `--target-file FILE` reads a user's own. Parsing
 * never touches the network, never loads a DTD and never substitutes
 * entities; a document with a DOCTYPE at all is refused, which shuts out
 * external entities and entity-expansion bombs with one clear error. */
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <stdlib.h>
#include <string.h>
#include "ltcc.h"

/* the first libxml2 error, for our own diagnostic */
static char xml_msg[512];
static int xml_line;

static void on_xml_error(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (xml_msg[0] || !e)
		return;
	snprintf(xml_msg, sizeof xml_msg, "%s", e->message ? e->message : "malformed XML");
	size_t n = strlen(xml_msg);
	while (n && (xml_msg[n - 1] == '\n' || xml_msg[n - 1] == ' '))
		xml_msg[--n] = 0;
	xml_line = e->line;
}

static void fail(const char *name, int line, const char *fmt, const char *arg)
{
	char msg[600];
	snprintf(msg, sizeof msg, fmt, arg);
	if (line > 0)
		diag_plain_error("%s:%d: %s", name, line, msg);
	else
		diag_plain_error("%s: %s", name, msg);
}

static const char *attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	if (!v)
		return "";
	char *s = arena_strdup((const char *)v);
	xmlFree(v);
	return s;
}

static const char *text(xmlNodePtr n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s = arena_strdup(v ? (const char *)v : "");
	xmlFree(v);
	/* trim */
	while (*s == ' ' || *s == '\n' || *s == '\t')
		s++;
	for (size_t k = strlen(s); k && (s[k - 1] == ' ' || s[k - 1] == '\n' || s[k - 1] == '\t');)
		s[--k] = 0;
	return s;
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

/* Every byte of s in the set; the fields that reach the generated file
 * are held to these, on top of being escaped there. */
static bool only(const char *s, const char *set)
{
	return *s && strspn(s, set) == strlen(s);
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

static bool yes(xmlNodePtr n, const char *a) { return !strcmp(attr(n, a), "yes"); }

/* The built-in schema, compiled on first use and kept until tgt_cleanup:
 * --list-targets and the fuzzer validate many documents. */
static xmlRelaxNGParserCtxtPtr schema_pc;
static xmlRelaxNGPtr schema;

static bool validate(xmlDocPtr doc, const char *name)
{
	if (!schema) {
		schema_pc = xmlRelaxNGNewMemParserCtxt(tmpl_target_schema, (int)strlen(tmpl_target_schema));
		schema = schema_pc ? xmlRelaxNGParse(schema_pc) : NULL;
		if (!schema)
			die("the built-in target schema does not parse");
	}
	xmlRelaxNGValidCtxtPtr vc = xmlRelaxNGNewValidCtxt(schema);
	xml_msg[0] = 0;
	xmlRelaxNGSetValidStructuredErrors(vc, on_xml_error, NULL);
	int rc = xmlRelaxNGValidateDoc(vc, doc);
	xmlRelaxNGFreeValidCtxt(vc);
	if (rc != 0)
		fail(name, xml_line, "not a valid target description: %s", xml_msg[0] ? xml_msg : "schema validation failed");
	return rc == 0;
}

/* The ISA a kernel family's templates are written for: NULL if the <isa>
 * has it, else the complaint (a format taking the family). */
static const char *family_needs(const Target *t)
{
	if (!strcmp(t->family, "avx2") && !(t->avx2 && t->fma))
		return "kernel family '%s' needs avx2=\"yes\" and fma=\"yes\" in <isa>";
	if (!strcmp(t->family, "mve") && !(t->mve && t->fpu))
		return "kernel family '%s' needs mve=\"yes\" and fpu=\"yes\" in <isa>";
	if (!strcmp(t->family, "scalar") && !t->fpu)
		return "kernel family '%s' needs fpu=\"yes\" in <isa>";
	return NULL;
}

/* <cost>'s children: each <kernel name= in= call= mac= work=/> prices a
 * kernel (cost.c) in one program (in="encode" or "step") or, without in=,
 * in both; <glue in= call= run=/> what runs between calls. The schema has
 * checked the numbers; an unknown kernel, or one priced twice in a
 * program, is refused. */
static bool read_prices(Target *t, xmlNodePtr cost, const char *name)
{
	int glued[2] = { 0, 0 };
	for (xmlNodePtr c = cost->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		const char *in = attr(c, "in");
		int p0 = !strcmp(in, "step"), p1 = strcmp(in, "encode") ? 1 : 0;
		if (!strcmp((const char *)c->name, "glue")) {
			for (int p = p0; p <= p1; p++) {
				if (glued[p]++) {
					fail(name, xmlGetLineNo(c), "%s", "<glue> given twice for a program");
					return false;
				}
				t->glue_call[p] = strtod(attr(c, "call"), NULL);
				t->glue_run[p] = strtod(attr(c, "run"), NULL);
			}
			continue;
		}
		const char *k = attr(c, "name");
		int id = 0;
		while (id < K_COUNT && strcmp(kern_name[id] + 2, k))
			id++;
		for (int p = p0; p <= p1; p++) {
			if (id == K_COUNT || t->kcost[p][id].priced) {
				fail(name, xmlGetLineNo(c), id == K_COUNT ? "<kernel name=\"%s\">: no such kernel"
									  : "<kernel name=\"%s\"> priced twice", k);
				return false;
			}
			t->kcost[p][id] = (KCost){ true, strtod(attr(c, "call"), NULL), strtod(attr(c, "mac"), NULL),
						   strtod(attr(c, "work"), NULL) };
			t->priced++;
		}
	}
	return true;
}

static Target *from_doc(xmlDocPtr doc, const char *name)
{
	if (doc->intSubset || doc->extSubset) {
		fail(name, 0, "%s", "DOCTYPE and entity declarations are not allowed in target descriptions");
		return NULL;
	}
	if (!validate(doc, name))
		return NULL;
	xmlNodePtr r = xmlDocGetRootElement(doc), isa = child(r, "isa"), mem = child(r, "memory");
	xmlNodePtr k = child(r, "kernels"), cost = child(r, "cost");
	Target *t = arena_alloc(sizeof *t);
	t->file = arena_strdup(name);
	t->name = attr(r, "name");
	t->description = text(child(r, "description"));
	t->arch = attr(isa, "arch");
	t->fpu = yes(isa, "fpu");
	t->fma = yes(isa, "fma");
	t->mve = yes(isa, "mve");
	t->avx2 = yes(isa, "avx2");
	t->align = atoi(attr(mem, "align"));
	t->flash = strtoll(attr(mem, "flash"), NULL, 10);
	t->ram = strtoll(attr(mem, "ram"), NULL, 10);
	t->cflags = text(child(r, "cflags"));
	t->family = attr(k, "family");
	t->panels = yes(k, "panels");
	t->clock_mhz = atoi(attr(cost, "clock-mhz"));
	t->macs_per_cycle = strtod(attr(cost, "macs-per-cycle"), NULL);
	if (!read_prices(t, cost, name))
		return NULL;
	if (!only(t->name, ALNUM "_.-")) {
		fail(name, xmlGetLineNo(r), "target name '%s' may hold only letters, digits, '_', '.' and '-'", t->name);
		return NULL;
	}
	if (*t->cflags && !only(t->cflags, ALNUM " _=,.+-/:")) {
		fail(name, xmlGetLineNo(child(r, "cflags")),
		     "cflags '%s' may hold only letters, digits, spaces and _ = , . + - / :", t->cflags);
		return NULL;
	}
	if (!tmpl_family(t->family)) {
		fail(name, xmlGetLineNo(k), "unknown kernel family '%s' (generic, scalar, avx2 or mve)", t->family);
		return NULL;
	}
	const char *needs = family_needs(t);
	if (needs) {
		fail(name, xmlGetLineNo(isa), needs, t->family);
		return NULL;
	}
	return t;
}

/* XML_PARSE_NONET: no network; no XML_PARSE_NOENT / DTDLOAD / DTDATTR: no
 * entity substitution and no external DTD. */
#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

Target *tgt_parse(const char *buf, size_t len, const char *name)
{
	if (len > TARGET_MAX_BYTES || strlen(buf) != len) {
		fail(name, 0, "%s", len > TARGET_MAX_BYTES ? "target description too large" : "target description contains a NUL byte");
		return NULL;
	}
	/* refuse a DTD before libxml2 reads a byte of it */
	if (strstr(buf, "<!DOCTYPE")) {
		int line = 1;
		for (const char *p = buf; p < strstr(buf, "<!DOCTYPE"); p++)
			line += *p == '\n';
		fail(name, line, "%s", "DOCTYPE and entity declarations are not allowed in target descriptions");
		return NULL;
	}
	xml_msg[0] = 0;
	xml_line = 0;
	xmlSetStructuredErrorFunc(NULL, on_xml_error);
	xmlDocPtr doc = xmlReadMemory(buf, (int)len, name, NULL, XML_OPTS);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (!doc) {
		fail(name, xml_line, "malformed XML: %s", xml_msg[0] ? xml_msg : "cannot parse");
		return NULL;
	}
	Target *t = from_doc(doc, name);
	xmlFreeDoc(doc);
	return t;
}

const char *tmpl_family(const char *family)
{
	for (int i = 0; tmpl_kernels[i].name; i++)
		if (!strcmp(tmpl_kernels[i].name, family))
			return tmpl_kernels[i].text;
	return NULL;
}

Target *tgt_load_file(const char *path)
{
	size_t len;
	char *buf = file_read(path, "target description", TARGET_MAX_BYTES, &len);
	if (!buf)
		return NULL;
	Target *t = tgt_parse(buf, len, path);
	free(buf);
	return t;
}

Target *tgt_find(const char *name)
{
	for (int i = 0; tmpl_targets[i].name; i++)
		if (!strcmp(tmpl_targets[i].name, name))
			return tgt_parse(tmpl_targets[i].xml, strlen(tmpl_targets[i].xml),
				     arena_printf("targets/%s.xml", name));
	return NULL;
}

const char *tgt_suggest(const char *name)
{
	const char *names[64];
	int n = 0;
	for (int i = 0; tmpl_targets[i].name && n < 64; i++)
		names[n++] = tmpl_targets[i].name;
	return diag_nearest(name, names, n);
}

void tgt_list(FILE *f)
{
	for (int i = 0; tmpl_targets[i].name; i++) {
		Target *t = tgt_find(tmpl_targets[i].name);
		if (!t)
			continue;
		char mem[64] = "no memory limit";
		if (t->flash || t->ram)
			snprintf(mem, sizeof mem, "flash %lld KiB, RAM %lld KiB", (long long)t->flash / 1024,
				 (long long)t->ram / 1024);
		fprintf(f, "%-12s %-14s %-20s %s\n", t->name, t->arch, mem, t->description);
	}
}

void tgt_cleanup(void)
{
	xmlRelaxNGFree(schema);
	xmlRelaxNGFreeParserCtxt(schema_pc);
	schema = NULL;
	schema_pc = NULL;
	xmlCleanupParser();
}
