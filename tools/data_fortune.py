#!/usr/bin/python3
"""Entries of Debian's fortunes corpus, normalised, and the fixed character
vocabulary of the fortune LM.

usage: data_fortune.py            (prints a summary)

Source: Debian package fortunes, every text file in /usr/share/games/fortunes
(the *.dat index files and the *.u8 symlinks are skipped), read in sorted
file-name order as UTF-8.  Entries are separated by lines holding only "%".

Normalisation of an entry, in this order:
  * overstrike: "X<BS>Y" prints Y over X, so X and the backspace go;
  * control characters other than tab and newline are dropped;
  * trailing whitespace of every line and leading/trailing blank lines go.
Empty entries are dropped.  Characters outside the vocabulary (non-ASCII)
map to unk.

Vocabulary (fairseq convention): bos 0, pad 1, eos 2, unk 3, then tab as 4,
newline as 5 and the printable ASCII characters ' '..'~' as 6..100: 101 ids.
"""
import glob
import os
import sys

DIR = "/usr/share/games/fortunes"
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
BOS, PAD, EOS, UNK = 0, 1, 2, 3
ALPHABET = "\t\n" + "".join(chr(c) for c in range(32, 127))
CHAR_ID = {ch: i + len(SPECIALS) for i, ch in enumerate(ALPHABET)}
VOCAB = len(SPECIALS) + len(ALPHABET)


def files():
    out = []
    for p in sorted(glob.glob(os.path.join(DIR, "*"))):
        if p.endswith((".dat", ".u8")) or os.path.islink(p) or not os.path.isfile(p):
            continue
        out.append(p)
    return out


def normalise(text):
    chars = []
    for ch in text:
        if ch == "\b":
            if chars and chars[-1] != "\n":
                chars.pop()
            continue
        chars.append(ch)
    lines = []
    for line in "".join(chars).split("\n"):
        line = "".join(c for c in line if (c >= " " or c == "\t") and c != "\x7f")
        lines.append(line.rstrip())
    return "\n".join(lines).strip("\n")


def load_entries():
    """[(file name, index in file, text)] in file order."""
    out = []
    for p in files():
        with open(p, encoding="utf-8", errors="replace") as f:
            raw = f.read()
        entry, k = [], 0
        for line in raw.split("\n") + ["%"]:
            if line == "%":
                text = normalise("\n".join(entry))
                if text:
                    out.append((os.path.basename(p), k, text))
                    k += 1
                entry = []
            else:
                entry.append(line)
    return out


def encode(text):
    return [CHAR_ID.get(ch, UNK) for ch in text]


def decode(ids):
    return "".join(ALPHABET[i - len(SPECIALS)] if i >= len(SPECIALS) else "" for i in ids)


def main():
    entries = load_entries()
    n_chars = sum(len(t) for _, _, t in entries)
    n_unk = sum(1 for _, _, t in entries for ch in t if ch not in CHAR_ID)
    print("%d files, %d entries, %d characters (%d outside the vocabulary)" % (
        len(files()), len(entries), n_chars, n_unk))


if __name__ == "__main__":
    main()
    sys.exit(0)
