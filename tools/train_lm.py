#!/usr/bin/python3
"""Train fortune: a small character language model (Lite Transformer,
decoder only, pre-norm, attention + dynamic conv with GLU) on Debian's
fortunes corpus, and write models/fortune.{ltd,safetensors} and
models/fortune.vocab.json.

usage: train_lm.py [--epochs N] [--out DIR] [--quick]
       train_lm.py --config NAME.json --seconds S [--out DIR]

--config trains another architecture on the same data: a configuration in
tools/reference.py's format, as `ltcc search` writes one for each model of
its front (NAME.json beside NAME.ltd), and writes DIR/NAME.safetensors for
that .ltd, the held-out bits/char in its metadata. --seconds gives every
such run the same budget: the cosine schedule is sized, after the first
20 steps, to the steps that fit in S seconds of training on one core.
--steps N gives them the same number of steps instead.

Data: tools/data_fortune.py (entries, normalisation, vocabulary).  Split by
entry: the entry list (file order) is shuffled with numpy
default_rng(SEED); the first HELDOUT entries are held out, the rest train.

Sequences and the metric (bits per character).  An entry of n characters
c1..cn is the input eos c1 .. cn and the target c1 .. cn eos: n + 1
predictions, the final eos (end of entry) counting as a character.  Input
and target are cut into windows of T = max_target positions: window k holds
positions kT .. kT+T-1, and each window is run from a fresh state, positions
from 0 (the model's reset), so a window's first input is eos for k = 0 and
the character before the window otherwise.  Bits per character on a set =
sum over all its predictions of -log2 p(target) / number of predictions.
Training uses the same windows.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
import data_fortune as dfo  # noqa: E402
import st  # noqa: E402
import train_translit as tt  # noqa: E402  (batched LSRA modules, .ltd writer)

SEED = 20240612
HELDOUT_FRAC = 0.05
EOS, PAD = dfo.EOS, dfo.PAD


def fortune_config():
    D, K = 128, [7, 15, 15, 15]
    lay = lambda k: {"plain": False, "branches": [tt.attn(64, 4), tt.conv("dynamic", 64, 4, k, True)]}  # noqa: E731
    return {
        "name": "fortune", "kind": "lm", "dim": D,
        "src_vocab": 0, "tgt_vocab": dfo.VOCAB, "max_source": 0, "max_target": 128,
        "tokens": tt.TOKENS, "embeddings": "separate", "output": "tied",
        "decoder": tt.stack("pre", True, 2 * D, [lay(k) for k in K]),
    }


def split_entries(entries):
    order = np.random.default_rng(SEED).permutation(len(entries))
    n_held = int(round(HELDOUT_FRAC * len(entries)))
    return [entries[i] for i in order[n_held:]], [entries[i] for i in order[:n_held]]


def heldout_sha(held):
    """Identifies the held-out set: file, index and text of every entry."""
    return tt.sha(["%s:%d:%s" % e for e in held])


def windows(text, T):
    """[(input ids, target ids)] of one entry, as the module docstring says."""
    ids = dfo.encode(text)
    x, y = [EOS] + ids, ids + [EOS]
    return [(x[k:k + T], y[k:k + T]) for k in range(0, len(x), T)]


def batches(wins, max_tokens, rng):
    return tt.length_batches([len(x) for x, _ in wins], max_tokens, rng)


def collate(wins, idx):
    T = max(len(wins[i][0]) for i in idx)
    x = torch.full((len(idx), T), PAD, dtype=torch.long)
    y = torch.full((len(idx), T), PAD, dtype=torch.long)
    for b, i in enumerate(idx):
        x[b, :len(wins[i][0])] = torch.tensor(wins[i][0])
        y[b, :len(wins[i][1])] = torch.tensor(wins[i][1])
    return x, y


@torch.no_grad()
def bits(model, wins, max_tokens=8192):
    """(total bits, predictions) over windows."""
    model.eval()
    tot, n = 0.0, 0
    for idx in batches(wins, max_tokens, np.random.default_rng(0)):
        x, y = collate(wins, idx)
        lp = torch.log_softmax(model(None, x).double(), dim=-1)
        nll = -lp.gather(-1, y.clamp(min=0)[..., None])[..., 0]
        mask = y.ne(PAD)
        tot += float(nll[mask].sum()) / math.log(2)
        n += int(mask.sum())
    return tot, n


@torch.no_grad()
def sample(model, prompt, n, T):
    """Greedy continuation of a prompt (the demo does the same in C)."""
    model.eval()
    seq = [EOS] + dfo.encode(prompt)
    out = []
    for _ in range(n):
        if len(seq) >= T:
            break
        tok = int(model(None, torch.tensor([seq]))[0, -1].argmax())
        if tok == EOS:
            break
        out.append(tok)
        seq.append(tok)
    return prompt + dfo.decode(out)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=4096)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(TOOLS), "models"))
    ap.add_argument("--quick", action="store_true", help="a few steps, for testing the script")
    ap.add_argument("--config", help="train this architecture (JSON, tools/reference.py's format)")
    ap.add_argument("--seconds", type=float, help="training budget in seconds (sizes the schedule)")
    ap.add_argument("--steps", type=int, help="training budget in steps (the schedule's length)")
    args = ap.parse_args(argv[1:])
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    t0 = time.time()

    cfg = fortune_config()
    if args.config:
        with open(args.config) as f:
            cfg = json.load(f)
        if cfg.get("kind") != "lm" or cfg.get("tgt_vocab") != dfo.VOCAB:
            sys.exit("train_lm.py: %s is not a language model over the fortune vocabulary (%d)" % (
                args.config, dfo.VOCAB))
    T = cfg["max_target"]
    entries = dfo.load_entries()
    train, held = split_entries(entries)
    held_sha = heldout_sha(held)
    tw = [w for _, _, t in train for w in windows(t, T)]
    hw = [w for _, _, t in held for w in windows(t, T)]
    print("data: %d entries; train %d entries (%d windows, %d chars), held-out %d entries (%d predictions, sha %s)" % (
        len(entries), len(train), len(tw), sum(len(x) for x, _ in tw), len(held), sum(len(y) for _, y in hw),
        held_sha), flush=True)

    model = tt.BModel(cfg, args.dropout)
    n_par = sum(p.numel() for p in model.parameters())
    print("model: %d parameters (%.2f MB fp32)" % (n_par, n_par * 4 / 1e6), flush=True)

    rng = np.random.default_rng(SEED)
    steps_per_epoch = len(batches(tw, args.max_tokens, np.random.default_rng(0)))
    total = args.epochs * steps_per_epoch if not args.quick else 60
    total = args.steps or total
    warm = min(500, total // 10) if not args.seconds else 20
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, 0.5 * (1 + math.cos(math.pi * min(1.0, s / total)))))
    t_train = time.time()
    step = 0
    for epoch in range(args.epochs if not (args.seconds or args.steps) else 10 ** 6):
        te = time.time()
        model.train()
        tot_loss = tot_tok = 0.0
        for idx in batches(tw, args.max_tokens, rng):
            x, y = collate(tw, idx)
            logits = model(None, x)
            loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1), ignore_index=PAD, reduction="sum")
            ntok = int(y.ne(PAD).sum())
            opt.zero_grad()
            (loss / ntok).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if args.seconds and step == 20:  # the schedule sized to the budget
                total = max(40, int(args.seconds / ((time.time() - t_train) / 20)))
                print("  %.0f s budget: %d steps" % (args.seconds, total), flush=True)
            tot_loss += float(loss)
            tot_tok += ntok
            if step % 200 == 0:
                print("  step %d/%d: train %.3f bits/char, %s" % (
                    step, total, tot_loss / tot_tok / math.log(2), tt.fmt_time(time.time() - t0)), flush=True)
            if step >= total:
                break
        print("epoch %d: step %d, train %.3f bits/char, %s (total %s); sample: %r" % (
            epoch + 1, step, tot_loss / tot_tok / math.log(2), tt.fmt_time(time.time() - te),
            tt.fmt_time(time.time() - t0), sample(model, "The ", 60, T)), flush=True)
        if step >= total:
            break
    train_time = time.time() - t0

    hb, hn = bits(model, hw)
    bpc = hb / hn
    print("held-out: %.4f bits/char over %d predictions (%d entries)" % (bpc, hn, len(held)), flush=True)
    for p in ("The ", "A fool ", "Linux "):
        print("  %r" % sample(model, p, 80, T))

    os.makedirs(args.out, exist_ok=True)
    wpath = os.path.join(args.out, cfg["name"] + ".safetensors")
    meta = {"format": "pt", "model": cfg["name"], "config": json.dumps(cfg, separators=(",", ":")),
            "data": "fortunes via tools/data_fortune.py", "split_seed": str(SEED),
            "heldout": str(len(held)), "heldout_sha": held_sha, "heldout_bpc": "%.4f" % bpc,
            "train_seconds": "%.0f" % train_time, "train_steps": str(step)}
    st.save(wpath, model.export(), meta)
    worst = tt.check_against_reference(cfg, model, wpath, [([], x) for x, _ in hw[:8]])
    if args.config:  # its .ltd is the one ltcc search wrote beside the .json
        print("wrote %s; held-out %.4f bits/char; reference check max|diff| %.2e; time %s" % (
            wpath, bpc, worst, tt.fmt_time(time.time() - t0)))
        return
    with open(os.path.join(args.out, "fortune.ltd"), "w") as f:
        f.write(tt.ltd_text(cfg, """Character language model (Lite Transformer decoder, pre-norm, attention +
dynamic conv with GLU, final LayerNorm) trained by tools/train_lm.py on
Debian's fortunes.  Vocabulary: models/fortune.vocab.json (tab 4, newline 5,
' '..'~' 6..100).  Held-out: %.3f bits/char.""" % bpc))
    with open(os.path.join(args.out, "fortune.vocab.json"), "w", encoding="utf-8") as f:
        json.dump({"specials": dfo.SPECIALS, "tokens": dfo.SPECIALS + list(dfo.ALPHABET)}, f, indent=1)
        f.write("\n")
    print("wrote %s/fortune.{ltd,safetensors,vocab.json}; reference check max|diff| %.2e; time %s" % (
        args.out, worst, tt.fmt_time(time.time() - t0)))


if __name__ == "__main__":
    main(sys.argv)
