/* demo.c — `make demo`: the two trained models, compiled by ltcc and
 * linked into one program through their default prefixes (dedict_,
 * fortune_), and dedict compressed (models/dedict_dc, pruned and weight-
 * shared by tools/ltcc-compress, prefix dedict_dc_):
 *   dedict:  German word -> English word, character by character (greedy),
 *            by the fp32 model and by the compressed one;
 *   fortune: continues a prompt with the character LM (greedy) to the end
 *            of the line.
 * Usage: demo [-p PROMPT] [WORD...]     (default: haus wasser katze buch,
 *                                       prompt "The ")
 *        demo --vocab                   (the vocabularies, as
 *                                       regress/real/ref.py vocab prints them)
 * The character tables below must match models/{dedict,fortune}.vocab.json;
 * regress/real/run.sh checks that they do. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "dedict.h"
#include "dedict_dc.h"
#include "fortune.h"

/* dedict source letters as UTF-8, ids 4.. ; target letters "a".."z", ids 4.. */
static const char *const SRC[] = {
	"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
	"p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
	"\xc3\xa4", "\xc3\xb6", "\xc3\xbc", "\xc3\x9f", /* ä ö ü ß */
};
#define NSRC ((int)(sizeof SRC / sizeof SRC[0]))
static const char TGT[] = "abcdefghijklmnopqrstuvwxyz";
/* fortune: tab 4, newline 5, ' '..'~' 6..100 */
#define LM_FIRST 4

static int lm_id(int c)
{
	if (c == '\t')
		return LM_FIRST;
	if (c == '\n')
		return LM_FIRST + 1;
	if (c >= ' ' && c <= '~')
		return LM_FIRST + 2 + (c - ' ');
	return FORTUNE_UNK;
}

static int lm_char(int id)
{
	if (id == LM_FIRST)
		return '\t';
	if (id == LM_FIRST + 1)
		return '\n';
	if (id >= LM_FIRST + 2 && id < FORTUNE_VOCAB)
		return ' ' + id - LM_FIRST - 2;
	return '?';
}

/* UTF-8 word -> source ids + eos; upper-case letters (also Ä Ö Ü) fold to
 * lower case; anything else is unk. Returns the length or -1 if too long. */
static int encode_word(const char *w, int32_t *ids, int max)
{
	int n = 0;
	while (*w) {
		char low[3] = { (char)tolower((unsigned char)w[0]), 0, 0 };
		int id = DEDICT_UNK, len = 1;
		if ((unsigned char)w[0] == 0xc3 && w[1]) {  /* Ä Ö Ü -> ä ö ü */
			unsigned char c = (unsigned char)w[1];
			low[0] = w[0];
			low[1] = (char)(c == 0x84 || c == 0x96 || c == 0x9c ? c + 0x20 : c);
			len = 2;
		}
		for (int i = 0; i < NSRC; i++)
			if (!strcmp(SRC[i], low))
				id = 4 + i;
		if (n + 1 >= max)
			return -1;
		ids[n++] = id;
		w += len;
	}
	ids[n++] = DEDICT_EOS;
	return n;
}

static void print_vocab(void)
{
	printf("src");
	for (int i = 0; i < NSRC; i++)
		printf(" %d:%s", 4 + i, SRC[i]);
	printf("\ntgt");
	for (int i = 0; TGT[i]; i++)
		printf(" %d:%c", 4 + i, TGT[i]);
	printf("\nlm");
	for (int id = LM_FIRST; id < FORTUNE_VOCAB; id++)
		printf(" %d:%d", id, lm_char(id));
	printf("\n");
}

/* the word left-aligned in 16 columns: count characters, not UTF-8 bytes */
static void print_word(const char *w)
{
	int cols = 0;
	for (const char *p = w; *p; p++)
		cols += ((unsigned char)*p & 0xc0) != 0x80;
	printf("  %s%*s", w, cols < 16 ? 16 - cols : 0, "");
}

/* the English letters of k output ids, padded to `cols` columns */
static void print_ids(const int32_t *out, int k, int cols)
{
	for (int i = 0; i < k; i++)
		putchar(out[i] >= 4 && out[i] < 4 + (int)strlen(TGT) ? TGT[out[i] - 4] : '?');
	printf("%*s", k < cols ? cols - k : 0, "");
}

static int translate(const char *word)
{
	int32_t src[DEDICT_MAX_SOURCE], out[DEDICT_MAX_TARGET], cz[DEDICT_DC_MAX_TARGET];
	int n = encode_word(word, src, DEDICT_MAX_SOURCE);
	print_word(word);
	if (n < 0) {
		printf(" (longer than %d letters)\n", DEDICT_MAX_SOURCE - 1);
		return 0;
	}
	int k = dedict_greedy(src, n, out, 20), kc = dedict_dc_greedy(src, n, cz, 20);
	if (k < 0 || kc < 0) {
		printf(" greedy decoding failed: %d, compressed %d\n", k, kc);
		return 1;
	}
	printf(" ->  ");
	print_ids(out, k, 16);
	printf("  compressed ->  ");
	print_ids(cz, kc, 0);
	putchar('\n');
	return 0;
}

static int generate(const char *prompt)
{
	static float logits[FORTUNE_VOCAB];
	int32_t tok = FORTUNE_EOS;
	int pos = 0, rc;
	fortune_reset();
	printf("  prompt \"%s\" ->  \"%s", prompt, prompt);
	/* feed eos, then the prompt; the logits after the last one predict on */
	if ((rc = fortune_decode_step(tok, logits)))
		return printf("\" fortune_decode_step failed: %d\n", rc), 1;
	for (const char *p = prompt; *p && pos + 1 < FORTUNE_MAX_TARGET; p++, pos++)
		if ((rc = fortune_decode_step(lm_id((unsigned char)*p), logits)))
			return printf("\" fortune_decode_step failed: %d\n", rc), 1;
	int made = 0;
	for (; pos + 1 < FORTUNE_MAX_TARGET && made < 100; pos++) {
		tok = 0;
		for (int v = 1; v < FORTUNE_VOCAB; v++)  /* greedy, first index on ties */
			if (logits[v] > logits[tok])
				tok = v;
		if (tok == FORTUNE_EOS || lm_char(tok) == '\n')
			break;
		putchar(lm_char(tok));
		made++;
		if ((rc = fortune_decode_step(tok, logits)))
			return printf("\" fortune_decode_step failed: %d\n", rc), 1;
	}
	printf("\"\n    (%d characters generated, stopped at %s)\n", made,
	       tok == FORTUNE_EOS ? "end of entry" : made >= 100 ? "100 characters"
	       : pos + 1 >= FORTUNE_MAX_TARGET ? "the model's maximum length" : "the end of the line");
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const dflt[] = { "haus", "wasser", "katze", "buch" };
	const char *prompt = "The ";
	int first = 1, bad = 0;
	if (argc == 2 && !strcmp(argv[1], "--vocab")) {
		print_vocab();
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "-p")) {
		prompt = argv[2];
		first = 3;
	}
	printf("dedict: German -> English, character level. D=%d, weights %d bytes, arena %d + state %d bytes\n",
	       DEDICT_DIM, DEDICT_WEIGHT_BYTES, DEDICT_ARENA_BYTES, DEDICT_STATE_BYTES);
	printf("dedict compressed (pruned, 4-bit shared weights): weights %d bytes, %.1fx smaller\n",
	       DEDICT_DC_WEIGHT_BYTES, (double)DEDICT_WEIGHT_BYTES / DEDICT_DC_WEIGHT_BYTES);
	if (first < argc)
		for (int i = first; i < argc; i++)
			bad |= translate(argv[i]);
	else
		for (int i = 0; i < 4; i++)
			bad |= translate(dflt[i]);
	printf("fortune: character LM. D=%d, weights %d bytes, arena %d + state %d bytes\n",
	       FORTUNE_DIM, FORTUNE_WEIGHT_BYTES, FORTUNE_ARENA_BYTES, FORTUNE_STATE_BYTES);
	bad |= generate(prompt);
	return bad;
}
