#!/usr/bin/python3
"""Generate seeded random Lite Transformer test models for ltcc.

usage: gen_models.py OUTDIR [NAME...]     (default: all models)

Writes OUTDIR/NAME.json (the config, schema in tools/README-reference.md) and
OUTDIR/NAME.safetensors holding exactly the tensors the model uses, under
fairseq state-dict names.  Weights come from numpy default_rng(crc32(NAME)),
so every run produces byte-identical files.
"""
import json
import math
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

TOKENS = {"bos": 0, "pad": 1, "eos": 2, "unk": 3}


def attn(width, heads):
    return {"kind": "attn", "width": width, "heads": heads}


def conv(kind, width, heads, kernel, glu):
    return {"kind": kind, "width": width, "heads": heads, "kernel": kernel, "glu": glu}


def layer(*branches, plain=False):
    return {"plain": plain, "branches": list(branches)}


def stack(norm, final_norm, ffn, activation, weight_softmax, layers, cross_heads=None,
          positions=None, learned_rows=None, input_dim=None, output_dim=None):
    """A STACK; the optional keys are written only when given, so the
    configs made before they existed stay byte-identical."""
    s = {"norm": norm, "final_norm": final_norm, "ffn": ffn, "activation": activation,
         "weight_softmax": weight_softmax}
    if cross_heads is not None:
        s["cross_heads"] = cross_heads
    for k, v in (("positions", positions), ("learned_rows", learned_rows),
                 ("input_dim", input_dim), ("output_dim", output_dim)):
        if v is not None:
            s[k] = v
    s["layers"] = layers
    return s


def _two_branch(kernels, aw, ah, kind, cw, ch, glu):
    return [layer(attn(aw, ah), conv(kind, cw, ch, k, glu)) for k in kernels]


K6 = [3, 7, 15, 31, 31, 31]

MODELS = {
    # WMT-style: attn + dynamic conv (GLU), shared embeddings, tied output.
    "wmt": {
        "name": "wmt", "kind": "encdec", "dim": 200,
        "src_vocab": 288, "tgt_vocab": 288, "max_source": 64, "max_target": 64,
        "tokens": TOKENS, "embeddings": "shared", "output": "tied",
        "encoder": stack("post", False, 200, "relu", True,
                         _two_branch(K6, 100, 4, "dynamic", 100, 4, True)),
        "decoder": stack("post", False, 200, "relu", True,
                         _two_branch(K6, 100, 4, "dynamic", 100, 4, True), cross_heads=8),
    },
    # IWSLT-style: attn + lightweight conv (no GLU), everything separate.
    "iwslt": {
        "name": "iwslt", "kind": "encdec", "dim": 160,
        "src_vocab": 300, "tgt_vocab": 260, "max_source": 64, "max_target": 64,
        "tokens": TOKENS, "embeddings": "separate", "output": "separate",
        "encoder": stack("post", False, 160, "relu", True,
                         _two_branch(K6, 80, 4, "lightweight", 80, 4, False)),
        "decoder": stack("post", False, 160, "relu", True,
                         _two_branch(K6, 80, 4, "lightweight", 80, 4, False), cross_heads=4),
    },
    # Decoder-only language model, pre-norm.
    "lm": {
        "name": "lm", "kind": "lm", "dim": 128,
        "src_vocab": 0, "tgt_vocab": 96, "max_source": 0, "max_target": 96,
        "tokens": TOKENS, "embeddings": "separate", "output": "tied",
        "decoder": stack("pre", False, 256, "relu", True,
                         _two_branch([15, 15, 31, 31, 31, 31], 64, 4, "dynamic", 64, 4, True)),
    },
    # Small model covering the remaining features: pre-norm with final norms,
    # gelu, weight_softmax off, a plain layer, conv-before-attn branch order,
    # lightweight conv with GLU, separate embeddings with tied output.
    "mixed": {
        "name": "mixed", "kind": "encdec", "dim": 64,
        "src_vocab": 50, "tgt_vocab": 40, "max_source": 16, "max_target": 16,
        "tokens": TOKENS, "embeddings": "separate", "output": "tied",
        "encoder": stack("pre", True, 96, "gelu", False, [
            layer(attn(64, 4), plain=True),
            layer(conv("dynamic", 32, 2, 9, False), attn(32, 2)),
        ]),
        "decoder": stack("pre", True, 96, "gelu", False, [
            layer(attn(32, 4), conv("lightweight", 32, 4, k, True)) for k in [4, 3]
        ], cross_heads=2),
    },
    # The authors' WIKITEXT-103 LM layout, scaled down: adaptive input and an
    # adaptive softmax tied to it (weights and projections).
    "alm": {
        "name": "alm", "kind": "lm", "dim": 64,
        "src_vocab": 0, "tgt_vocab": 300, "max_source": 0, "max_target": 24,
        "tokens": TOKENS, "embeddings": "separate", "output": "adaptive",
        "adaptive_input": {"cutoffs": [40, 120], "factor": 4.0},
        "adaptive_softmax": {"cutoffs": [40, 120], "factor": 4.0, "tie_weights": True, "tie_proj": True},
        "decoder": stack("pre", False, 128, "relu", True,
                         _two_branch([3, 7, 15], 32, 4, "dynamic", 32, 4, True), positions="sinusoidal"),
    },
    # Learned positions, input/output projections (E 32, D 48, O 40), an
    # untied adaptive softmax, an even lightweight kernel.
    "plm": {
        "name": "plm", "kind": "lm", "dim": 48,
        "src_vocab": 0, "tgt_vocab": 120, "max_source": 0, "max_target": 20,
        "tokens": TOKENS, "embeddings": "separate", "output": "adaptive",
        "adaptive_softmax": {"cutoffs": [30, 70], "factor": 2.0, "tie_weights": False, "tie_proj": False},
        "decoder": stack("pre", True, 96, "gelu", True, [
            layer(attn(48, 4), plain=True),
            layer(conv("lightweight", 24, 2, 4, False), attn(24, 2)),
        ], positions="learned", learned_rows=29, input_dim=32, output_dim=40),
    },
    # Encoder with learned positions and even kernels (4 and 2); decoder with
    # no positions and projections in and out of a narrower tied embedding.
    "xenc": {
        "name": "xenc", "kind": "encdec", "dim": 48,
        "src_vocab": 90, "tgt_vocab": 100, "max_source": 16, "max_target": 16,
        "tokens": TOKENS, "embeddings": "separate", "output": "tied",
        "encoder": stack("post", False, 64, "relu", True, [
            layer(conv("dynamic", 24, 2, 4, True), attn(24, 3)),
            layer(conv("lightweight", 24, 2, 2, False), attn(24, 2)),
        ], positions="learned", learned_rows=21),
        "decoder": stack("post", False, 64, "relu", True, [
            layer(attn(24, 2), conv("dynamic", 24, 2, 3, False)) for _ in range(2)
        ], cross_heads=4, positions="none", input_dim=32, output_dim=32),
    },
    # Pruned and weight-shared matrices (see compress_weights): a post-norm
    # encoder (residual LayerNorm fused into the matmul, dynamic conv with
    # GLU) and a pre-norm decoder (LayerNorm fused into the next matmul,
    # dynamic conv without GLU, lightweight conv); an odd FFN width, so a
    # 4-bit row may start mid-byte.
    "czm": {
        "name": "czm", "kind": "encdec", "dim": 48,
        "src_vocab": 40, "tgt_vocab": 36, "max_source": 16, "max_target": 16,
        "tokens": TOKENS, "embeddings": "separate", "output": "tied",
        "encoder": stack("post", False, 75, "relu", True, [
            layer(attn(24, 2), conv("dynamic", 24, 2, 5, True)),
            layer(conv("lightweight", 16, 2, 3, False), attn(32, 4)),
        ]),
        "decoder": stack("pre", True, 75, "relu", True, [
            layer(attn(24, 2), conv("dynamic", 24, 2, 3, False)),
            layer(attn(48, 4), plain=True),
        ], cross_heads=2),
    },
}

# Models whose matrices are made compressible (compress_weights).
COMPRESSED = {"czm"}


class Gen:
    """Draws fairseq-like initial values in a fixed order."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.t = {}

    def xavier(self, name, rows, cols, gain=1.0):
        bound = gain * math.sqrt(6.0 / (rows + cols))
        self.t[name] = self.rng.uniform(-bound, bound, (rows, cols)).astype(np.float32)

    def normal(self, name, shape, std, mean=0.0):
        self.t[name] = (mean + std * self.rng.standard_normal(shape)).astype(np.float32)

    def linear(self, name, out_f, in_f, bias=True):
        self.xavier(name + ".weight", out_f, in_f)
        if bias:
            self.normal(name + ".bias", (out_f,), 0.02)

    def layer_norm(self, name, dim):
        self.normal(name + ".weight", (dim,), 0.1, mean=1.0)
        self.normal(name + ".bias", (dim,), 0.05)

    def mha(self, prefix, dim):
        for p in ("q_proj", "k_proj", "v_proj", "out_proj"):
            self.linear(prefix + p, dim, dim)

    def embedding(self, name, vocab, dim, pad, gain=1.0):
        self.normal(name, (vocab, dim), gain * dim ** -0.5)
        if pad is not None and pad < vocab:
            self.t[name][pad] = 0.0  # fairseq zeroes the padding row


CLUSTER_GAIN = 3.0


def band_cutoffs(cutoffs, vocab):
    """fairseq's rule: vocab is appended when it is past the last cutoff."""
    return list(cutoffs) + ([vocab] if vocab > cutoffs[-1] else [])


def gen_embed(g, cfg, side, st_cfg):
    """Token embedding (plain or adaptive), project_in_dim, positions."""
    d, pad = cfg["dim"], cfg["tokens"]["pad"]
    vocab = cfg["tgt_vocab" if side == "decoder" else "src_vocab"]
    e = st_cfg.get("input_dim", d)
    ai = cfg.get("adaptive_input") if side == "decoder" else None
    if ai is not None:
        prev = 0
        for i, c in enumerate(band_cutoffs(ai["cutoffs"], vocab)):
            dim = int(e // (ai["factor"] ** i))
            p = "%s.embed_tokens.embeddings.%d." % (side, i)
            # fairseq's AdaptiveInput zeroes row pad of every band.  A tied
            # adaptive softmax scores tail words by (their band-i input
            # embedding) . y, which fairseq's init leaves large in the narrow
            # bands: scale the bands i >= 1 down by 0.5 * 0.7 to keep the
            # log-probs in a well-conditioned range.
            g.embedding(p + "0.weight", c - prev, dim, pad, gain=0.5 if i else 1.0)
            g.xavier(p + "1.weight", d, dim, gain=0.7 if i else 1.0)
            prev = c
    else:
        g.embedding(side + ".embed_tokens.weight", vocab, e, pad)
        if e != d:
            g.xavier(side + ".project_in_dim.weight", d, e)
    if st_cfg.get("positions") == "learned":
        g.embedding(side + ".embed_positions.weight", st_cfg["learned_rows"], d, pad)


def gen_output(g, cfg, st_cfg):
    """project_out_dim and the output layer's own tensors (tied ones have none)."""
    d, vocab = cfg["dim"], cfg["tgt_vocab"]
    o = st_cfg.get("output_dim", d)
    if o != d:
        g.xavier("decoder.project_out_dim.weight", o, d)
    if cfg["output"] == "separate":
        g.normal("decoder.embed_out", (vocab, o), o ** -0.5)
    elif cfg["output"] == "adaptive":
        sm = cfg["adaptive_softmax"]
        cut = band_cutoffs(sm["cutoffs"], vocab)
        ntail, p = len(cut) - 1, "decoder.adaptive_softmax."
        # The cluster logits get a larger gain than fairseq's init gives
        # them, so that greedy decoding meets clusters likely enough to be
        # computed and tail words that win (trained models have both).
        if sm["tie_weights"]:
            g.xavier(p + "head.class_proj.weight", ntail, o, gain=CLUSTER_GAIN / 2)
        else:
            g.xavier(p + "head.weight", cut[0] + ntail, o)
            g.t[p + "head.weight"][cut[0]:] *= CLUSTER_GAIN
        for i in range(ntail):
            dim = int(o // sm["factor"] ** (i + 1))
            if not sm["tie_proj"]:
                g.xavier(p + "tail.%d.0.weight" % i, dim, o)
            if not sm["tie_weights"]:
                g.xavier(p + "tail.%d.2.weight" % i, cut[i + 1] - cut[i], dim)


def gen_stack(g, cfg, side, st_cfg):
    d = cfg["dim"]
    for i, lay in enumerate(st_cfg["layers"]):
        p = "%s.layers.%d." % (side, i)
        if lay["plain"]:
            g.mha(p + "self_attn.", d)
        else:
            for b, br in enumerate(lay["branches"]):
                bp = "%sself_attn.branches.%d." % (p, b)
                w = br["width"]
                if br["kind"] == "attn":
                    g.mha(bp, w)
                    continue
                g.linear(bp + "linear1", 2 * w if br["glu"] else w, w)
                if br["kind"] == "dynamic":
                    g.xavier(bp + "weight_linear.weight", br["heads"] * br["kernel"], w)
                else:
                    g.normal(bp + "weight", (br["heads"], 1, br["kernel"]), 1.0)
                g.linear(bp + "linear2", w, w)
        g.layer_norm(p + "self_attn_layer_norm", d)
        if side == "decoder" and cfg["kind"] == "encdec":
            g.mha(p + "encoder_attn.", d)
            g.layer_norm(p + "encoder_attn_layer_norm", d)
        g.linear(p + "fc1", st_cfg["ffn"], d)
        g.linear(p + "fc2", d, st_cfg["ffn"])
        g.layer_norm(p + "final_layer_norm", d)
    if st_cfg["final_norm"]:
        g.layer_norm(side + ".layer_norm", d)


def gen_weights(cfg):
    g = Gen(zlib.crc32(cfg["name"].encode()))
    d, pad = cfg["dim"], cfg["tokens"]["pad"]
    if cfg["kind"] == "encdec":
        gen_embed(g, cfg, "encoder", cfg["encoder"])
        gen_stack(g, cfg, "encoder", cfg["encoder"])
    if cfg["embeddings"] == "shared":
        # fairseq state dicts carry the shared matrix under both names.
        g.t["decoder.embed_tokens.weight"] = g.t["encoder.embed_tokens.weight"].copy()
        if cfg["decoder"].get("positions") == "learned":
            g.embedding("decoder.embed_positions.weight", cfg["decoder"]["learned_rows"], d, pad)
    else:
        gen_embed(g, cfg, "decoder", cfg["decoder"])
    gen_stack(g, cfg, "decoder", cfg["decoder"])
    gen_output(g, cfg, cfg["decoder"])
    return g.t


def compress_weights(t, seed):
    """Every 2-D matrix turned into what tools/ltcc-compress writes: the
    values on a codebook, zeros where pruned. By turns, so each of ltcc's
    formats is met: 90% pruned with 15 shared values (long gaps, the
    first row all zero), 60% pruned with 15, 16 shared values unpruned,
    200 shared values 30% pruned, and left as it is (fp32, which
    --quantize then quantizes); the embeddings 256 values, unpruned."""
    rng = np.random.default_rng(seed)
    mats = [n for n in t if t[n].ndim == 2]
    for i, n in enumerate(mats):
        w = t[n].astype(np.float64)
        if "embed_tokens" in n:
            sparsity, k = 0.0, 256
        else:
            sparsity, k = [(0.9, 15), (0.6, 15), (0.0, 16), (0.3, 200), (0.0, 0)][i % 5]
            if not k:
                continue
        flat = np.abs(w).ravel()
        keep = np.ones(w.shape, dtype=bool)
        if sparsity:
            keep = np.abs(w) > np.quantile(flat, sparsity)
            if i % 5 == 0:
                keep[0] = False
        book = np.quantile(w[keep], (np.arange(k) + 0.5) / k)
        lab = np.abs(w[..., None] - book).argmin(-1)
        t[n] = np.where(keep, book[lab], 0.0).astype(np.float32)
    return t


def main(argv):
    if len(argv) < 2 or argv[1].startswith("-"):
        sys.exit("usage: gen_models.py OUTDIR [NAME...]   (names: %s)" % " ".join(MODELS))
    outdir, names = argv[1], argv[2:] or list(MODELS)
    for name in names:
        if name not in MODELS:
            sys.exit("gen_models.py: unknown model %r (have: %s)" % (name, " ".join(MODELS)))
    os.makedirs(outdir, exist_ok=True)
    for name in names:
        cfg = MODELS[name]
        with open(os.path.join(outdir, name + ".json"), "w") as f:
            json.dump(cfg, f, indent=1)
            f.write("\n")
        w = gen_weights(cfg)
        if name in COMPRESSED:
            w = compress_weights(w, zlib.crc32(name.encode()) + 1)
        st.save(os.path.join(outdir, name + ".safetensors"), w,
                {"format": "pt", "model": name})
        print("wrote %s/%s.{json,safetensors}" % (outdir, name))


if __name__ == "__main__":
    main(sys.argv)
