#!/usr/bin/python3
"""PyTorch side of the trained-model regression (regress/real/run.sh).

usage: ref.py [--quantize w8|int8] dedict  WEIGHTS OUT [N]   (first N held-out words, default 500)
       ref.py [--quantize w8|int8] fortune WEIGHTS OUT [N]   (first N held-out entries, default 200)
       ref.py vocab   NAME              (prints the vocabulary, one id a line)

The model is tools/reference.py's (the independent PyTorch reference), built
from the config stored in the weights file's metadata and loaded strictly.
With --quantize w8 its weights go through tools/reference.py's w8 rule
first, as ltcc --quantize w8 stores them; with --quantize int8 the model is
tools/reference.py's quantize_int8 (W8A8: those weights, and every matmul by
them quantizes its input rows and sums in integers, as ltcc --quantize int8
computes).  No trace settles near-tie roundings here (reference.py's
--ties), so the compiled int8 model may round an activation that lies
within float noise of a .5 one step apart from this one; run.sh allows for
that (see its int8 tolerances).
The held-out set is rebuilt from the Debian data packages with the training
scripts' split, and its hash must equal the one recorded at training time.

dedict OUT: a line "dedict N G", then one line per word:
    n s1..sn  k r1..rk  m g1..gm
  source ids (letters + eos), the dictionary's English ids, and the
  reference's greedy output (tools/reference.py greedy rules: from eos, at
  most G decisions, stop at eos, eos not output).
fortune OUT: a line "fortune W ENTRIES", then one line per window:
    n x1..xn y1..yn
  (train_lm.py's windows: reset, positions from 0), then "bits B P": the
  reference's total -log2 p over all P predictions, printed with %.10f.
Prints the reference's metrics on stdout.
"""
import json
import math
import os
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import reference  # noqa: E402
import st  # noqa: E402


QUANTIZE = None  # "w8" or "int8": as ltcc --quantize w8 / int8 computes


def load(weights):
    _, meta = st.load(weights, with_metadata=True)
    cfg = json.loads(meta["config"])
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)
    try:
        _, model = reference.load_model(f.name, weights)
    finally:
        os.unlink(f.name)
    if QUANTIZE == "w8":
        reference.quantize_w8(model)
    elif QUANTIZE == "int8":
        reference.quantize_int8(model)
    return cfg, meta, model


def check_split(meta, got):
    if meta.get("heldout_sha") != got:
        sys.exit("ref.py: the held-out set differs from the one the model was trained with "
                 "(sha %s, weights say %s): another version of the data package?" % (got, meta.get("heldout_sha")))


def dedict(weights, out, n):
    import data_dedict
    import train_translit as tt
    cfg, meta, model = load(weights)
    _, held = tt.split_pairs(data_dedict.load_pairs())
    check_split(meta, tt.heldout_sha(held))
    held = held[:n]
    G = min(tt.GREEDY_MAX, cfg["max_target"] - 1)
    hyps = []
    with open(out, "w") as f:
        f.write("dedict %d %d\n" % (len(held), G))
        for de, en in held:
            src = tt.src_ids(de)
            gen, _ = reference.greedy_incremental(model, cfg, model.encode(src), [cfg["tokens"]["eos"]])
            ref = tt.tgt_ids(en)
            hyps.append(tt.tgt_text(gen))
            f.write(" ".join(str(v) for v in [len(src)] + src + [len(ref)] + ref + [len(gen)] + gen) + "\n")
    ex, cer = tt.score(hyps, [e for _, e in held])
    print("pytorch dedict: %d words, exact %.4f, CER %.4f" % (len(held), ex, cer))


def fortune(weights, out, n):
    import data_fortune as dfo
    import train_lm as tl
    cfg, meta, model = load(weights)
    _, held = tl.split_entries(dfo.load_entries())
    check_split(meta, tl.heldout_sha(held))
    held = held[:n]
    wins = [w for _, _, t in held for w in tl.windows(t, cfg["max_target"])]
    total, preds = 0.0, 0
    enc = model.encode([])
    with open(out, "w") as f:
        f.write("fortune %d %d\n" % (len(wins), len(held)))
        for x, y in wins:
            lp = torch.log_softmax(model.decode(x, enc).double(), dim=-1)
            total += -float(lp[torch.arange(len(y)), torch.tensor(y)].sum()) / math.log(2)
            preds += len(y)
            f.write(" ".join(str(v) for v in [len(x)] + x + y) + "\n")
        f.write("bits %.10f %d\n" % (total, preds))
    print("pytorch fortune: %d entries, %d windows, %d predictions, %.6f bits/char" % (
        len(held), len(wins), preds, total / preds))


def vocab(name):
    if name == "dedict":
        import train_translit as tt
        print("src " + " ".join("%d:%s" % (i + 4, c) for i, c in enumerate(tt.SRC_ALPHABET)))
        print("tgt " + " ".join("%d:%s" % (i + 4, c) for i, c in enumerate(tt.TGT_ALPHABET)))
    else:
        import data_fortune as dfo
        print("lm " + " ".join("%d:%d" % (i + 4, ord(c)) for i, c in enumerate(dfo.ALPHABET)))


def main(argv):
    global QUANTIZE
    if len(argv) > 2 and argv[1] == "--quantize" and argv[2] in ("w8", "int8"):
        QUANTIZE, argv = argv[2], argv[:1] + argv[3:]
    torch.set_num_threads(1)
    with torch.no_grad():
        if len(argv) == 3 and argv[1] == "vocab":
            vocab(argv[2])
        elif len(argv) in (4, 5) and argv[1] in ("dedict", "fortune"):
            n = int(argv[4]) if len(argv) == 5 else (500 if argv[1] == "dedict" else 200)
            (dedict if argv[1] == "dedict" else fortune)(argv[2], argv[3], n)
        else:
            sys.exit(__doc__.strip().split("\n\n")[1])


if __name__ == "__main__":
    main(sys.argv)
