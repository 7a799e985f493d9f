#!/usr/bin/python3
"""Minimal safetensors reader/writer (pure Python + numpy).

File layout: u64 little-endian header length N, N bytes of JSON header,
then the raw little-endian tensor data.  Header entries map a tensor name to
{"dtype", "shape", "data_offsets": [begin, end]} with offsets relative to the
start of the data section; the optional "__metadata__" entry maps str->str.
"""
import json
import struct

import numpy as np

# Write support is F32 only (what the generator needs); read support is wider.
_READ_DTYPES = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "F64": np.dtype("<f8"),
    "I32": np.dtype("<i4"),
    "I64": np.dtype("<i8"),
    "BF16": np.dtype("<u2"),  # numpy has no bfloat16: widened to F32 below
}


def save(path, tensors, metadata=None):
    """Write dict name -> float32 array.  Tensors are stored in dict order."""
    header = {}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.array(arr, dtype="<f4", order="C")  # keeps 0-d shapes
        raw = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hdr = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # Pad with spaces so the data section starts 8-byte aligned.
    hdr += b" " * (-len(hdr) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hdr)))
        f.write(hdr)
        for raw in blobs:
            f.write(raw)


def load(path, with_metadata=False):
    """Read a file into dict name -> np.ndarray.

    F16 stays float16, BF16 is returned as float32 (exact widening).
    With with_metadata=True returns (tensors, metadata dict).
    """
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError("%s: too short for a safetensors file" % path)
    (n,) = struct.unpack("<Q", buf[:8])
    if 8 + n > len(buf):
        raise ValueError("%s: header length %d exceeds file size" % (path, n))
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    data = memoryview(buf)[8 + n:]
    meta = header.pop("__metadata__", None) or {}
    out = {}
    for name, info in header.items():
        dt = info["dtype"]
        if dt not in _READ_DTYPES:
            raise ValueError("%s: tensor %s has unsupported dtype %s" % (path, name, dt))
        b, e = info["data_offsets"]
        shape = tuple(info["shape"])
        npdt = _READ_DTYPES[dt]
        count = int(np.prod(shape, dtype=np.int64))
        if not (0 <= b <= e <= len(data)) or e - b != count * npdt.itemsize:
            raise ValueError("%s: tensor %s has bad data_offsets" % (path, name))
        arr = np.frombuffer(data[b:e], dtype=npdt).reshape(shape)
        if dt == "BF16":
            # bfloat16 is the top half of an IEEE float32.
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[name] = arr.copy()  # own the memory, not the file buffer
    return (out, meta) if with_metadata else out
