#!/usr/bin/python3
"""Write the seeds of the fuzz harnesses that are made, not copied.

usage: fuzz/make_seeds.py            (from the repo root)

fuzz/tiny.safetensors            weights of fuzz/tiny.ltd (F32, seeded)
fuzz/tiny-lm.safetensors         weights of fuzz/tiny-lm.ltd
fuzz/corpus/weights/tiny-f32     the same file, the weights harness's seed
fuzz/corpus/weights/tiny-f16     every tensor as F16
fuzz/corpus/weights/tiny-bf16    every tensor as BF16, with __metadata__
fuzz/corpus/weights/tiny-f64     every tensor as F64
fuzz/corpus/weights/tiny-opt-*   F32 with two bytes after the data: the
                                 weights harness reads the last as passes to
                                 turn off, the one before as target/emit options
fuzz/corpus/api/*                call sequences for the api harness
Byte-identical on every run (numpy default_rng(1)).
"""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import gen_models  # noqa: E402
import st  # noqa: E402

CFG = {
    "name": "tiny", "kind": "encdec", "dim": 8,
    "src_vocab": 12, "tgt_vocab": 10, "max_source": 6, "max_target": 5,
    "tokens": gen_models.TOKENS, "embeddings": "separate", "output": "separate",
    "encoder": gen_models.stack("post", False, 8, "relu", True, [
        gen_models.layer(gen_models.attn(4, 2), gen_models.conv("dynamic", 4, 2, 3, True))]),
    "decoder": gen_models.stack("post", False, 8, "relu", True, [
        gen_models.layer(gen_models.attn(4, 1), gen_models.conv("dynamic", 4, 2, 2, True))],
        cross_heads=2),
}


LM = {
    "name": "tinylm", "kind": "lm", "dim": 8,
    "src_vocab": 0, "tgt_vocab": 10, "max_source": 0, "max_target": 6,
    "tokens": gen_models.TOKENS, "embeddings": "separate", "output": "tied",
    "decoder": gen_models.stack("pre", True, 8, "gelu", True, [
        gen_models.layer(gen_models.attn(4, 2), gen_models.conv("lightweight", 4, 2, 3, True))]),
}


def write(path, tensors, dtype, metadata=None):
    """safetensors with every tensor stored as dtype (F32, F16, BF16, F64)."""
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        a = np.asarray(a, dtype=np.float32)
        if dtype == "F32":
            raw = a.astype("<f4").tobytes()
        elif dtype == "F16":
            raw = a.astype("<f2").tobytes()
        elif dtype == "F64":
            raw = a.astype("<f8").tobytes()
        else:  # BF16: the top half of the F32 bits
            raw = (a.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    hdr = json.dumps(header, separators=(",", ":")).encode()
    hdr += b" " * (-len(hdr) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hdr)) + hdr + b"".join(blobs))


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    g = gen_models.Gen(1)
    d, pad = CFG["dim"], CFG["tokens"]["pad"]
    g.embedding("encoder.embed_tokens.weight", CFG["src_vocab"], d, pad)
    gen_models.gen_stack(g, CFG, "encoder", CFG["encoder"])
    g.embedding("decoder.embed_tokens.weight", CFG["tgt_vocab"], d, pad)
    gen_models.gen_stack(g, CFG, "decoder", CFG["decoder"])
    g.normal("decoder.embed_out", (CFG["tgt_vocab"], d), d ** -0.5)
    tensors = g.t
    st.save(os.path.join(root, "tiny.safetensors"), tensors)
    st.save(os.path.join(root, "tiny-lm.safetensors"), gen_models.gen_weights(LM))
    cdir = os.path.join(root, "corpus", "weights")
    os.makedirs(cdir, exist_ok=True)
    write(os.path.join(cdir, "tiny-f32"), tensors, "F32")
    write(os.path.join(cdir, "tiny-f16"), tensors, "F16")
    write(os.path.join(cdir, "tiny-bf16"), tensors, "BF16", {"format": "pt"})
    write(os.path.join(cdir, "tiny-f64"), tensors, "F64")
    with open(os.path.join(cdir, "tiny-f32"), "rb") as f:
        f32 = f.read()
    # (emit options, passes off): all on; all off; external buffers and
    # sections on each target family; each pass alone off
    for eopt, off in [(0, 0), (0, 255), (3, 0), (4 + 3, 255), (8, 0), (12 + 1, 0), (16 + 2, 0),
                      (20, 0)] + [(0, 1 << i) for i in range(8)]:
        with open(os.path.join(cdir, "tiny-opt-%02x-%02x" % (eopt, off)), "wb") as f:
            f.write(f32 + bytes([eopt, off]))
    # the api harness reads one byte per call (mod 8: 0-1 encode, 2-4
    # decode_step, 5 reset, 6 greedy, 7 buffers away/back), then its
    # arguments (api.c); these walk through each call once
    adir = os.path.join(root, "corpus", "api")
    os.makedirs(adir, exist_ok=True)
    seeds = {
        # encode n=3 tokens 5 6 7, then steps up to and past max_target
        "encode-steps": [0, 2, 0, 5, 6, 7] + [2, 0, 4] * 7,
        # encode, two steps, reset, steps again
        "reset": [0, 3, 0, 1, 2, 3, 2, 0, 2, 2, 0, 3, 5, 2, 0, 2, 2, 0, 4],
        # greedy with n=4 and max_out 5, then one past max_target
        "greedy": [6, 3, 0, 4, 5, 6, 7, 5, 0, 6, 0, 0, 8, 9, 6, 0],
        # bad calls: n=0, n too long, NULL src, bad token, NULL logits
        "errors": [0, 200, 0, 0, 202, 0, 1, 2, 3, 4, 5, 6, 7, 0, 2, 248, 2, 0, 230, 2, 240, 4, 0, 0, 0, 3, 224],
        # buffers away, calls refused, buffers back
        "buffers": [7, 0, 1, 0, 3, 2, 0, 4, 5, 6, 0, 0, 1, 2, 0, 7, 2, 0, 4],
    }
    for name, b in seeds.items():
        with open(os.path.join(adir, name), "wb") as f:
            f.write(bytes(b))


if __name__ == "__main__":
    main()
