#!/usr/bin/python3
"""Train dedict: a small character-level German->English word translator
(Lite Transformer encoder-decoder) on FreeDict's German-English dictionary,
and write models/dedict.{ltd,safetensors} and models/dedict.vocab.json.

usage: train_translit.py [--epochs N] [--out DIR] [--quick]

Data: tools/data_dedict.py (one pair per German headword).  Split: the pair
list (sorted by headword) is shuffled with numpy default_rng(SEED); the
first HELDOUT pairs are held out, the rest train.  The held-out set is never
used for training or model selection; it is decoded once at the end.

This file also holds the batched LSRA modules that tools/train_lm.py uses.
They are built from the same config schema as tools/reference.py
(tools/README-reference.md) and their parameter names are fairseq's, so the
trained state dict is exported as it is, and is checked after training by
loading it into reference.py's model (strict) and comparing logits.

Vocabulary (fairseq convention): bos 0, pad 1, eos 2, unk 3, then the
letters.  Source: "abcdefghijklmnopqrstuvwxyzäöüß" as 4..33; target: "a".."z"
as 4..29.  Source ids are the word's letters then eos; the decoder starts
from eos and is trained to emit the English letters then eos.  Greedy
decoding (the metric): start from eos, argmax (first index on ties), stop at
eos, at most G = 20 decisions, as tools/reference.py does.
"""
import argparse
import hashlib
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
import reference  # noqa: E402
import st  # noqa: E402

TOKENS = {"bos": 0, "pad": 1, "eos": 2, "unk": 3}
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
PAD, EOS, UNK = 1, 2, 3

SRC_ALPHABET = "abcdefghijklmnopqrstuvwxyzäöüß"
TGT_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
SEED = 20240611
HELDOUT = 1000       # 5% of the pairs, at most 1000
GREEDY_MAX = 20      # G: greedy decisions per word


# ---------------------------------------------------------------------------
# Batched LSRA modules.  Shapes (B, T, C); pad positions are masked.

def linear(x, weight, bias=None):
    """F.linear computed as a 1x1 convolution: Debian's torch has a generic
    (reference) BLAS for matmul but oneDNN for convolutions, which is about
    ten times faster on one thread, forward and backward."""
    n, i = x.numel() // x.shape[-1], x.shape[-1]
    o = weight.shape[0]
    y = F.conv2d(x.reshape(n, i, 1, 1), weight.view(o, i, 1, 1), bias)
    return y.view(*x.shape[:-1], o)


class Lin(nn.Linear):
    """nn.Linear (same parameters and names) through linear() above."""

    def forward(self, x):
        return linear(x, self.weight, self.bias)


class BAttention(nn.Module):
    def __init__(self, width, heads, dropout=0.0):
        super().__init__()
        self.q_proj = Lin(width, width)
        self.k_proj = Lin(width, width)
        self.v_proj = Lin(width, width)
        self.out_proj = Lin(width, width)
        self.width, self.heads, self.dropout = width, heads, dropout
        self.scaling = (width // heads) ** -0.5
        for p in (self.q_proj, self.k_proj, self.v_proj):
            nn.init.xavier_uniform_(p.weight, gain=1 / math.sqrt(2))
        nn.init.xavier_uniform_(self.out_proj.weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x, kv, key_pad=None, causal=False):
        B, T, _ = x.shape
        S, h = kv.shape[1], self.heads
        q = (self.q_proj(x) * self.scaling).view(B, T, h, -1).transpose(1, 2)
        k = self.k_proj(kv).view(B, S, h, -1).transpose(1, 2)
        v = self.v_proj(kv).view(B, S, h, -1).transpose(1, 2)
        s = torch.matmul(q, k.transpose(-1, -2))  # (B, h, T, S)
        if causal:
            s = s.masked_fill(torch.ones(T, S, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
        if key_pad is not None:
            s = s.masked_fill(key_pad[:, None, None, :], float("-inf"))
        p = F.dropout(torch.softmax(s, dim=-1), self.dropout, self.training)
        return self.out_proj(torch.matmul(p, v).transpose(1, 2).reshape(B, T, self.width))


class BConv(nn.Module):
    """linear1 (+GLU) -> lightweight/dynamic depthwise conv -> linear2."""

    def __init__(self, br, weight_softmax, causal, weight_dropout=0.0):
        super().__init__()
        w, H, K = br["width"], br["heads"], br["kernel"]
        self.dynamic, self.glu = br["kind"] == "dynamic", br["glu"]
        self.w, self.H, self.K, self.softmax = w, H, K, weight_softmax
        self.pad_left = K - 1 if causal else K // 2
        self.weight_dropout = weight_dropout
        self.linear1 = Lin(w, 2 * w if self.glu else w)
        if self.dynamic:
            self.weight_linear = Lin(w, H * K, bias=False)
            nn.init.xavier_uniform_(self.weight_linear.weight)
        else:
            self.weight = nn.Parameter(torch.empty(H, 1, K))
            nn.init.xavier_uniform_(self.weight)
        self.linear2 = Lin(w, w)
        nn.init.xavier_uniform_(self.linear1.weight)
        nn.init.xavier_uniform_(self.linear2.weight)
        nn.init.zeros_(self.linear1.bias)
        nn.init.zeros_(self.linear2.bias)

    def forward(self, x, pad):
        B, T, _ = x.shape
        u = self.linear1(x)
        if self.glu:
            u = u[..., :self.w] * torch.sigmoid(u[..., self.w:])
        if pad is not None:  # a padded position holds zeros, like the end of a sequence
            u = u.masked_fill(pad[..., None], 0.0)
        win = F.pad(u, (0, 0, self.pad_left, self.K - 1 - self.pad_left)).unfold(1, self.K, 1)  # (B,T,w,K)
        if self.dynamic:
            W = self.weight_linear(u).view(B, T, self.H, self.K)
        else:
            W = self.weight.view(1, 1, self.H, self.K)
        if self.softmax:
            W = torch.softmax(W, dim=-1)
        W = F.dropout(W, self.weight_dropout, self.training)
        o = (win.reshape(B, T, self.H, -1, self.K) * W.unsqueeze(3)).sum(-1)
        return self.linear2(o.reshape(B, T, self.w))


class BMultiBranch(nn.Module):
    def __init__(self, branches, weight_softmax, causal, dropout):
        super().__init__()
        self.widths = [b["width"] for b in branches]
        self.causal = causal
        self.branches = nn.ModuleList(
            BAttention(b["width"], b["heads"], dropout) if b["kind"] == "attn"
            else BConv(b, weight_softmax, causal, dropout) for b in branches)

    def forward(self, x, pad):
        outs = []
        for b, c in zip(self.branches, x.split(self.widths, dim=-1)):
            if isinstance(b, BAttention):
                outs.append(b(c, c, None if self.causal else pad, self.causal))
            else:
                outs.append(b(c, pad))
        return torch.cat(outs, dim=-1)


class BLayer(nn.Module):
    def __init__(self, lay, sc, dim, decoder, cross_heads, dropout):
        super().__init__()
        br = lay["branches"]
        self.plain = lay["plain"]
        self.decoder = decoder
        if self.plain:
            self.self_attn = BAttention(dim, br[0]["heads"], dropout)
        else:
            self.self_attn = BMultiBranch(br, sc["weight_softmax"], decoder, dropout)
        self.self_attn_layer_norm = nn.LayerNorm(dim)
        self.encoder_attn = None
        if cross_heads:
            self.encoder_attn = BAttention(dim, cross_heads, dropout)
            self.encoder_attn_layer_norm = nn.LayerNorm(dim)
        self.fc1 = Lin(dim, sc["ffn"])
        self.fc2 = Lin(sc["ffn"], dim)
        self.final_layer_norm = nn.LayerNorm(dim)
        self.act = reference.activation(sc["activation"])
        self.pre = sc["norm"] == "pre"
        self.dropout = dropout

    def residual(self, x, ln, fn):
        if self.pre:
            return x + F.dropout(fn(ln(x)), self.dropout, self.training)
        return ln(x + F.dropout(fn(x), self.dropout, self.training))

    def forward(self, x, pad, enc=None, enc_pad=None):
        if self.plain:
            sa = lambda h: self.self_attn(h, h, None if self.decoder else pad, self.decoder)  # noqa: E731
        else:
            sa = lambda h: self.self_attn(h, pad)  # noqa: E731
        x = self.residual(x, self.self_attn_layer_norm, sa)
        if self.encoder_attn is not None:
            x = self.residual(x, self.encoder_attn_layer_norm, lambda h: self.encoder_attn(h, enc, enc_pad))
        ffn = lambda h: self.fc2(F.dropout(self.act(self.fc1(h)), self.dropout, self.training))  # noqa: E731
        return self.residual(x, self.final_layer_norm, ffn)


class BStack(nn.Module):
    def __init__(self, cfg, side, dropout):
        super().__init__()
        sc, dim = cfg[side], cfg["dim"]
        decoder = side == "decoder"
        vocab = cfg["tgt_vocab" if decoder else "src_vocab"]
        max_len = cfg["max_target" if decoder else "max_source"]
        cross = sc["cross_heads"] if decoder and cfg["kind"] == "encdec" else 0
        self.pad = cfg["tokens"]["pad"]
        self.embed_scale = math.sqrt(dim)
        self.embed_tokens = nn.Embedding(vocab, dim, padding_idx=self.pad)
        nn.init.normal_(self.embed_tokens.weight, 0, dim ** -0.5)
        with torch.no_grad():
            self.embed_tokens.weight[self.pad].zero_()
        self.register_buffer("pe", reference.sinusoids(self.pad + 1 + max_len, dim, self.pad), persistent=False)
        self.layers = nn.ModuleList(BLayer(l, sc, dim, decoder, cross, dropout) for l in sc["layers"])
        self.layer_norm = nn.LayerNorm(dim) if sc["final_norm"] else None
        if decoder and cfg["output"] == "separate":
            self.embed_out = nn.Parameter(torch.empty(vocab, dim))
            nn.init.normal_(self.embed_out, 0, dim ** -0.5)
        self.dropout = dropout

    def forward(self, tokens, enc=None, enc_pad=None):
        """tokens (B, T), right-padded; returns (B, T, D) and the pad mask."""
        pad = tokens.eq(self.pad)
        T = tokens.shape[1]
        x = self.embed_scale * self.embed_tokens(tokens) + self.pe[self.pad + 1:self.pad + 1 + T]
        x = F.dropout(x, self.dropout, self.training)
        for layer in self.layers:
            x = layer(x, pad, enc, enc_pad)
        if self.layer_norm is not None:
            x = self.layer_norm(x)
        return x, pad

    def output(self, y):
        return linear(y, self.embed_out if hasattr(self, "embed_out") else self.embed_tokens.weight)


class BModel(nn.Module):
    def __init__(self, cfg, dropout=0.0):
        super().__init__()
        self.cfg = cfg
        if cfg["kind"] == "encdec":
            assert cfg["embeddings"] == "separate", "shared embeddings: not needed here"
            self.encoder = BStack(cfg, "encoder", dropout)
        self.decoder = BStack(cfg, "decoder", dropout)

    def forward(self, src, tgt_in):
        enc = enc_pad = None
        if self.cfg["kind"] == "encdec":
            enc, enc_pad = self.encoder(src)
        y, _ = self.decoder(tgt_in, enc, enc_pad)
        return self.decoder.output(y)

    def export(self):
        """fairseq state dict (numpy float32), parameters only."""
        return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in self.state_dict().items()}

    @torch.no_grad()
    def greedy(self, src, steps):
        """Batched greedy from eos; returns lists of tokens (eos not included)."""
        enc, enc_pad = self.encoder(src)
        B = src.shape[0]
        seq = torch.full((B, 1), EOS, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        out = [[] for _ in range(B)]
        for _ in range(steps):
            y, _ = self.decoder(seq, enc, enc_pad)
            tok = self.decoder.output(y[:, -1]).argmax(-1)
            for b in range(B):
                if not done[b]:
                    if tok[b] == EOS:
                        done[b] = True
                    else:
                        out[b].append(int(tok[b]))
            if done.all():
                break
            seq = torch.cat([seq, tok[:, None]], dim=1)
        return out


# ---------------------------------------------------------------------------
# config, .ltd, checks

def attn(w, h):
    return {"kind": "attn", "width": w, "heads": h}


def conv(kind, w, h, k, glu):
    return {"kind": kind, "width": w, "heads": h, "kernel": k, "glu": glu}


def stack(norm, final_norm, ffn, layers, cross_heads=None):
    s = {"norm": norm, "final_norm": final_norm, "ffn": ffn, "activation": "relu", "weight_softmax": True}
    if cross_heads is not None:
        s["cross_heads"] = cross_heads
    s["layers"] = layers
    return s


def ltd_text(cfg, comment):
    """A .ltd for a config whose layers differ only in their conv kernel."""
    L = ["# " + line for line in comment.strip().split("\n")]
    L.append("model %s {" % cfg["name"])
    L.append('  weights "%s.safetensors";' % cfg["name"])
    L.append("  dim %d;" % cfg["dim"])
    if cfg["kind"] == "encdec":
        L.append("  src_vocab %d;" % cfg["src_vocab"])
        L.append("  tgt_vocab %d;" % cfg["tgt_vocab"])
        L.append("  max_source %d;" % cfg["max_source"])
    else:
        L.append("  vocab %d;" % cfg["tgt_vocab"])
    L.append("  max_target %d;" % cfg["max_target"])
    L.append("  tokens bos %(bos)d pad %(pad)d eos %(eos)d unk %(unk)d;" % cfg["tokens"])
    L.append("  positions sinusoidal;")
    if cfg["kind"] == "encdec":
        L.append("  embeddings %s;" % cfg["embeddings"])
    L.append("  output %s;" % cfg["output"])
    for side in ("encoder", "decoder"):
        if side not in cfg:
            continue
        sc = cfg[side]
        lays = sc["layers"]
        shape = [[{k: v for k, v in b.items() if k != "kernel"} for b in l["branches"]] for l in lays]
        assert all(s == shape[0] for s in shape) and not any(l["plain"] for l in lays)
        kern = [next(b["kernel"] for b in l["branches"] if b["kind"] != "attn") for l in lays]
        L.append("")
        L.append("  %s {" % side)
        L.append("    layers %d;" % len(lays))
        L.append("    norm %s;" % sc["norm"])
        L.append("    final_norm %s;" % ("yes" if sc["final_norm"] else "no"))
        L.append("    ffn %d %s;" % (sc["ffn"], sc["activation"]))
        L.append("    weight_softmax %s;" % ("yes" if sc["weight_softmax"] else "no"))
        L.append("    kernels %s;" % " ".join(str(k) for k in kern))
        for b in lays[0]["branches"]:
            if b["kind"] == "attn":
                L.append("    branch attn %d heads %d;" % (b["width"], b["heads"]))
            else:
                L.append("    branch %s %d heads %d%s;" % (b["kind"], b["width"], b["heads"], " glu" if b["glu"] else ""))
        if "cross_heads" in sc:
            L.append("    cross_attention heads %d;" % sc["cross_heads"])
        L.append("  }")
    L.append("}")
    return "\n".join(L) + "\n"


def check_against_reference(cfg, model, weights_path, samples):
    """Load the written file into reference.py's model (strict) and compare
    full-sequence logits with the training module on a few samples."""
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)
        cfg_path = f.name
    try:
        _, ref = reference.load_model(cfg_path, weights_path)
    finally:
        os.unlink(cfg_path)
    model.eval()
    worst = 0.0
    with torch.no_grad():
        for src, tgt in samples:
            enc = ref.encode(src)
            a = ref.decode(tgt, enc)
            b = model(torch.tensor([src]) if src else None, torch.tensor([tgt]))[0]
            worst = max(worst, float((a - b).abs().max()))
    assert worst < 1e-4, "training module and reference differ by %g" % worst
    return worst


def sha(lines):
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


def fmt_time(s):
    return "%dm%02ds" % (s // 60, s % 60)


# ---------------------------------------------------------------------------
# dedict

SRC_ID = {c: i + 4 for i, c in enumerate(SRC_ALPHABET)}
TGT_ID = {c: i + 4 for i, c in enumerate(TGT_ALPHABET)}


def src_ids(word):
    return [SRC_ID.get(c, UNK) for c in word] + [EOS]


def tgt_ids(word):
    return [TGT_ID.get(c, UNK) for c in word]


def tgt_text(ids):
    return "".join(TGT_ALPHABET[i - 4] if 4 <= i < 4 + len(TGT_ALPHABET) else "?" for i in ids)


def dedict_config():
    D, K = 128, [3, 5, 7]
    lay = lambda k: {"plain": False, "branches": [attn(64, 4), conv("lightweight", 64, 4, k, False)]}  # noqa: E731
    return {
        "name": "dedict", "kind": "encdec", "dim": D,
        "src_vocab": 4 + len(SRC_ALPHABET), "tgt_vocab": 4 + len(TGT_ALPHABET),
        "max_source": 24, "max_target": 24, "tokens": TOKENS,
        "embeddings": "separate", "output": "tied",
        "encoder": stack("post", False, D, [lay(k) for k in K]),
        "decoder": stack("post", False, D, [lay(k) for k in K], cross_heads=4),
    }


def split_pairs(pairs):
    """Seeded shuffle of the (sorted) pair list; the first HELDOUT are held out."""
    order = np.random.default_rng(SEED).permutation(len(pairs))
    n_held = min(HELDOUT, len(pairs) // 20)
    held = [pairs[i] for i in order[:n_held]]
    train = [pairs[i] for i in order[n_held:]]
    return train, held


def heldout_sha(held):
    return sha(["%s\t%s" % p for p in held])


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def score(hyps, refs):
    """exact-match fraction and character error rate (edit distance / ref chars)."""
    exact = sum(h == r for h, r in zip(hyps, refs))
    errs = sum(edit_distance(h, r) for h, r in zip(hyps, refs))
    return exact / len(refs), errs / sum(len(r) for r in refs)


def length_batches(lengths, max_tokens, rng):
    """Batches of indices, bucketed by length (ties broken at random), each
    holding at most about max_tokens tokens once padded; in random order."""
    idx = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    out, cur, cur_len = [], [], 0
    for i in idx:
        L = lengths[i]
        if cur and (len(cur) + 1) * max(cur_len, L) > max_tokens:
            out.append(cur)
            cur, cur_len = [], 0
        cur.append(i)
        cur_len = max(cur_len, L)
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


def batches(data, max_tokens, rng):
    """Length-bucketed batches of indices, about max_tokens source tokens each."""
    return length_batches([len(src) + 1 for src, _ in data], max_tokens, rng)


def collate(data, idx):
    srcs = [src_ids(data[i][0]) for i in idx]
    tgts = [tgt_ids(data[i][1]) for i in idx]
    S, T = max(map(len, srcs)), max(map(len, tgts)) + 1
    src = torch.full((len(idx), S), PAD, dtype=torch.long)
    tin = torch.full((len(idx), T), PAD, dtype=torch.long)
    tout = torch.full((len(idx), T), PAD, dtype=torch.long)
    for b, (s, t) in enumerate(zip(srcs, tgts)):
        src[b, :len(s)] = torch.tensor(s)
        tin[b, :len(t) + 1] = torch.tensor([EOS] + t)
        tout[b, :len(t) + 1] = torch.tensor(t + [EOS])
    return src, tin, tout


def evaluate(model, data, bs=250):
    model.eval()
    hyps = []
    for i in range(0, len(data), bs):
        chunk = data[i:i + bs]
        src = torch.full((len(chunk), max(len(w) for w, _ in chunk) + 1), PAD, dtype=torch.long)
        for b, (w, _) in enumerate(chunk):
            src[b, :len(w) + 1] = torch.tensor(src_ids(w))
        hyps += [tgt_text(g) for g in model.greedy(src, GREEDY_MAX)]
    return hyps


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--max-tokens", type=int, default=1500)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(TOOLS), "models"))
    ap.add_argument("--quick", action="store_true", help="a few hundred steps, for testing the script")
    args = ap.parse_args(argv[1:])
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    t0 = time.time()

    import data_dedict
    pairs = data_dedict.load_pairs()
    train, held = split_pairs(pairs)
    print("data: %d pairs, train %d, held-out %d (sha %s)" % (len(pairs), len(train), len(held),
                                                             heldout_sha(held)), flush=True)
    cfg = dedict_config()
    model = BModel(cfg, args.dropout)
    n_par = sum(p.numel() for p in model.parameters())
    print("model: %d parameters (%.2f MB fp32)" % (n_par, n_par * 4 / 1e6), flush=True)

    rng = np.random.default_rng(SEED)
    steps_per_epoch = len(batches(train, args.max_tokens, np.random.default_rng(0)))
    total = args.epochs * steps_per_epoch if not args.quick else 300
    warm = min(1000, total // 10)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, 0.5 * (1 + math.cos(math.pi * min(1.0, s / total)))))
    step = 0
    probe = train[:500]  # progress only: greedy on training words
    for epoch in range(args.epochs):
        te = time.time()
        model.train()
        tot_loss = tot_tok = 0.0
        for idx in batches(train, args.max_tokens, rng):
            src, tin, tout = collate(train, idx)
            logits = model(src, tin)
            loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), tout.view(-1),
                                   ignore_index=PAD, label_smoothing=0.1, reduction="sum")
            ntok = int(tout.ne(PAD).sum())
            opt.zero_grad()
            (loss / ntok).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            tot_loss += float(loss)
            tot_tok += ntok
            if step >= total:
                break
        ex, cer = score(evaluate(model, probe), [e for _, e in probe])
        print("epoch %d: step %d, train loss %.3f, train-probe exact %.3f cer %.3f, lr %.2e, %s (total %s)" % (
            epoch + 1, step, tot_loss / tot_tok, ex, cer, sched.get_last_lr()[0],
            fmt_time(time.time() - te), fmt_time(time.time() - t0)), flush=True)
        if step >= total:
            break
    train_time = time.time() - t0

    hyps = evaluate(model, held)
    ex, cer = score(hyps, [e for _, e in held])
    print("held-out (%d words): exact %.4f, CER %.4f" % (len(held), ex, cer), flush=True)
    for (de, en), h in list(zip(held, hyps))[:12]:
        print("  %-20s %-20s %s" % (de, en, h))

    os.makedirs(args.out, exist_ok=True)
    wpath = os.path.join(args.out, "dedict.safetensors")
    meta = {"format": "pt", "model": "dedict", "config": json.dumps(cfg, separators=(",", ":")),
            "src_alphabet": SRC_ALPHABET, "tgt_alphabet": TGT_ALPHABET,
            "data": "dict-freedict-deu-eng via tools/data_dedict.py", "split_seed": str(SEED),
            "heldout": str(len(held)), "heldout_sha": heldout_sha(held),
            "heldout_exact": "%.4f" % ex, "heldout_cer": "%.4f" % cer, "train_seconds": "%.0f" % train_time}
    st.save(wpath, model.export(), meta)
    worst = check_against_reference(cfg, model, wpath,
                                    [(src_ids(w), [EOS] + tgt_ids(e)) for w, e in held[:20]])
    with open(os.path.join(args.out, "dedict.ltd"), "w") as f:
        f.write(ltd_text(cfg, """German->English word translation, character level (Lite Transformer
encoder-decoder, post-norm, attention + lightweight conv), trained by
tools/train_translit.py on FreeDict's German-English dictionary.
Vocabulary: models/dedict.vocab.json.  Held-out: exact %.3f, CER %.3f.""" % (ex, cer)))
    with open(os.path.join(args.out, "dedict.vocab.json"), "w", encoding="utf-8") as f:
        json.dump({"specials": SPECIALS, "src": SPECIALS + list(SRC_ALPHABET),
                   "tgt": SPECIALS + list(TGT_ALPHABET)}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote %s/dedict.{ltd,safetensors,vocab.json}; reference check max|diff| %.2e; time %s" % (
        args.out, worst, fmt_time(time.time() - t0)))


if __name__ == "__main__":
    main(sys.argv)
