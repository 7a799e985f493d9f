#!/usr/bin/python3
"""Write the weight files of the malformed-input suite (tests/err/).

usage: tests/err/make_bad_weights.py [DIR]      (default: this script's folder)

Every file starts from one tiny model, toy.ltd: decoder-only, D=8, vocab 8,
one layer with an attention branch and a lightweight-conv branch. Its
weights are a fixed pattern (no randomness, no numpy), so every run writes
the same bytes and the byte counts quoted in the .err files stay put.
The files are committed; rerun this only after changing it.
"""
import json
import os
import struct
import sys

D, V, W, H, K, FFN = 8, 8, 4, 2, 3, 8
L = "decoder.layers.0."
B0, B1 = L + "self_attn.branches.0.", L + "self_attn.branches.1."


def toy_shapes():
    """Tensor name -> shape, in file order: exactly what toy.ltd binds."""
    s = {"decoder.embed_tokens.weight": (V, D)}
    for p in ("q_proj", "k_proj", "v_proj", "out_proj"):
        s[B0 + p + ".weight"] = (W, W)
        s[B0 + p + ".bias"] = (W,)
    s[B1 + "linear1.weight"] = (W, W)
    s[B1 + "linear1.bias"] = (W,)
    s[B1 + "weight"] = (H, 1, K)
    s[B1 + "linear2.weight"] = (W, W)
    s[B1 + "linear2.bias"] = (W,)
    for n in ("self_attn_layer_norm", "final_layer_norm"):
        s[L + n + ".weight"] = (D,)
        s[L + n + ".bias"] = (D,)
    s[L + "fc1.weight"] = (FFN, D)
    s[L + "fc1.bias"] = (FFN,)
    s[L + "fc2.weight"] = (D, FFN)
    s[L + "fc2.bias"] = (D,)
    return s


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def values(n, seed):
    """A fixed pattern of k/16, |k| <= 6: exact in F32, F16 and BF16."""
    return [((i * 7 + seed * 3) % 13 - 6) / 16 for i in range(n)]


def encode(vals, dtype):
    if dtype == "F32":
        return struct.pack("<%df" % len(vals), *vals)
    if dtype == "F16":
        return struct.pack("<%de" % len(vals), *vals)
    if dtype == "BF16":   # the top half of the F32 bits
        return b"".join(struct.pack("<f", v)[2:] for v in vals)
    if dtype == "I32":
        return struct.pack("<%di" % len(vals), *[int(v * 16) for v in vals])
    raise ValueError(dtype)


def tensors(shapes=None, dtypes=None):
    """[(name, dtype, shape, raw bytes)] for the toy model."""
    shapes = shapes or toy_shapes()
    dtypes = dtypes or {}
    out = []
    for i, (name, shape) in enumerate(shapes.items()):
        dt = dtypes.get(name, "F32")
        out.append((name, dt, list(shape), encode(values(numel(shape), i), dt)))
    return out


def header_of(ts):
    hdr, off = {}, 0
    for name, dt, shape, raw in ts:
        hdr[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(raw)]}
        off += len(raw)
    return hdr


def pack(hdr_bytes, data, hlen=None):
    hdr_bytes += b" " * (-len(hdr_bytes) % 8)
    n = len(hdr_bytes) if hlen is None else hlen
    return struct.pack("<Q", n) + hdr_bytes + data


def save(ts, hdr=None, **kw):
    hdr = header_of(ts) if hdr is None else hdr
    hdr["__metadata__"] = {"format": "pt"}
    data = b"".join(raw for _, _, _, raw in ts)
    return pack(json.dumps(hdr, separators=(",", ":")).encode(), data, **kw)


def build():
    """File name -> bytes."""
    f = {}
    good = tensors()
    f["toy"] = save(good)

    # a tensor the model needs is absent
    f["safetensors-missing-tensor"] = save([t for t in good if t[0] != L + "fc2.bias"])

    # fc1.weight stored as (8, 4): consistent in itself, wrong for the model
    sh = toy_shapes()
    sh[L + "fc1.weight"] = (FFN, D // 2)
    f["safetensors-wrong-shape"] = save(tensors(sh))

    # cut off in the middle of the last tensors
    whole = save(good)
    f["safetensors-truncated"] = whole[:len(whole) - 40]

    # the 8-byte length promises more header than the file holds
    f["safetensors-header-past-eof"] = save(good, hlen=len(whole) + 64)

    # fc2.bias claims the bytes of fc2.weight's tail
    hdr = header_of(good)
    e = hdr[L + "fc2.weight"]["data_offsets"][1]
    hdr[L + "fc2.bias"]["data_offsets"] = [e - 16, e + 16]
    f["safetensors-overlap"] = save(good, hdr)

    # an integer tensor
    f["safetensors-bad-dtype"] = save(tensors(dtypes={L + "fc1.bias": "I32"}))

    # header with a syntax error: a trailing comma
    data = b"".join(t[3] for t in good)
    bad = json.dumps(header_of(good), separators=(",", ":"))[:-1] + ",}"
    f["safetensors-bad-json"] = pack(bad.encode(), data)

    # valid JSON, but an array rather than an object
    f["safetensors-not-object"] = pack(b"[1, 2, 3]", data)

    # valid JSON object, then more bytes inside the header
    f["safetensors-trailing-bytes"] = pack(json.dumps(header_of(good)).encode() + b"xyz", data)

    # an entry lacking dtype
    hdr = header_of(good)
    del hdr[L + "fc1.bias"]["dtype"]
    f["safetensors-missing-dtype"] = save(good, hdr)

    # dtype F16 with offsets spanning F32 bytes
    hdr = header_of(good)
    hdr[L + "fc1.bias"]["dtype"] = "F16"
    f["safetensors-size-mismatch"] = save(good, hdr)

    # data_offsets with end < begin
    hdr = header_of(good)
    b, e = hdr[L + "fc1.bias"]["data_offsets"]
    hdr[L + "fc1.bias"]["data_offsets"] = [e, b]
    f["safetensors-bad-offsets"] = save(good, hdr)

    # a NaN in a weight
    ts = list(good)
    i = [t[0] for t in ts].index(L + "fc1.bias")
    name, dt, shape, raw = ts[i]
    ts[i] = (name, dt, shape, raw[:8] + struct.pack("<f", float("nan")) + raw[12:])
    f["safetensors-nonfinite"] = save(ts)

    # empty, and shorter than the 8-byte length
    f["safetensors-empty"] = b""
    f["safetensors-short"] = b"\x10\x00\x00"

    # one tensor the model does not use: a warning, the compile succeeds
    sh = toy_shapes()
    sh["decoder.extra.weight"] = (2, 2)
    f["safetensors-unused-tensor"] = save(tensors(sh))

    # learned positions: the table needs pad + 1 + max_target = 10 rows
    sh = toy_shapes()
    sh["decoder.embed_positions.weight"] = (6, D)
    f["safetensors-short-positions"] = save(tensors(sh))

    # a tied adaptive softmax whose copy of the input's band 1 differs from it
    sh = toy_shapes()
    del sh["decoder.embed_tokens.weight"]
    E = "decoder.embed_tokens.embeddings."
    sh.update({E + "0.0.weight": (4, D), E + "0.1.weight": (D, D), E + "1.0.weight": (4, 4),
               E + "1.1.weight": (D, 4), "decoder.adaptive_softmax.head.class_proj.weight": (1, D),
               "decoder.adaptive_softmax.tail.0.0.weight": (4, D),
               "decoder.adaptive_softmax.tail.0.2.weight": (4, 4)})
    f["safetensors-tied-differs"] = save(tensors(sh))

    # F16 and BF16 tensors are accepted (converted to fp32)
    f["safetensors-f16-bf16"] = save(tensors(dtypes={L + "fc1.weight": "F16", L + "fc2.weight": "BF16"}))
    return f


def main(argv):
    d = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, data in build().items():
        with open(os.path.join(d, name + ".safetensors"), "wb") as fp:
            fp.write(data)


if __name__ == "__main__":
    main(sys.argv)
