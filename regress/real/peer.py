#!/usr/bin/python3
"""PyTorch's own int8, the peer that bounds ltcc --quantize int8's accuracy
cost in regress/real/run.sh.

usage: peer.py dedict  WEIGHTS FP32-FILE
       peer.py fortune WEIGHTS FP32-FILE

The model is tools/reference.py's fp32 model (regress/real/ref.py's load),
put through torch.ao.quantization.quantize_dynamic(model, {nn.Linear},
dtype=torch.qint8): every nn.Linear gets int8 weights (one scale per
tensor) and quantizes its input at run time (uint8, one scale and zero
point per call), on the quantized engine PyTorch picks by default (printed:
onednn on x86 with Debian's PyTorch 1.13).  Everything
else stays float32 -- embeddings, norms, the attention and conv arithmetic,
and also the output projection: the reference computes the logits with
reference.linear(y, w, None), i.e. F.linear on a Parameter, not an
nn.Linear, so quantize_dynamic leaves it in float32.  That is PyTorch's
behaviour on this model as written, and the figures here are what it gives;
ltcc --quantize int8 quantizes the output matmul too.

It runs on exactly the held-out items of FP32-FILE, the file that
"ref.py dedict|fortune WEIGHTS FP32-FILE N" (fp32, no --quantize) wrote,
and compares with the fp32 results recorded there:
  dedict:  greedy decoding of each word (tools/reference.py's rules, as
           ref.py), exact match and CER against the dictionary in token ids
           (as regress/real/translit.c counts them), and on how many words
           the greedy output equals fp32's.
  fortune: bits per character over the same windows (full-sequence causal
           forward, as ref.py), and the cost above the file's fp32 figure.
Prints one line, which run.sh parses.
"""
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref  # noqa: E402  (also puts tools/ on the path)
import reference  # noqa: E402


def load(weights):
    cfg, _, model = ref.load(weights)  # fp32: ref.QUANTIZE stays None
    qmodel = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    assert not any(isinstance(m, nn.Linear) for m in qmodel.modules()), "an nn.Linear left in float32"
    return cfg, qmodel


def dedict(weights, path):
    import train_translit as tt
    cfg, model = load(weights)
    with open(path) as f:
        tag, n, G = f.readline().split()
        assert tag == "dedict", "%s: not a ref.py dedict file" % path
        words = []
        for line in f:
            v = [int(t) for t in line.split()]
            ns = v[0]
            nr = v[1 + ns]
            ng = v[2 + ns + nr]
            words.append((v[1:1 + ns], v[2 + ns:2 + ns + nr], v[3 + ns + nr:3 + ns + nr + ng]))
    n, G = int(n), int(G)
    assert len(words) == n and G == min(tt.GREEDY_MAX, cfg["max_target"] - 1)
    same = exact = errs = chars = 0
    eos = cfg["tokens"]["eos"]
    for src, tgt, fp32 in words:
        gen, _ = reference.greedy_incremental(model, cfg, model.encode(src), [eos])
        same += gen == fp32
        exact += gen == tgt
        errs += tt.edit_distance(gen, tgt)
        chars += len(tgt)
    print("peer dedict: %d words, dynamic int8 (%s): exact %.4f CER %.4f, "
          "greedy identical to fp32 on %d/%d words (%.1f%%)" % (
              n, torch.backends.quantized.engine, exact / n, errs / chars, same, n, 100.0 * same / n))


def fortune(weights, path):
    cfg, model = load(weights)
    with open(path) as f:
        tag, nw, ne = f.readline().split()
        assert tag == "fortune", "%s: not a ref.py fortune file" % path
        lines = f.read().split("\n")
    wins = []
    for line in lines[:int(nw)]:
        v = [int(t) for t in line.split()]
        wins.append((v[1:1 + v[0]], v[1 + v[0]:]))
    tag, fp32_bits, fp32_preds = lines[int(nw)].split()
    assert tag == "bits", "%s: no bits line" % path
    total, preds = 0.0, 0
    enc = model.encode([])
    for x, y in wins:
        lp = torch.log_softmax(model.decode(x, enc).double(), dim=-1)
        total += -float(lp[torch.arange(len(y)), torch.tensor(y)].sum()) / math.log(2)
        preds += len(y)
    assert preds == int(fp32_preds)
    q, f = total / preds, float(fp32_bits) / preds
    print("peer fortune: %s entries, %d windows, %d predictions, dynamic int8 (%s): "
          "%.6f bits/char, fp32 %.6f, cost %+.6f" % (
              ne, len(wins), preds, torch.backends.quantized.engine, q, f, q - f))


def main(argv):
    torch.set_num_threads(1)
    with torch.no_grad():
        if len(argv) == 4 and argv[1] in ("dedict", "fortune"):
            (dedict if argv[1] == "dedict" else fortune)(argv[2], argv[3])
        else:
            sys.exit(__doc__.strip().split("\n\n")[1])


if __name__ == "__main__":
    main(sys.argv)
