#!/usr/bin/python3
"""Independent PyTorch reference for Lite Transformer models (ltcc's oracle).

usage: reference.py [--quantize w8|int8 [--ties TRACEDIR]] CONFIG.json WEIGHTS.safetensors OUTDIR
       reference.py --selfcheck CONFIG.json WEIGHTS.safetensors

The model is rebuilt from the config (schema: tools/README-reference.md) as
plain nn.Modules whose parameter names are the fairseq state-dict keys, so a
strict load_state_dict proves the weights file holds exactly the tensors the
model uses.  Everything runs in float32, batch 1, one thread.

The first form writes OUTDIR/NAME-CASE.golden for each case.  With
--quantize w8 the model's weights are first put through the rule of ltcc's
--quantize w8 (see quantize_w8): what ltcc's int8-weight build must compute.
With --quantize int8 the matmuls by those weights also quantize their input
rows and sum in integers (see int8_linear), as ltcc --quantize int8 does;
--ties settles the roundings that float noise leaves undecided from the
compiled code's trace (see Ties).  --selfcheck
decodes every case step by step (K/V cache, conv history) and asserts the
result matches the full-sequence forward, i.e. it checks this file itself.
"""
import json
import math
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

SELFCHECK_TOL = 1e-5


def sinusoids(num, dim, pad):
    """fairseq sinusoidal table: [sin | cos] halves, row `pad` zeroed."""
    half = dim // 2
    e = math.log(10000) / (half - 1)
    w = torch.exp(torch.arange(half, dtype=torch.float) * -e)
    ang = torch.arange(num, dtype=torch.float).unsqueeze(1) * w.unsqueeze(0)
    pe = torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)
    if dim % 2:
        pe = torch.cat([pe, torch.zeros(num, 1)], dim=1)
    pe[pad] = 0
    return pe


class Attention(nn.Module):
    """Multi-head attention on a (T, w) sequence; also used for cross-attention."""

    def __init__(self, width, heads, causal):
        super().__init__()
        assert width % heads == 0, "attention width %d not divisible by heads %d" % (width, heads)
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width)
        self.out_proj = nn.Linear(width, width)
        self.width, self.heads, self.causal = width, heads, causal
        self.scaling = (width // heads) ** -0.5

    def attend(self, q, k, v, mask):
        T, S, h = q.shape[0], k.shape[0], self.heads
        # Head j owns channels [j*hd, (j+1)*hd).
        q = q.view(T, h, -1).transpose(0, 1)
        k = k.view(S, h, -1).transpose(0, 1)
        v = v.view(S, h, -1).transpose(0, 1)
        s = torch.bmm(q, k.transpose(1, 2))
        if mask:
            s = s.masked_fill(torch.ones(T, S, dtype=torch.bool).triu(1), float("-inf"))
        p = torch.softmax(s.float(), dim=-1)
        return self.out_proj(torch.bmm(p, v).transpose(0, 1).reshape(T, self.width))

    def forward(self, x, memory=None):
        kv = x if memory is None else memory
        q = self.q_proj(x) * self.scaling  # scale after the bias, as fairseq does
        return self.attend(q, self.k_proj(kv), self.v_proj(kv), self.causal and memory is None)

    def step(self, x, cache, memory=None):
        """One new position x (1, w).  Self-attn appends to the K/V cache;
        cross-attn projects the memory once and keeps it."""
        if memory is None:
            k, v = self.k_proj(x), self.v_proj(x)
            if self in cache:
                pk, pv = cache[self]
                k, v = torch.cat([pk, k]), torch.cat([pv, v])
            cache[self] = (k, v)
        else:
            if self not in cache:
                cache[self] = (self.k_proj(memory), self.v_proj(memory))
            k, v = cache[self]
        # Only past/current keys are in the cache, so no mask is needed.
        return self.attend(self.q_proj(x) * self.scaling, k, v, False)


class ConvBranch(nn.Module):
    """linear1 (+GLU) -> lightweight/dynamic depthwise conv -> linear2."""

    def __init__(self, br, weight_softmax, causal):
        super().__init__()
        w, H, K = br["width"], br["heads"], br["kernel"]
        assert w % H == 0, "conv width %d not divisible by heads %d" % (w, H)
        self.dynamic, self.glu = br["kind"] == "dynamic", br["glu"]
        self.w, self.H, self.K = w, H, K
        self.weight_softmax = weight_softmax
        # Decoder: causal.  Encoder: centred; an even K has one more tap on
        # the right (fairseq's padding_l = ((K-1)//2, K//2)).
        self.pad_left = K - 1 if causal else (K - 1) // 2
        self.linear1 = nn.Linear(w, 2 * w if self.glu else w)
        if self.dynamic:
            self.weight_linear = nn.Linear(w, H * K, bias=False)
        else:
            self.weight = nn.Parameter(torch.empty(H, 1, K))
        self.linear2 = nn.Linear(w, w)

    def gate(self, c):
        u = self.linear1(c)
        if self.glu:
            u = u[:, :self.w] * torch.sigmoid(u[:, self.w:])
        return u

    def kernels(self, g):
        """Per-position (T, H, K) filter; dynamic filters come from g itself."""
        T = g.shape[0]
        if self.dynamic:
            logits = self.weight_linear(g).view(T, self.H, self.K)
        else:
            logits = self.weight.view(1, self.H, self.K).expand(T, self.H, self.K)
        return torch.softmax(logits, dim=-1) if self.weight_softmax else logits

    def mix(self, win, W):
        """win (T, w, K) input windows, W (T, H, K): o[t,c] = sum_k W[t,c//R,k] win[t,c,k]."""
        T = win.shape[0]
        o = (win.reshape(T, self.H, -1, self.K) * W.unsqueeze(2)).sum(-1)
        return self.linear2(o.reshape(T, self.w))

    def forward(self, c):
        g = self.gate(c)
        # Zero-pad time so that window t covers g[t-P .. t-P+K-1].
        gp = F.pad(g.t(), (self.pad_left, self.K - 1 - self.pad_left)).t()
        return self.mix(gp.unfold(0, self.K, 1), self.kernels(g))

    def step(self, c, cache):
        """Causal only: keep the last K gated inputs (zeros = before the start)."""
        g = self.gate(c)
        hist = cache.get(self, torch.zeros(self.K, self.w))
        hist = torch.cat([hist[1:], g])
        cache[self] = hist
        return self.mix(hist.t().unsqueeze(0), self.kernels(g))


class MultiBranch(nn.Module):
    """Splits channels into contiguous slices, one per branch, and re-concatenates."""

    def __init__(self, branches, weight_softmax, causal):
        super().__init__()
        self.widths = [b["width"] for b in branches]
        self.branches = nn.ModuleList(
            Attention(b["width"], b["heads"], causal) if b["kind"] == "attn"
            else ConvBranch(b, weight_softmax, causal) for b in branches)

    def forward(self, x):
        return torch.cat([b(c) for b, c in zip(self.branches, x.split(self.widths, dim=1))], dim=1)

    def step(self, x, cache):
        return torch.cat([b.step(c, cache) for b, c in zip(self.branches, x.split(self.widths, dim=1))], dim=1)


def activation(name):
    if name == "relu":
        return torch.relu
    if name == "gelu":
        return lambda x: x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))
    raise ValueError("unknown activation %r" % name)


class Layer(nn.Module):
    def __init__(self, lay, sc, dim, decoder, cross_heads):
        super().__init__()
        br = lay["branches"]
        assert sum(b["width"] for b in br) == dim, "branch widths must sum to dim"
        if lay["plain"]:
            assert len(br) == 1 and br[0]["kind"] == "attn", "plain layer = one attn branch"
            self.self_attn = Attention(dim, br[0]["heads"], decoder)
        else:
            self.self_attn = MultiBranch(br, sc["weight_softmax"], decoder)
        self.self_attn_layer_norm = nn.LayerNorm(dim, eps=1e-5)
        self.encoder_attn = None
        if cross_heads:
            self.encoder_attn = Attention(dim, cross_heads, False)
            self.encoder_attn_layer_norm = nn.LayerNorm(dim, eps=1e-5)
        self.fc1 = nn.Linear(dim, sc["ffn"])
        self.fc2 = nn.Linear(sc["ffn"], dim)
        self.final_layer_norm = nn.LayerNorm(dim, eps=1e-5)
        self.act = activation(sc["activation"])
        self.pre = {"pre": True, "post": False}[sc["norm"]]

    def residual(self, x, ln, fn):
        return x + fn(ln(x)) if self.pre else ln(x + fn(x))

    def forward(self, x, enc=None, cache=None):
        """Full sequence if cache is None, else one position (1, D)."""
        if cache is None:
            x = self.residual(x, self.self_attn_layer_norm, self.self_attn)
        else:
            x = self.residual(x, self.self_attn_layer_norm, lambda h: self.self_attn.step(h, cache))
        if self.encoder_attn is not None:
            if cache is None:
                ca = lambda h: self.encoder_attn(h, enc)  # noqa: E731
            else:
                ca = lambda h: self.encoder_attn.step(h, cache, enc)  # noqa: E731
            x = self.residual(x, self.encoder_attn_layer_norm, ca)
        return self.residual(x, self.final_layer_norm, lambda h: self.fc2(self.act(self.fc1(h))))


def band_cutoffs(cutoffs, vocab):
    """fairseq AdaptiveInput/AdaptiveSoftmax cutoffs: vocab is appended if
    it is past the last one, else the last one must be the vocab."""
    c = list(cutoffs)
    assert c and all(isinstance(x, int) for x in c), "cutoffs must be a non-empty list of ints"
    assert all(a < b for a, b in zip([0] + c, c)), "cutoffs must increase from above 0"
    if vocab > c[-1]:
        return c + [vocab]
    assert vocab == c[-1], "cutoff %d past the vocabulary (%d)" % (c[-1], vocab)
    return c


class Tied(nn.Module):
    """x @ W^T, or x @ W if transpose, for a matrix W owned by another
    module.  W is fetched through a function at call time, so it is not
    registered here: the state dict holds it once, under its owner's name."""

    def __init__(self, get, transpose):
        super().__init__()
        self.get, self.transpose = get, transpose

    def forward(self, x):
        w = self.get()
        return linear(x, w.t() if self.transpose else w, None)


class AdaptiveInput(nn.Module):
    """fairseq AdaptiveInput: band i covers ids [cut[i-1], cut[i]) and
    maps row (tok - cut[i-1]) of embeddings.{i}.0 (size_i, dim_i) to width
    D through embeddings.{i}.1 (D, dim_i), dim_i = int(E // factor**i)."""

    def __init__(self, vocab, E, factor, D, cutoffs):
        super().__init__()
        self.cutoff, self.D, self.factor = band_cutoffs(cutoffs, vocab), D, factor
        self.embeddings = nn.ModuleList()
        prev = 0
        for i, c in enumerate(self.cutoff):
            dim = int(E // (factor ** i))
            assert dim > 0, "adaptive input band %d has width 0" % i
            self.embeddings.append(nn.Sequential(nn.Embedding(c - prev, dim), nn.Linear(dim, D, bias=False)))
            prev = c

    def forward(self, tokens):
        out = torch.zeros(len(tokens), self.D)
        lo = 0
        for band, hi in zip(self.embeddings, self.cutoff):
            m = (tokens >= lo) & (tokens < hi)
            if m.any():
                out[m] = band(tokens[m] - lo)
            lo = hi
        return out


class TiedHead(nn.Module):
    """Head of a tied adaptive softmax: words by the input's band-0
    embedding, clusters by class_proj."""

    def __init__(self, get_emb, O, ntail):
        super().__init__()
        self.word_proj = Tied(get_emb, False)
        self.class_proj = nn.Linear(O, ntail, bias=False)

    def forward(self, y):
        return torch.cat([self.word_proj(y), self.class_proj(y)], dim=1)


class AdaptiveSoftmax(nn.Module):
    """fairseq AdaptiveSoftmax.get_log_prob with target=None: log-probs
    over the whole vocabulary.  Head: c0 words then one logit per tail
    cluster; tail i: log_softmax(y P_i^T T_i^T) + the head's log-prob of
    cluster i.  Tied weights come from the adaptive input (see Tied)."""

    def __init__(self, vocab, O, spec, ainput):
        super().__init__()
        self.cutoff = band_cutoffs(spec["cutoffs"], vocab)
        factor, tie, tie_proj = float(spec["factor"]), spec["tie_weights"], spec["tie_proj"]
        assert isinstance(tie, bool) and isinstance(tie_proj, bool)
        ntail, c0 = len(self.cutoff) - 1, self.cutoff[0]
        assert not tie_proj or tie, "adaptive_softmax: tie_proj needs tie_weights"
        if tie:
            assert ainput is not None, "adaptive_softmax: tie_weights needs adaptive_input"
            assert ainput.cutoff == self.cutoff and ainput.factor == factor, \
                "adaptive_softmax: tie_weights needs the adaptive input's cutoffs and factor"
            band = lambda b, j: (lambda: ainput.embeddings[b][j].weight)  # noqa: E731
            assert ainput.embeddings[0][0].weight.shape[1] == O, "tie_weights needs output_dim == input_dim"
            self.head = TiedHead(band(0, 0), O, ntail)
        else:
            self.head = nn.Linear(O, c0 + ntail, bias=False)
        self.tail = nn.ModuleList()
        for i in range(ntail):
            dim = int(O // factor ** (i + 1))
            assert dim > 0, "adaptive softmax tail %d has width 0" % i
            proj = Tied(band(i + 1, 1), True) if tie_proj else nn.Linear(O, dim, bias=False)
            size = self.cutoff[i + 1] - self.cutoff[i]
            out = Tied(band(i + 1, 0), False) if tie else nn.Linear(dim, size, bias=False)
            # index 1 is fairseq's dropout: names stay tail.{i}.0 / tail.{i}.2
            self.tail.append(nn.Sequential(proj, nn.Identity(), out))

    def forward(self, y):
        c0 = self.cutoff[0]
        lp_head = torch.log_softmax(self.head(y), dim=-1)
        parts = [lp_head[:, :c0]]
        for i, t in enumerate(self.tail):
            parts.append(torch.log_softmax(t(y), dim=-1) + lp_head[:, c0 + i:c0 + i + 1])
        return torch.cat(parts, dim=1)


class Stack(nn.Module):
    def __init__(self, cfg, side):
        super().__init__()
        sc, dim = cfg[side], cfg["dim"]
        decoder = side == "decoder"
        vocab = cfg["tgt_vocab" if decoder else "src_vocab"]
        max_len = cfg["max_target" if decoder else "max_source"]
        cross = sc["cross_heads"] if decoder and cfg["kind"] == "encdec" else 0
        self.pad = cfg["tokens"]["pad"]
        self.embed_scale = math.sqrt(dim)  # sqrt of the model width D, whatever E is
        E, O = sc.get("input_dim", dim), sc.get("output_dim", dim)
        assert decoder or (E == dim and O == dim), "the encoder has no input_dim/output_dim projections"
        ai = cfg.get("adaptive_input") if decoder else None
        ainput = None  # not an attribute: a second name would duplicate its tensors
        if ai is not None:
            assert cfg["embeddings"] == "separate", "adaptive_input needs separate embeddings"
            assert cfg["output"] != "tied", "adaptive_input has no embedding matrix to tie the output to"
            ainput = self.embed_tokens = AdaptiveInput(vocab, E, float(ai["factor"]), dim, ai["cutoffs"])
        else:
            self.embed_tokens = nn.Embedding(vocab, E)
            if E != dim:
                self.project_in_dim = nn.Linear(E, dim, bias=False)
        self.positions = sc.get("positions", "sinusoidal")
        n_pos = self.pad + 1 + max_len
        if self.positions == "sinusoidal":
            self.register_buffer("pe", sinusoids(n_pos, dim, self.pad), persistent=False)
        elif self.positions == "learned":
            rows = sc["learned_rows"]
            assert rows >= n_pos, "%s learned_rows %d < pad + 1 + max_len = %d" % (side, rows, n_pos)
            self.embed_positions = nn.Embedding(rows, dim)
        else:
            assert self.positions == "none", "unknown positions %r" % self.positions
        self.layers = nn.ModuleList(Layer(l, sc, dim, decoder, cross) for l in sc["layers"])
        self.layer_norm = nn.LayerNorm(dim, eps=1e-5) if sc["final_norm"] else None
        if decoder:
            if O != dim:
                self.project_out_dim = nn.Linear(dim, O, bias=False)
            if cfg["output"] == "separate":
                self.embed_out = nn.Parameter(torch.empty(vocab, O))
            elif cfg["output"] == "tied":
                assert E == O, "tied output needs input_dim == output_dim"
            else:
                assert cfg["output"] == "adaptive", "unknown output %r" % cfg["output"]
                spec = cfg["adaptive_softmax"]
                # fairseq drops project_out_dim when the adaptive weights are tied
                assert not spec["tie_weights"] or O == dim, "tie_weights needs output_dim == dim"
                self.adaptive_softmax = AdaptiveSoftmax(vocab, O, spec, ainput)

    def embed(self, tokens, start):
        # No pad tokens in the input, so position of index t is pad + 1 + t.
        pos = torch.arange(len(tokens)) + (self.pad + 1 + start)
        x = self.embed_scale * self.embed_tokens(torch.tensor(tokens))
        if hasattr(self, "project_in_dim"):
            x = self.project_in_dim(x)
        if self.positions == "sinusoidal":
            x = x + self.pe[pos]
        elif self.positions == "learned":
            x = x + self.embed_positions(pos)
        return x

    def run(self, x, enc=None, cache=None):
        for layer in self.layers:
            x = layer(x, enc, cache)
        return self.layer_norm(x) if self.layer_norm is not None else x

    def output(self, y):
        """Logits, or for an adaptive softmax log-probabilities, (T, V)."""
        if hasattr(self, "project_out_dim"):
            y = self.project_out_dim(y)
        if hasattr(self, "adaptive_softmax"):
            return self.adaptive_softmax(y)
        w = self.embed_out if hasattr(self, "embed_out") else self.embed_tokens.weight
        return linear(y, w, None)


class LiteTransformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        assert cfg["kind"] in ("encdec", "lm")
        assert ("adaptive_softmax" in cfg) == (cfg["output"] == "adaptive"), \
            "adaptive_softmax is given exactly when output is \"adaptive\""
        self.cfg = cfg
        if cfg["kind"] == "encdec":
            self.encoder = Stack(cfg, "encoder")
        self.decoder = Stack(cfg, "decoder")

    def encode(self, src):
        if self.cfg["kind"] != "encdec":
            return torch.zeros(0, 0)
        return self.encoder.run(self.encoder.embed(src, 0))

    def decode(self, tgt, enc):
        """Full-sequence causal forward: (len(tgt), V) logits."""
        dec = self.decoder
        return dec.output(dec.run(dec.embed(tgt, 0), enc))

    def decode_step(self, tok, t, enc, cache):
        """Incremental forward of token tok at position t: (1, V) logits."""
        dec = self.decoder
        return dec.output(dec.run(dec.embed([tok], t), enc, cache))


def load_model(cfg_path, weights_path):
    with open(cfg_path) as f:
        cfg = json.load(f)
    model = LiteTransformer(cfg)
    tensors = st.load(weights_path)
    if cfg["embeddings"] == "shared":
        assert cfg["src_vocab"] == cfg["tgt_vocab"]
        assert cfg["decoder"].get("input_dim", cfg["dim"]) == cfg["dim"], "shared embeddings need input_dim == dim"
        assert np.array_equal(tensors["encoder.embed_tokens.weight"],
                              tensors["decoder.embed_tokens.weight"]), "shared embeddings differ"
    # strict: every file tensor is used and every model parameter is present.
    model.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in tensors.items()},
                          strict=True)
    model.eval()
    return cfg, model


# --quantize int8: id(weight) -> (int8 values as float64, per-row scale)
# for every weight matrix whose matmuls quantize their input rows.
INT8_WEIGHTS = {}


def linear(x, W, b):
    """x @ W^T + b: float32, or the int8 arithmetic when W was quantized so."""
    if id(W) in INT8_WEIGHTS:
        return int8_linear(x, *INT8_WEIGHTS[id(W)], b)
    return F.linear(x, W, b)


def int8_linear(x, qw, sw, b):
    """ltcc --quantize int8's matmul.  Each row of x is quantized by the
    weights' rule (q_x, s_x, see i8_rows); the sums q_x . q_w are exact
    integers (float64 holds them exactly) rounded once to float32, as C's
    (float)int32 does; then ((sum * s_x) * s_w) + b, every step in float32."""
    qx, sx = i8_rows(x)
    if TIES is not None:
        qx = TIES.settle(x, qx, sx)
    acc = (qx.double() @ qw.t()).float()
    y = acc * sx[:, None] * sw[None, :]
    return y if b is None else y + b


class Ties:
    """The input rows a compiled int8 model quantized (regress/driver.c's
    trace: records int32 n, float32 s, int16 q[n]), to settle near ties.

    This file and the C agree on every float32 rule, but their float
    arithmetic before a matmul (sums in another order, libm) differs by an
    ulp or so, and where x * 127/m lands within that noise of a .5 the two
    can round apart: one step of q, which moves that output by s_x * s_w *
    q_w, far beyond the goldens' 1e-4.  So a row of ours that no traced row
    matches exactly may take a traced row's values instead, but only one
    whose scale agrees to 1e-5 and which differs from ours only by one step
    at elements within TIE_EPS of a tie.  Everything else is still computed
    here: a wrong row in the C finds no counterpart and shows in the
    comparison."""

    TIE_EPS = 2e-3

    def __init__(self, path):
        raw = open(path, "rb").read()
        rows, at = {}, 0
        while at < len(raw):
            n, s = np.frombuffer(raw, np.int32, 1, at)[0], np.frombuffer(raw, np.float32, 1, at + 4)[0]
            q = np.frombuffer(raw, np.int16, n, at + 8)
            rows.setdefault(int(n), []).append((s, q))
            at += 8 + 2 * int(n)
        self.exact = {(n, q.tobytes()) for n, r in rows.items() for _, q in r}
        self.by_n = {n: (np.array([s for s, _ in r]), np.stack([q for _, q in r])) for n, r in rows.items()}
        self.matched = self.settled = self.unmatched = 0
        self.worst = 0.0

    def settle(self, x, q, s):
        q = q.clone()
        n = q.shape[1]
        for t in range(q.shape[0]):
            mine = q[t].numpy().astype(np.int16)
            if (n, mine.tobytes()) in self.exact:
                self.matched += 1
                continue
            m = float(s[t]) * 127.0
            v = np.abs(x[t].numpy().astype(np.float64) * (127.0 / m)) if m > 0 else np.zeros(n)
            dist = np.abs(v - np.floor(v) - 0.5)
            near = dist < self.TIE_EPS
            S, Q = self.by_n.get(n, (np.zeros(0), np.zeros((0, n), np.int16)))
            diff = np.abs(Q.astype(np.int32) - mine)
            ok = ((diff == 0) | (near & (diff == 1))).all(axis=1) & (np.abs(S - float(s[t])) <= 1e-5 * float(s[t]))
            if not ok.any():
                self.unmatched += 1
                continue
            theirs = Q[np.argmax(ok)]
            self.worst = max(self.worst, float(dist[theirs != mine].max()))
            q[t] = torch.from_numpy(theirs.astype(np.float32))
            self.settled += 1
        return q

    def summary(self):
        return "ties: %d rows as traced, %d settled from the trace (farthest %.1e from a tie), %d unmatched" % (
            self.matched, self.settled, self.worst, self.unmatched)


TIES = None


def round_half_away(x):
    """Round to nearest, ties away from zero (C's roundf), exact in float32:
    x - trunc(x) is exact, so the tie test sees the true fraction."""
    t = torch.trunc(x)
    return t + torch.sign(x) * ((x - t).abs() >= 0.5).to(x.dtype)


def i8_rows(W):
    """Int8 rows with one scale per row, (q as float32, s).  Per row r:
    m = max|W[r]|; q = round(W[r] * (127/m)) half away from zero, clamped
    to [-127, 127], and s = m/127, every operation in float32; a row with
    m below 2^-96 (0 too), or not finite, gives q = 0 and s = 0."""
    f127 = torch.tensor(127.0, dtype=torch.float32)
    m = W.abs().amax(dim=1)
    zero = (m < 2.0 ** -96) | ~torch.isfinite(m)
    m = torch.where(zero, torch.zeros_like(m), m)
    inv = f127 / torch.where(zero, torch.ones_like(m), m)
    q = round_half_away(W * inv[:, None]).clamp(-127, 127)
    q = torch.where(zero[:, None], torch.zeros_like(q), q)
    return q, m / f127


def w8_rows(W):
    """W through i8_rows, as float32 q * s."""
    q, s = i8_rows(W)
    return q * s[:, None]


def fold_q_scale(model):
    """ltcc's q-scale fold: W_q and b_q times hd^-0.5, in float32, as
    compiler/fuse.c does before it quantizes."""
    for mod in model.modules():
        if isinstance(mod, Attention):
            hd = torch.tensor(float(mod.width // mod.heads), dtype=torch.float32)
            c = torch.tensor(1.0, dtype=torch.float32) / torch.sqrt(hd)
            mod.q_proj.weight.data *= c
            mod.q_proj.bias.data *= c
            mod.scaling = 1.0


def ltcc_compresses(W):
    """Does ltcc (--compress auto, its default) store W compressed?  When
    its values are at most 256 distinct floats (0.0 and -0.0 one) and the
    smallest of its formats beats fp32 (compiler/compress.c): D8 a byte a
    weight, D4 half that (16 values at most), S4 a byte per nonzero plus a
    skip for each 256 positions of zeros a gap over 16 spans (rounded to
    16s), and those past the last nonzero to the end; D8 and D4 plus 4 bytes
    a codebook value, S4 plus 4 for each of 0.0 and the nonzero values (16
    at most).  --quantize leaves such a matrix as it is."""
    v = W.detach().flatten().double().numpy()
    book = np.unique(np.where(v == 0, 0.0, v))
    nb, n = len(book), v.size
    if nb > 256:
        return False
    best = n + 4 * nb
    if nb <= 16:
        best = min(best, (n + 1) // 2 + 4 * nb)
    ns = nb + (0 if (book == 0).any() else 1)
    if ns <= 16:
        nz = np.flatnonzero(v != 0)
        last = nz[-1] if nz.size else -1
        gaps = np.diff(np.concatenate([[-1], nz]))
        blocks = (gaps - 1) // 16  # 16s a gap's skips pass, at most 16 a skip
        tail = (n - last + 15) // 16
        s4 = nz.size + int(np.sum((blocks + 15) // 16)) + (tail + 15) // 16
        best = min(best, s4 + 4 * ns)
    return best < 4 * n


def quantized(model, name, p):
    """Which parameters --quantize turns into int8 rows: every 2-D one
    except learned position tables (*.embed_positions.weight), which ltcc
    keeps in float32, and those it stores compressed (ltcc_compresses;
    never in a model with an adaptive input or softmax, which ltcc does not
    compress)."""
    if p.dim() != 2 or name.endswith("embed_positions.weight"):
        return False
    adaptive = "adaptive_input" in model.cfg or model.cfg.get("output") == "adaptive"
    return adaptive or not ltcc_compresses(p)


def quantize_int8(model):
    """The model ltcc --quantize int8 compiles: the w8 weights, and every
    nn.Linear and the output matmul through int8_linear.  An embedding
    lookup reads its int8 rows times their scales, as in w8."""
    fold_q_scale(model)
    for name, p in model.named_parameters():
        if quantized(model, name, p):
            q, s = i8_rows(p.data)
            p.data = q * s[:, None]
            INT8_WEIGHTS[id(p)] = (q.double(), s)
    for mod in model.modules():
        if isinstance(mod, nn.Linear):
            mod.forward = lambda x, m=mod: linear(x, m.weight, m.bias)


def quantize_w8(model):
    """The weights ltcc --quantize w8 stores.  Its q-scale fold comes first
    (W_q and b_q times hd^-0.5, in float32, as compiler/fuse.c does), then
    every matrix a matmul reads -- every 2-D parameter: linears, the dynamic
    conv's tap projection, embeddings, the output matrix -- goes through
    w8_rows (learned position tables excepted, see quantized).
    Activations, biases, norms and conv kernels stay float32."""
    fold_q_scale(model)
    for name, p in model.named_parameters():
        if quantized(model, name, p):
            p.data = w8_rows(p.data)


def cases(cfg):
    """(case name, src tokens, tgt tokens); ids uniform in [4, vocab), seeded per case."""
    eos = cfg["tokens"]["eos"]
    if cfg["kind"] == "encdec":
        spec = [("src1", 1, 3), ("short", 5, 6), ("max", cfg["max_source"], cfg["max_target"])]
    else:
        spec = [("len1", 0, 1), ("short", 0, 9), ("max", 0, cfg["max_target"])]
    out = []
    for case, n, m in spec:
        assert n <= cfg["max_source"] and m <= cfg["max_target"]
        rng = np.random.default_rng(zlib.crc32(("%s-%s" % (cfg["name"], case)).encode()))
        src = [int(t) for t in rng.integers(4, cfg["src_vocab"], n)] if n else []
        tgt = [eos] + [int(t) for t in rng.integers(4, cfg["tgt_vocab"], m - 1)]
        out.append((case, src, tgt))
    return out


def pick(row):
    """argmax (first index on ties) and top1 - top2 margin of a float32 row."""
    row = row.numpy()
    best = int(np.argmax(row))
    top2 = np.partition(row, -2)[-2:] if row.size > 1 else np.array([row[0], -np.inf])
    return best, float(top2.max()) - float(top2.min())


def greedy_plan(cfg, tgt):
    """Prefix, number of decisions and eos-stop rule for a case's greedy path."""
    if cfg["kind"] == "encdec":
        return [cfg["tokens"]["eos"]], min(20, cfg["max_target"] - 1), True
    return list(tgt), min(10, cfg["max_target"] - len(tgt)), True


def greedy_full(model, cfg, enc, tgt):
    prefix, steps, stop_eos = greedy_plan(cfg, tgt)
    seq, gen, margin = list(prefix), [], math.inf
    for _ in range(steps):
        tok, m = pick(model.decode(seq, enc)[-1])
        margin = min(margin, m)
        if stop_eos and tok == cfg["tokens"]["eos"]:
            break
        gen.append(tok)
        seq.append(tok)
    return gen, margin


def greedy_incremental(model, cfg, enc, tgt):
    prefix, steps, stop_eos = greedy_plan(cfg, tgt)
    cache, gen, margin = {}, [], math.inf
    for t, tok in enumerate(prefix):
        row = model.decode_step(tok, t, enc, cache)[0]
    for i in range(steps):
        tok, m = pick(row)
        margin = min(margin, m)
        if stop_eos and tok == cfg["tokens"]["eos"]:
            break
        gen.append(tok)
        if i + 1 < steps:  # the last token is never fed back
            row = model.decode_step(tok, len(prefix) + i, enc, cache)[0]
    return gen, margin


def fmt(v):
    return "%.9g" % v


def write_golden(path, src, enc, tgt, logits, gen, margin):
    lines = ["ltcc-golden 1",
             " ".join(["src", str(len(src))] + [str(t) for t in src])]
    def block(head, arr):
        lines.append(head)
        flat = arr.reshape(-1).tolist()
        for i in range(0, len(flat), 8):  # 8 values per line
            lines.append(" ".join(fmt(v) for v in flat[i:i + 8]))
    block("enc %d %d" % tuple(enc.shape), enc)
    lines.append(" ".join(["tgt", str(len(tgt))] + [str(t) for t in tgt]))
    block("logits %d %d" % tuple(logits.shape), logits)
    lines.append(" ".join(["greedy", str(len(gen)), fmt(margin)] + [str(t) for t in gen]))
    lines.append("end")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def generate(cfg_path, weights_path, outdir, quantize=None, ties=None):
    global TIES
    cfg, model = load_model(cfg_path, weights_path)
    if quantize and (cfg.get("adaptive_input") is not None or cfg["output"] == "adaptive"):
        sys.exit("reference.py: --quantize %s: %s has an adaptive input or softmax, "
                 "which ltcc does not quantize" % (quantize, cfg["name"]))
    if quantize == "w8":
        quantize_w8(model)
    elif quantize == "int8":
        quantize_int8(model)
    os.makedirs(outdir, exist_ok=True)
    for case, src, tgt in cases(cfg):
        if ties:
            TIES = Ties(os.path.join(ties, "%s-%s.golden.qtrace" % (cfg["name"], case)))
        enc = model.encode(src)
        logits = model.decode(tgt, enc)
        assert torch.isfinite(logits).all() and torch.isfinite(enc).all()
        gen, margin = greedy_full(model, cfg, enc, tgt)
        path = os.path.join(outdir, "%s-%s.golden" % (cfg["name"], case))
        write_golden(path, src, enc, tgt, logits, gen, margin)
        print("%s: src %d tgt %d logits |max| %.3g std %.3g greedy %d margin %.3g" % (
            path, len(src), len(tgt), logits.abs().max(), logits.std(), len(gen), margin))
        if TIES is not None:
            print("  " + TIES.summary())


def selfcheck(cfg_path, weights_path):
    cfg, model = load_model(cfg_path, weights_path)
    ok = True
    for case, src, tgt in cases(cfg):
        enc = model.encode(src)
        full = model.decode(tgt, enc)
        cache = {}
        inc = torch.cat([model.decode_step(tok, t, enc, cache) for t, tok in enumerate(tgt)])
        diff = float((full - inc).abs().max())
        g_full, m_full = greedy_full(model, cfg, enc, tgt)
        g_inc, _ = greedy_incremental(model, cfg, enc, tgt)
        # A near-tie could legitimately flip the greedy path; only then tolerate it.
        same = g_full == g_inc or m_full < 1e-4
        good = diff <= SELFCHECK_TOL and same
        ok &= good
        print("%s-%s: step-vs-full max|diff| %.3g, greedy %s (%d tokens): %s" % (
            cfg["name"], case, diff, "same" if g_full == g_inc else "DIFFERS", len(g_full),
            "ok" if good else "FAIL"))
    if not ok:
        sys.exit("selfcheck FAILED for %s" % cfg["name"])


def main(argv):
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    with torch.no_grad():
        if len(argv) == 4 and argv[1] == "--selfcheck":
            selfcheck(argv[2], argv[3])
        elif len(argv) == 4 and not argv[1].startswith("-"):
            generate(argv[1], argv[2], argv[3])
        elif len(argv) == 6 and argv[1] == "--quantize" and argv[2] in ("w8", "int8"):
            generate(argv[3], argv[4], argv[5], quantize=argv[2])
        elif len(argv) == 8 and argv[1:3] == ["--quantize", "int8"] and argv[3] == "--ties":
            generate(argv[5], argv[6], argv[7], quantize="int8", ties=argv[4])
        else:
            sys.exit(__doc__.strip().split("\n\n")[1])


if __name__ == "__main__":
    main(sys.argv)
