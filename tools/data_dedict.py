#!/usr/bin/python3
"""German->English word pairs from FreeDict's deu-eng dictionary (dictd format).

usage: data_dedict.py [OUT.tsv]      (prints a summary; writes all pairs as TSV)

Source: Debian package dict-freedict-deu-eng, /usr/share/dictd/
freedict-deu-eng.{index,dict.dz}.  The index has one line per (headword,
entry): "headword TAB offset TAB length", offset and length in dictd's
base64 (A-Za-z0-9+/, most significant digit first).  An entry's first line
is "Headword /IPA/ <grammar>", its second line the translations, separated
by ", ", each possibly with "[domain]" / "<n>" / "[formal]" tags around it.
Lines starting with 6 spaces and a quote are examples.

Pair rule (deterministic):
  * headword: the entry's first line up to " /" (or " <"), lowercased; it
    must be one word of German letters [a-zäöüß], 1..20 chars.
  * translation: the first comma-separated item of the second line with all
    [..], <..>, {..} and (..) groups removed, lowercased; it must be one
    word of [a-z], 1..20 chars.  A line starting with "see:" / "Synonym" is
    not a translation line.
  * a headword with several entries (senses) takes the first entry in file
    order that has example lines (a main sense: "Haus" -> house, not the
    "[adm.] establishment" entry before it); if none has examples, the first
    entry in the file.
  * pairs are unique per headword; the list is sorted by headword.
"""
import gzip
import re
import sys

INDEX = "/usr/share/dictd/freedict-deu-eng.index"
DICT = "/usr/share/dictd/freedict-deu-eng.dict.dz"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
MAXLEN = 20
DE_WORD = re.compile(r"^[a-zäöüß]{1,%d}$" % MAXLEN)
EN_WORD = re.compile(r"^[a-z]{1,%d}$" % MAXLEN)
TAGS = re.compile(r"\[[^\]]*\]|<[^>]*>|\{[^}]*\}|\([^)]*\)")


def b64num(s):
    n = 0
    for ch in s:
        n = n * 64 + B64.index(ch)
    return n


def first_translation(line):
    if line.lstrip().startswith(("see:", "Synonym", "Note:", '"')):
        return None
    # cut at the first comma that lies outside any bracket
    depth, cut = 0, len(line)
    for i, ch in enumerate(line):
        if ch in "[<{(":
            depth += 1
        elif ch in "]>})":
            depth -= 1
        elif ch == "," and depth == 0:
            cut = i
            break
    item = " ".join(TAGS.sub(" ", line[:cut]).split()).lower()
    return item if EN_WORD.match(item) else None


def load_pairs():
    data = gzip.open(DICT).read()
    best = {}  # headword -> (has examples, -offset, english)
    with open(INDEX, encoding="utf-8") as f:
        for row in f:
            parts = row.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            off, ln = b64num(parts[1]), b64num(parts[2])
            lines = data[off:off + ln].decode("utf-8", "replace").split("\n")
            if len(lines) < 2:
                continue
            head = re.split(r" /| <", lines[0], maxsplit=1)[0].strip().lower()
            if not DE_WORD.match(head):
                continue
            en = first_translation(lines[1])
            if en is None:
                continue
            examples = any(l.startswith('      "') for l in lines[2:])
            key = (examples, -off)
            if head not in best or key > best[head][:2]:
                best[head] = (examples, -off, en)
    return sorted((h, v[2]) for h, v in best.items())


def main(argv):
    pairs = load_pairs()
    if len(argv) > 1:
        with open(argv[1], "w", encoding="utf-8") as f:
            for de, en in pairs:
                f.write("%s\t%s\n" % (de, en))
    look = dict(pairs)
    print("%d pairs; e.g. %s" % (len(pairs), ", ".join(
        "%s->%s" % (w, look.get(w)) for w in ("haus", "wasser", "katze", "buch", "hund", "baum"))))


if __name__ == "__main__":
    main(sys.argv)
