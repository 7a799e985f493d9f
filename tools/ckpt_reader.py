"""ckpt_reader: read a PyTorch checkpoint without torch.load, and without trusting it.

    args, state_dict = load_checkpoint(path, max_bytes)

returns a fairseq checkpoint's args (an argparse.Namespace) and its model's
state dict (names to torch tensors), or raises Fail with a message that names
the file and says what is wrong with it.  tools/ltcc-import is its user;
nothing here knows about Lite Transformer.

Reading a checkpoint
--------------------
A checkpoint is a pickle, which can name any Python function and call it.
torch.load is therefore not used; this module reads PyTorch's two formats
itself and never lets the pickle call, import or look up anything but the
names below.  max_bytes is ltcc-import's --max-bytes (default 4G).

Input and sizes, checked before anything is decoded:
  * The checkpoint must be a regular file (no FIFO, device or directory),
    not empty, and at most max_bytes long.
  * Zip format (torch >= 1.6): the members' declared sizes must add up to at
    most max_bytes and at most 20x the file size plus 16 MiB (PyTorch
    stores members uncompressed; a larger ratio is a zip bomb).  Members must
    be stored or deflated, unencrypted, all in one directory, with no
    duplicate names; a TorchScript archive (constants.pkl, code/) is refused.
    A member is read with a bound of its declared size and must hold exactly
    that many bytes; a storage member must be exactly the size its pickle
    record declares.
  * Legacy format (the five pickles torch < 1.6 writes, then the storages):
    the storages the pickle declares must fit in the bytes that follow the
    pickles before any of them is allocated, and each one's recorded element
    count must match.
  * Each pickle is at most 8 MiB (it holds only structure; the tensor data is
    elsewhere), and the model's tensors may hold at most max_bytes / 4
    elements (their float32 copies).

Every pickle is first walked opcode by opcode with pickletools.genops, which
decodes and runs nothing (in the legacy format, all five are walked before
any is unpickled).  This pass refuses, with a message naming it:
  * a global name (GLOBAL or STACK_GLOBAL) containing '.': pickle protocol 4
    resolves it attribute by attribute, which is how
    torch._utils._rebuild_tensor.__builtins__.get reaches exec;
  * a name that is not an identifier, a __special__ name, a STACK_GLOBAL
    whose operands are not string constants;
  * any name from builtins, collections, argparse, copyreg, _codecs or torch
    (and its submodules) that is not in the list below;
  * any name from a module that can run code or reach the system (os, posix,
    subprocess, sys, pickle, importlib, runpy, types, functools, operator,
    ctypes, io, codecs, socket, ...: _UNSAFE_MODULES);
  * the opcodes INST, OBJ, EXT1/2/4, PERSID, NEXT_BUFFER, READONLY_BUFFER,
    which no checkpoint uses;
  * objects nested more than 100 deep.

Then the pickle is unpickled by pickle's pure-Python unpickler with every
opcode that calls, creates or fills an object replaced by a checked one.
find_class imports nothing and admits exactly these (module, name) pairs,
each standing for a small function or marker in this file, never the real
object (only a dtype is the real torch.dtype value, which is data):
  collections.OrderedDict, argparse.Namespace       (empty, then filled)
  torch._utils._rebuild_tensor, _rebuild_tensor_v2, _rebuild_parameter,
    _rebuild_parameter_with_state                   (a plain tensor viewing a
                                                     storage, checked to lie inside
                                                     it and to be no bigger)
  torch._tensor._rebuild_from_type, _rebuild_from_type_v2 (also as torch.tensor.*;
    only with one of the four above and torch.Tensor or ...Parameter)
  torch.Tensor, torch.nn.parameter.Parameter, builtins.object  (markers only)
  torch.FloatStorage, DoubleStorage, HalfStorage, BFloat16Storage,
    LongStorage, IntStorage, ShortStorage, CharStorage, ByteStorage,
    BoolStorage, ComplexFloatStorage, ComplexDoubleStorage (markers only)
  torch.float32 float float64 double float16 half bfloat16 uint8 int8 int16
    short int32 int int64 long bool complex64 cfloat complex128 cdouble
  torch.Size (of non-negative ints), torch.device (a string and an index)
  copyreg._reconstructor (only (class, object, None): an empty object)
  builtins.set, frozenset (of a list), slice, range (of ints), complex (of
    numbers), bytearray and bytes (of bytes or a latin-1 string),
    _codecs.encode (of a string, as latin-1 only: protocol 2's bytes)
Persistent ids must be ('storage', one of the storage types, key, location,
count); storage views and nn.Module sources are refused.  REDUCE may call
only the functions above, with their argument types checked; NEWOBJ may
create only an empty OrderedDict or Namespace; BUILD may only fill a
Namespace's attributes from a dict; APPEND(S), SETITEM(S) and ADDITEMS may
only fill a list, a dict or a set.  Anything else is refused.

Every other name the pickle uses (fairseq's meters, an `ffn_init` function in
the args, numpy scalars, ...) becomes an inert placeholder class, created
with type() and never imported.  The placeholder has no attributes and no
state: making one calls nothing, state and items given to it are dropped,
calling one returns None, pickling one raises TypeError, and REDUCE on a
placeholder instance is refused.  That is also why fairseq is not needed.
"""
import argparse
import collections
import io
import os
import pickle
import re
import stat


class Fail(Exception):
    """A checkpoint that cannot be read (ltcc-import: exit status 1); the message
    names the file and says why."""


# torch.load is not used: it hands the file to pickle (and a TorchScript zip
# to torch.jit.load) before anything can be checked.  The reader below checks
# sizes first, walks every pickle's opcodes without running them, and then
# unpickles with an unpickler that only ever calls the small functions in
# this file.

# -- limits, and the names the unpickler resolves ---------------------------

DEFAULT_MAX_BYTES = 4 << 30    # --max-bytes: file, inflated zip, float32 model
ZIP_RATIO = 20                 # a zip's members may inflate to 20x the file ...
ZIP_SLACK = 16 << 20           # ... plus 16 MiB (PyTorch stores them uncompressed)


class Refused(Exception):
    """The checkpoint asks for something the loader will not do."""


class Malformed(Exception):
    """Not a checkpoint the loader can parse."""


# The exact (module, name) pairs the unpickler resolves, and what each is.
# Nothing is looked up by prefix, suffix or attribute: a name is either in
# this table, or an inert placeholder, or refused (see _classify).
_STORAGES = {"FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
             "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
             "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
             "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
             "ComplexDoubleStorage": "complex128"}
_ELEMENT_SIZE = {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4,
                 "int16": 2, "int8": 1, "uint8": 1, "bool": 1, "complex64": 8, "complex128": 16}
_DTYPES = ("float32", "float", "float64", "double", "float16", "half", "bfloat16", "uint8",
           "int8", "int16", "short", "int32", "int", "int64", "long", "bool", "complex64",
           "cfloat", "complex128", "cdouble")
ALLOWED = {
    ("collections", "OrderedDict"): "OrderedDict",
    ("argparse", "Namespace"): "Namespace",
    ("torch._utils", "_rebuild_tensor"): "_rebuild_tensor",
    ("torch._utils", "_rebuild_tensor_v2"): "_rebuild_tensor_v2",
    ("torch._utils", "_rebuild_parameter"): "_rebuild_parameter",
    ("torch._utils", "_rebuild_parameter_with_state"): "_rebuild_parameter_with_state",
    ("torch._tensor", "_rebuild_from_type"): "_rebuild_from_type",
    ("torch._tensor", "_rebuild_from_type_v2"): "_rebuild_from_type_v2",
    ("torch.tensor", "_rebuild_from_type"): "_rebuild_from_type",       # torch < 1.9's module name
    ("torch.tensor", "_rebuild_from_type_v2"): "_rebuild_from_type_v2",
    ("torch", "Size"): "Size",
    ("torch", "device"): "device",
    ("torch", "Tensor"): "type Tensor",
    ("torch.nn.parameter", "Parameter"): "type Parameter",
    ("copyreg", "_reconstructor"): "_reconstructor",
    ("builtins", "object"): "type object",
    ("builtins", "set"): "set",
    ("builtins", "frozenset"): "frozenset",
    ("builtins", "slice"): "slice",
    ("builtins", "complex"): "complex",
    ("builtins", "bytearray"): "bytearray",
    ("builtins", "range"): "range",
    ("builtins", "bytes"): "bytes",           # protocol 2: b"" is bytes()
    ("_codecs", "encode"): "encode",          # protocol 2: other bytes are encode(str, "latin1")
}
ALLOWED.update((("torch", s), "storage " + d) for s, d in _STORAGES.items())
ALLOWED.update((("torch", d), "dtype " + d) for d in _DTYPES)

# Modules whose names are either in ALLOWED or refused (never a placeholder).
_RESOLVED_MODULES = ("builtins", "collections", "argparse", "copyreg", "torch", "_codecs")
# Modules no checkpoint names: refused with a clear message.  (A name from any
# other module only ever becomes an inert placeholder; this list just makes
# the obvious attacks fail loudly instead.)
_UNSAFE_MODULES = (
    "os", "posix", "nt", "posixpath", "ntpath", "subprocess", "_posixsubprocess", "sys",
    "pickle", "_pickle", "pickletools", "marshal", "shelve", "importlib", "imp", "runpy",
    "zipimport", "pkgutil", "code", "codeop", "types", "functools", "operator", "_operator",
    "shutil", "socket", "ctypes", "io", "_io", "codecs", "pty", "webbrowser",
    "multiprocessing", "threading", "_thread", "signal", "tempfile", "pathlib", "glob",
    "platform", "gc", "inspect", "ast", "pdb", "bdb", "timeit", "trace", "profile",
    "cProfile", "pydoc", "doctest", "unittest", "asyncio", "logging", "site", "sysconfig",
    "distutils", "setuptools", "pip", "ensurepip", "venv", "http", "urllib", "socketserver",
    "smtplib", "ftplib", "xmlrpc", "zipfile", "tarfile", "sqlite3", "commands", "popen2",
    "numpy.testing", "numpy.f2py", "numpy.distutils", "numpy.lib.utils")

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _under(module, roots):
    return any(module == r or module.startswith(r + ".") for r in roots)


def _fix_name(module, name, proto):
    """Python 2 names in a protocol 0-2 pickle, as pickle maps them (strings only)."""
    import _compat_pickle
    if proto < 3:
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
    return module, name


def _classify(module, name):
    """True if (module, name) is in ALLOWED, False if it becomes an inert
    placeholder; raises Refused otherwise."""
    shown = "%s.%s" % (module, name)
    if "." in name:
        raise Refused("the pickle names %r in module %r: a dotted name, which pickle resolves "
                      "attribute by attribute (that is how '_rebuild_tensor.__builtins__.get' "
                      "reaches exec); only plain names are read" % (name, module))
    if not _IDENT.match(name) or not all(_IDENT.match(p) for p in module.split(".")):
        raise Refused("the pickle names %r in module %r, which is not a Python identifier"
                      % (name, module))
    if (module, name) in ALLOWED:
        return True
    if name.startswith("__"):
        raise Refused("the pickle names %s, a special name no checkpoint uses" % shown)
    if _under(module, _RESOLVED_MODULES):
        raise Refused("the pickle names %s, which is not one of the names ltcc-import "
                      "rebuilds (tensors, storages, dtypes, OrderedDict, Namespace and a "
                      "few builtins)" % shown)
    if _under(module, _UNSAFE_MODULES):
        raise Refused("the pickle names %s: no checkpoint needs module %s, which can run code "
                      "or reach the system" % (shown, module))
    return False


# -- pass 1: walk the opcodes, run nothing ---------------------------------

_REFUSED_OPS = {
    "INST": "protocol 0 object creation", "OBJ": "protocol 1 object creation",
    "EXT1": "the copyreg extension registry", "EXT2": "the copyreg extension registry",
    "EXT4": "the copyreg extension registry", "PERSID": "a text persistent id",
    "NEXT_BUFFER": "out-of-band buffers", "READONLY_BUFFER": "out-of-band buffers"}
_STRING_OPS = ("UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8")
_MUTATORS = ("APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD")
_MARK = object()
MAX_DEPTH = 100                # objects nested deeper (a checkpoint needs ~10) are refused
MAX_PICKLE_BYTES = 8 << 20     # one pickle: structure only, ~100 KB for a big model


def _scan(data, what, data_only):
    """Walks the pickle at the start of data (bytes) with pickletools.genops,
    which only decodes opcodes, and refuses what the unpickler would refuse: opcodes a
    checkpoint never uses, and every global name _classify does not admit,
    whether named by GLOBAL or by STACK_GLOBAL (whose operands are followed
    through the stack and the memo; one that is not a string constant is
    refused).  It also refuses objects nested more than MAX_DEPTH deep (a
    deep enough tuple crashes CPython when hashed).  data_only: the pickle
    may name no global and no persistent id at all.  Returns the offset
    after STOP.  A pickle longer than MAX_PICKLE_BYTES is refused; data may
    be cut after that many bytes."""
    import pickletools
    mark = pickletools.markobject
    stack, memo, proto = [], {}, 0      # stack entries: _MARK or [string or None, depth]
    f = io.BytesIO(data)

    def check(module, name):
        module, name = _fix_name(module, name, proto)
        _classify(module, name)
        if data_only:
            raise Malformed("the %s pickle names %s.%s" % (what, module, name))

    def pop(k):
        if len(stack) < k or _MARK in stack[len(stack) - k:]:
            raise Malformed("%s pickle: stack underflow at %s" % (what, n))
        out = stack[len(stack) - k:]
        del stack[len(stack) - k:]
        return out

    try:
        for op, arg, pos in pickletools.genops(f):
            n = op.name
            if pos >= MAX_PICKLE_BYTES:
                raise Refused("the %s pickle is more than %d bytes; a checkpoint's pickle holds "
                              "only its structure" % (what, MAX_PICKLE_BYTES))
            if n in _REFUSED_OPS:
                raise Refused("the %s pickle uses opcode %s (%s), which no checkpoint needs"
                              % (what, n, _REFUSED_OPS[n]))
            if n == "PROTO":
                proto = arg
            elif n == "GLOBAL":
                parts = arg.split(" ")
                if len(parts) != 2:
                    raise Refused("the pickle names global %r, which is not a Python identifier"
                                  % arg)
                check(*parts)
                stack.append([None, 0])
            elif n == "STACK_GLOBAL":
                module, name = (e[0] for e in pop(2))
                if type(module) is not str or type(name) is not str:
                    raise Refused("the %s pickle uses STACK_GLOBAL on a module or name that is "
                                  "not a string constant" % what)
                check(module, name)
                stack.append([None, 0])
            elif n in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
                if not stack or stack[-1] is _MARK:
                    raise Malformed("%s pickle: nothing to memoize" % what)
                memo[len(memo) if n == "MEMOIZE" else arg] = stack[-1]
            elif n in ("GET", "BINGET", "LONG_BINGET"):
                if arg not in memo:
                    raise Malformed("%s pickle: memo entry %r read before it is stored" % (what, arg))
                stack.append(memo[arg])           # the same entry: a change shows in both
            elif n in _STRING_OPS:
                stack.append([arg, 0])
            elif n == "MARK":
                stack.append(_MARK)
            elif n == "POP":                      # pops a MARK too, as pickle does
                if not stack:
                    raise Malformed("%s pickle: stack underflow at POP" % what)
                stack.pop()
            else:
                if n == "BINPERSID" and data_only:
                    raise Malformed("the %s pickle has a persistent id" % what)
                before = op.stack_before
                items = []
                if mark in before:
                    while True:
                        if not stack:
                            raise Malformed("%s pickle: %s without a MARK" % (what, n))
                        e = stack.pop()
                        if e is _MARK:
                            break
                        items.append(e)
                    items += pop(before.index(mark))
                else:
                    items = pop(len(before))
                depth = 1 + max((e[1] for e in items), default=-1)
                if n in _MUTATORS:                # the container stays; its depth may grow
                    container = items[-1] if mark in before else items[0]
                    container[1] = max(container[1], 1 + max(
                        (e[1] for e in items if e is not container), default=-1))
                    depth = container[1]
                    stack.append(container)
                else:
                    stack.extend([None, depth] for _ in op.stack_after)
                if depth > MAX_DEPTH:
                    raise Refused("the %s pickle nests objects more than %d deep"
                                  % (what, MAX_DEPTH))
    except ValueError as e:             # what genops says of a truncated or bad pickle
        if len(data) > MAX_PICKLE_BYTES:
            raise Refused("the %s pickle is more than %d bytes; a checkpoint's pickle holds "
                          "only its structure" % (what, MAX_PICKLE_BYTES))
        raise Malformed("%s pickle: %s" % (what, e))
    return f.tell()


# -- pass 2: unpickle, calling only what is below --------------------------

class _Inert:
    """Stands in for any class or function the pickle names that is not in
    ALLOWED (fairseq's meters, an `ffn_init` function in the args, numpy
    scalars, ...).  It has no state and does nothing: the unpickler creates
    instances without calling anything, ignores state and items given to
    them, and never calls one."""
    __slots__ = ()

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass

    def __call__(self, *args, **kwargs):
        return None

    def __reduce_ex__(self, protocol):
        raise TypeError("an inert placeholder cannot be pickled")

    def __reduce__(self):
        raise TypeError("an inert placeholder cannot be pickled")

    def __repr__(self):
        return "<inert %s.%s>" % (type(self).__module__[len("ltcc_import.inert."):],
                                  type(self).__name__)


def _is_inert_class(x):
    return isinstance(x, type) and issubclass(x, _Inert)


class _Allowed:
    """What the unpickler gets for a name in ALLOWED: never the real class or
    function, but this record of what the name may be used for.  `call` runs
    for REDUCE, `new` for NEWOBJ and copyreg._reconstructor; a marker (a
    storage type, a tensor type, `object`) has neither."""
    __slots__ = ("name", "call", "new", "dtype")

    def __init__(self, name, call=None, new=None, dtype=None):
        self.name, self.call, self.new, self.dtype = name, call, new, dtype

    def __repr__(self):
        return self.name


class _Storage:
    """A storage's bytes, and a flat tensor over them made on first use
    (dtype: a torch dtype's name)."""
    __slots__ = ("buf", "dtype", "numel", "key", "_flat")

    def __init__(self, buf, dtype, numel, key):
        self.buf, self.dtype, self.numel, self.key, self._flat = buf, dtype, numel, key, None

    def flat(self):
        import torch
        if self._flat is None:
            dtype = getattr(torch, self.dtype)
            self._flat = (torch.frombuffer(self.buf, dtype=dtype) if self.numel
                          else torch.empty(0, dtype=dtype))
        return self._flat


def _describe(x):
    if _is_inert_class(x):
        return "%s.%s" % (x.__module__[len("ltcc_import.inert."):], x.__name__)
    if isinstance(x, _Inert):
        return "a placeholder %s object" % _describe(type(x))
    if isinstance(x, _Allowed):
        return x.name
    name = type(x).__name__
    return ("an " if name[0] in "aeiou" else "a ") + name


def _shape(v, what):
    if not isinstance(v, (tuple, list)) or len(v) > 64 or \
            any(type(x) is not int or x < 0 for x in v):
        raise Refused("a tensor's %s is %s, not a tuple of at most 64 non-negative integers"
                      % (what, _describe(v) if not isinstance(v, (tuple, list)) else
                         "a %d-entry %s" % (len(v), type(v).__name__)))
    return tuple(v)


def _tensor(storage, offset, size, stride):
    """A view of storage, checked to lie inside it."""
    if not isinstance(storage, _Storage):
        raise Refused("a tensor is rebuilt from %s, not from a storage" % _describe(storage))
    if type(offset) is not int or offset < 0:
        raise Refused("a tensor's storage offset is %r" % (offset,))
    size, stride = _shape(size, "size"), _shape(stride, "stride")
    if len(size) != len(stride):
        raise Refused("a tensor has size %s but stride %s" % (size, stride))
    numel = 1
    for s in size:
        numel *= s
    import torch
    if numel == 0:
        return torch.empty(size, dtype=getattr(torch, storage.dtype))
    end = offset + sum((s - 1) * st for s, st in zip(size, stride)) + 1
    if end > storage.numel:
        raise Refused("a tensor of size %s (stride %s, offset %d) reaches past the end of its "
                      "%d-element storage" % (size, stride, offset, storage.numel))
    if numel > storage.numel:
        raise Refused("a tensor of size %s has more elements than its %d-element storage"
                      % (size, storage.numel))
    return storage.flat().as_strided(size, stride, offset)


# What REDUCE may call (an _Allowed's `call`): each checks its arguments'
# types and builds only plain data or a tensor viewing a checked storage.

def _rebuild_tensor(storage, storage_offset, size, stride):
    return _tensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return _tensor(storage, storage_offset, size, stride)   # hooks, metadata: dropped


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, state=None):
    import torch
    if not isinstance(data, torch.Tensor):
        raise Refused("a Parameter is rebuilt from %s, not a tensor" % _describe(data))
    return data


def _make_od(items=()):
    if not isinstance(items, (list, tuple)) or \
            any(not isinstance(p, (list, tuple)) or len(p) != 2 for p in items):
        raise Refused("OrderedDict built from %s, not a list of pairs" % _describe(items))
    return collections.OrderedDict(items)


def _make_ns():
    return argparse.Namespace()


def _container(kind):
    def make(items=()):
        if not isinstance(items, (list, tuple, set, frozenset)):
            raise Refused("%s built from %s, not a list" % (kind.__name__, _describe(items)))
        return kind(items)
    return make


def _make_slice(*args):
    if not 1 <= len(args) <= 3 or any(a is not None and type(a) is not int for a in args):
        raise Refused("slice%r" % (args,))
    return slice(*args)


def _make_range(*args):
    if not 1 <= len(args) <= 3 or any(type(a) is not int for a in args):
        raise Refused("range%r" % (args,))
    return range(*args)


def _make_complex(re_=0.0, im=0.0):
    if any(type(a) not in (int, float) for a in (re_, im)):
        raise Refused("complex%r" % ((re_, im),))
    return complex(re_, im)


def _make_bytearray(*args):
    if not args:
        return bytearray()
    if len(args) == 1 and type(args[0]) is bytes:
        return bytearray(args[0])
    if len(args) == 2 and type(args[0]) is str and type(args[1]) is str and \
            args[1] in ("latin-1", "latin1"):
        return bytearray(args[0], "latin-1")
    raise Refused("bytearray from %s: only bytes or a latin-1 string is read"
                  % ", ".join(_describe(a) for a in args))


def _make_bytes(*args):
    if not args:
        return b""
    if len(args) == 1 and type(args[0]) is bytes:
        return args[0]
    raise Refused("bytes from %s" % ", ".join(_describe(a) for a in args))


def _encode(text, encoding):
    if type(text) is not str or type(encoding) is not str or encoding not in ("latin1", "latin-1"):
        raise Refused("_codecs.encode(%s, %r): only a latin-1 string is read"
                      % (_describe(text), encoding))
    return text.encode("latin-1")


def _make_size(dims=()):
    import torch
    return torch.Size(_shape(dims, "size"))


def _make_device(kind, index=None):
    import torch
    if type(kind) is not str or (index is not None and type(index) is not int):
        raise Refused("torch.device(%r, %r)" % (kind, index))
    return torch.device(kind) if index is None else torch.device(kind, index)


def _allowed_values():
    """(module, name) -> what the unpickler gets for it (a dtype: its name;
    find_class makes it a torch.dtype).  torch is imported only when a
    tensor, a dtype, a Size or a device is actually built.  rebuild_from_type
    and reconstructor stay inside: they check their arguments by identity
    against the records made here."""

    def rebuild_from_type(func, new_type, args, state=None):
        if not any(func is f for f in tensor_makers):
            raise Refused("%s rebuilds a tensor with %s" % (v2.name, _describe(func)))
        if not any(new_type is t for t in tensor_types):
            raise Refused("%s makes a %s, not a tensor" % (v2.name, _describe(new_type)))
        if type(args) is not tuple:
            raise Refused("%s: the arguments are %s, not a tuple" % (v2.name, _describe(args)))
        return func.call(*args)          # a plain tensor; a subclass's state is dropped

    def reconstructor(cls, base, state):
        if base is not obj or state is not None:
            raise Refused("copyreg._reconstructor with base %s and a state: only "
                          "(class, object, None) is read" % _describe(base))
        return _new(cls, (), None)

    v2 = _Allowed("torch._tensor._rebuild_from_type_v2", call=rebuild_from_type)
    obj = _Allowed("builtins.object")
    made = {
        "OrderedDict": _Allowed("collections.OrderedDict", call=_make_od,
                                new=collections.OrderedDict),
        "Namespace": _Allowed("argparse.Namespace", call=_make_ns, new=_make_ns),
        "_rebuild_tensor": _Allowed("torch._utils._rebuild_tensor", call=_rebuild_tensor),
        "_rebuild_tensor_v2": _Allowed("torch._utils._rebuild_tensor_v2", call=_rebuild_tensor_v2),
        "_rebuild_parameter": _Allowed("torch._utils._rebuild_parameter", call=_rebuild_parameter),
        "_rebuild_parameter_with_state": _Allowed("torch._utils._rebuild_parameter_with_state",
                                                  call=_rebuild_parameter),
        "_rebuild_from_type": _Allowed("torch._tensor._rebuild_from_type", call=rebuild_from_type),
        "_rebuild_from_type_v2": v2,
        "Size": _Allowed("torch.Size", call=_make_size),
        "device": _Allowed("torch.device", call=_make_device),
        "type Tensor": _Allowed("torch.Tensor"),
        "type Parameter": _Allowed("torch.nn.parameter.Parameter"),
        "_reconstructor": _Allowed("copyreg._reconstructor", call=reconstructor),
        "type object": obj,
        "set": _Allowed("builtins.set", call=_container(set)),
        "frozenset": _Allowed("builtins.frozenset", call=_container(frozenset)),
        "slice": _Allowed("builtins.slice", call=_make_slice),
        "complex": _Allowed("builtins.complex", call=_make_complex),
        "bytearray": _Allowed("builtins.bytearray", call=_make_bytearray),
        "range": _Allowed("builtins.range", call=_make_range),
        "bytes": _Allowed("builtins.bytes", call=_make_bytes),
        "encode": _Allowed("_codecs.encode", call=_encode),
    }
    tensor_makers = tuple(made[k] for k in ("_rebuild_tensor", "_rebuild_tensor_v2",
                                            "_rebuild_parameter", "_rebuild_parameter_with_state"))
    tensor_types = (made["type Tensor"], made["type Parameter"])
    out = {}
    for (module, name), role in ALLOWED.items():
        kind, _, arg = role.partition(" ")
        if kind == "storage":
            out[(module, name)] = _Allowed("torch." + name, dtype=arg)
        elif kind == "dtype":
            out[(module, name)] = arg
        else:
            out[(module, name)] = made[role]
    return out


def _new(cls, args, kwargs):
    """NEWOBJ, NEWOBJ_EX and copyreg._reconstructor: an empty object of cls."""
    if _is_inert_class(cls):
        return object.__new__(cls)
    if isinstance(cls, _Allowed) and cls.new is not None and not args and not kwargs:
        return cls.new()
    raise Refused("the pickle creates an object of %s" % _describe(cls))


def _refuse_op(name):
    def load(self):
        raise Refused("the pickle uses opcode %s (%s)" % (name, _REFUSED_OPS[name]))
    return load


class _Unpickler(pickle._Unpickler):
    """pickle's pure-Python unpickler with every opcode that calls, creates or
    mutates something replaced by a checked version; find_class returns only
    the values of _allowed_values() or inert placeholder classes and imports
    nothing."""

    def __init__(self, file, values, persistent_load):
        super().__init__(file, encoding="utf-8")
        self._values, self._inert = values, {}
        self.persistent_load = persistent_load

    def find_class(self, module, name):
        module, name = _fix_name(module, name, self.proto)
        allowed = _classify(module, name)
        if self._values is None:
            raise Malformed("a pickle that should be plain data names %s.%s" % (module, name))
        if allowed:
            role = ALLOWED[(module, name)]
            if role.startswith("dtype "):
                import torch
                return getattr(torch, role[len("dtype "):])   # a torch.dtype: data, not callable
            return self._values[(module, name)]
        key = (module, name)
        if key not in self._inert:
            self._inert[key] = type(name, (_Inert,), {"__module__": "ltcc_import.inert." + module,
                                                      "__qualname__": name, "__slots__": ()})
        return self._inert[key]

    dispatch = dict(pickle._Unpickler.dispatch)

    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if type(args) is not tuple:
            raise Refused("the pickle calls %s with %s" % (_describe(func), _describe(args)))
        if _is_inert_class(func):
            self.stack[-1] = object.__new__(func)        # a placeholder, nothing called
        elif isinstance(func, _Allowed) and func.call is not None:
            self.stack[-1] = func.call(*args)
        else:
            raise Refused("the pickle calls %s" % _describe(func))
    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(_new(cls, args, None))
    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(_new(cls, args, kwargs))
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if isinstance(inst, _Inert):
            return
        if type(inst) is argparse.Namespace:
            if type(state) is tuple and len(state) == 2 and \
                    (state[1] is None or (type(state[1]) is dict and not state[1])):
                state = state[0]
            if state is None:
                return
            if type(state) is dict and all(type(k) is str for k in state):
                inst.__dict__.update(state)
                return
        raise Refused("the pickle sets the state of %s to %s" % (_describe(inst), _describe(state)))
    dispatch[pickle.BUILD[0]] = load_build

    def _items_into(self, target, items, kind):
        if isinstance(target, _Inert):
            return
        if kind == "list" and type(target) is list:
            target.extend(items)
        elif kind == "dict" and type(target) in (dict, collections.OrderedDict) and len(items) % 2 == 0:
            for i in range(0, len(items), 2):
                target[items[i]] = items[i + 1]
        elif kind == "set" and type(target) is set:
            target.update(items)
        else:
            raise Refused("the pickle adds %s items to %s" % (kind, _describe(target)))

    def load_append(self):
        value = self.stack.pop()
        self._items_into(self.stack[-1], [value], "list")
    dispatch[pickle.APPEND[0]] = load_append

    def load_appends(self):
        items = self.pop_mark()
        self._items_into(self.stack[-1], items, "list")
    dispatch[pickle.APPENDS[0]] = load_appends

    def load_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        self._items_into(self.stack[-1], [key, value], "dict")
    dispatch[pickle.SETITEM[0]] = load_setitem

    def load_setitems(self):
        items = self.pop_mark()
        self._items_into(self.stack[-1], items, "dict")
    dispatch[pickle.SETITEMS[0]] = load_setitems

    def load_additems(self):
        items = self.pop_mark()
        self._items_into(self.stack[-1], items, "set")
    dispatch[pickle.ADDITEMS[0]] = load_additems

    for _op in _REFUSED_OPS:
        dispatch[getattr(pickle, _op)[0]] = _refuse_op(_op)
    del _op


# -- the two file formats ---------------------------------------------------

def _no_persistent_load(pid):
    raise Malformed("a pickle that should be plain data has a persistent id")


def _storage_record(pid, fields):
    """('storage', type, key, location, numel[, view]) -> (dtype, key, numel, view)"""
    def text(s):
        return s.decode("ascii", "replace") if type(s) is bytes else s
    tag = text(pid[0]) if type(pid) is tuple and pid else None
    if type(tag) is not str or tag != "storage":
        raise Refused("persistent id %s: only storages are read (a 'module' id carries an "
                      "nn.Module's source)" % (repr(tag) if type(tag) is str else _describe(pid)))
    if len(pid) != fields:
        raise Malformed("a storage record with %d fields, expected %d" % (len(pid), fields))
    st_type, key, location, numel = pid[1], text(pid[2]), text(pid[3]), pid[4]
    if not isinstance(st_type, _Allowed) or st_type.dtype is None:
        raise Refused("a storage of type %s" % _describe(st_type))
    if type(key) is not str or type(location) is not str or type(numel) is not int or numel < 0:
        raise Malformed("a storage record (%r, %r, %r)" % (key, location, numel))
    return st_type.dtype, key, numel, (pid[5] if fields == 6 else None)


def _zip_members(zf, size, max_bytes):
    """{name inside the archive directory: ZipInfo}, once the central
    directory's declared sizes and methods pass, before anything is inflated."""
    import zipfile
    infos = zf.infolist()
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise Refused("the zip lists a member twice")
    total = 0
    for i in infos:
        if i.flag_bits & 1:
            raise Refused("zip member %s is encrypted" % i.filename)
        if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused("zip member %s uses compression method %d (PyTorch stores "
                          "members uncompressed)" % (i.filename, i.compress_type))
        total += i.file_size
    if total > max_bytes:
        raise Refused("its zip members would inflate to %d bytes, more than the --max-bytes "
                      "limit of %d" % (total, max_bytes))
    if total > ZIP_RATIO * size + ZIP_SLACK:
        raise Refused("its zip members would inflate to %d bytes from a %d-byte file, more "
                      "than %dx (PyTorch stores them uncompressed): a zip bomb?"
                      % (total, size, ZIP_RATIO))
    prefix = names[0].split("/")[0] + "/" if names and "/" in names[0] else None
    if prefix is None or not all(n.startswith(prefix) for n in names):
        raise Malformed("a zip file whose members are not all in one directory")
    member = {n[len(prefix):]: i for n, i in zip(names, infos)}
    if "constants.pkl" in member or any(k.startswith("code/") for k in member):
        raise Refused("a TorchScript archive (torch.jit.save), not a checkpoint")
    if "data.pkl" not in member:
        raise Malformed("a zip file without %sdata.pkl" % prefix)
    return member


def _zip_read(zf, info):
    """A member's bytes: exactly the size its header declares."""
    with zf.open(info) as m:
        data = m.read(info.file_size + 1)     # never more than the header says
    if len(data) != info.file_size:
        raise Malformed("zip member %s holds %d bytes, not %d"
                        % (info.filename, len(data), info.file_size))
    return data


def _load_zip(f, size, max_bytes):
    """PyTorch's zip format (torch >= 1.6): ARCHIVE/data.pkl, ARCHIVE/data/KEY."""
    import zipfile
    try:
        zf = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as e:
        raise Malformed("a damaged zip file: %s" % e)
    with zf:
        member = _zip_members(zf, size, max_bytes)
        if "byteorder" in member and _zip_read(zf, member["byteorder"]).strip() != b"little":
            raise Refused("a big-endian checkpoint")
        if member["data.pkl"].file_size > MAX_PICKLE_BYTES:
            raise Refused("data.pkl is %d bytes, more than %d; a checkpoint's pickle holds only "
                          "its structure" % (member["data.pkl"].file_size, MAX_PICKLE_BYTES))
        pkl = _zip_read(zf, member["data.pkl"])
        _scan(pkl, "data.pkl", False)

        storages = {}

        def persistent_load(pid):
            dtype, key, numel, _ = _storage_record(pid, 5)
            if key not in storages:
                info = member.get("data/" + key)
                if info is None:
                    raise Malformed("the pickle refers to storage %r, which the zip lacks" % key)
                if info.file_size != numel * _ELEMENT_SIZE[dtype]:
                    raise Malformed("storage %s: %d bytes in the zip, the pickle says %d x %s"
                                    % (key, info.file_size, numel, dtype))
                storages[key] = _Storage(bytearray(_zip_read(zf, info)), dtype, numel, key)
            s = storages[key]
            if (s.dtype, s.numel) != (dtype, numel):
                raise Malformed("storage %s is used as two different types" % key)
            return s

        return _Unpickler(io.BytesIO(pkl), _allowed_values(), persistent_load).load()


_LEGACY_MAGIC, _LEGACY_PROTOCOL = 0x1950a86a20f9469cfc6c, 1001
_LEGACY_PICKLES = ("first", "protocol version", "system info", "checkpoint", "storage keys")


def _legacy_spans(mm):
    """The (start, end) of each of the five pickles, all scanned; the
    storages start at the last end."""
    spans, pos = [], 0
    for i, what in enumerate(_LEGACY_PICKLES):
        end = pos + _scan(mm[pos:pos + MAX_PICKLE_BYTES + 1], what, i != 3)
        spans.append((pos, end))
        pos = end
    return spans


def _legacy_keys(mm, spans):
    """Checks the plain-data pickles around the checkpoint's; returns its
    storage keys, in the order their bytes follow."""
    def plain(i):
        a, b = spans[i]
        return _Unpickler(io.BytesIO(mm[a:b]), None, _no_persistent_load).load()

    if plain(0) != _LEGACY_MAGIC:
        raise Malformed("no PyTorch magic number at the start")
    if plain(1) != _LEGACY_PROTOCOL:
        raise Malformed("legacy protocol version is not %d" % _LEGACY_PROTOCOL)
    info = plain(2)
    if type(info) is dict and info.get("little_endian") is False:
        raise Refused("a big-endian checkpoint")
    keys = plain(4)
    if type(keys) is not list or any(type(k) is not str for k in keys) or len(set(keys)) != len(keys):
        raise Malformed("the storage key list is %s" % _describe(keys))
    return keys


def _legacy_fill(mm, size, pos, keys, storages):
    """Copies each storage's bytes, which follow the pickles from pos in key order."""
    with memoryview(mm) as mv:
        for key in keys:
            s = storages[key]
            n = int.from_bytes(mm[pos:pos + 8], "little", signed=True)
            nbytes = len(s.buf)
            if n != s.numel or pos + 8 + nbytes > size:
                raise Malformed("storage %s: the file holds %d elements, the pickle says %d"
                                % (key, n, s.numel))
            memoryview(s.buf)[:] = mv[pos + 8:pos + 8 + nbytes]
            pos += 8 + nbytes


def _load_legacy(f, size):
    """PyTorch's legacy format (torch < 1.6, or _use_new_zipfile_serialization=False):
    five pickles back to back (magic number, protocol version, system info, the
    object, the storage keys), then each storage as an 8-byte element count and
    its bytes.  Every pickle is scanned before any is unpickled."""
    import mmap
    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        spans = _legacy_spans(mm)
        data_start = spans[-1][1]
        keys = _legacy_keys(mm, spans)
        storages, room = {}, [size - data_start]

        def persistent_load(pid):
            dtype, key, numel, view = _storage_record(pid, 6)
            if view is not None:
                raise Refused("a storage view (PyTorch < 0.4)")
            if key not in storages:
                nbytes = numel * _ELEMENT_SIZE[dtype]
                room[0] -= 8 + nbytes
                if room[0] < 0:      # before allocating: the bytes must be in the file
                    raise Refused("the pickle declares more storage bytes than the file holds "
                                  "after its pickles (%d)" % (size - data_start))
                storages[key] = _Storage(bytearray(nbytes), dtype, numel, key)
            s = storages[key]
            if (s.dtype, s.numel) != (dtype, numel):
                raise Malformed("storage %s is used as two different types" % key)
            return s

        a, b = spans[3]
        obj = _Unpickler(io.BytesIO(mm[a:b]), _allowed_values(), persistent_load).load()
        if set(keys) != set(storages):
            raise Malformed("the storage key list does not match the storages the pickle uses")
        _legacy_fill(mm, size, data_start, keys, storages)
        return obj


# -- the entry point ----------------------------------------------------------

def _open_regular(path):
    """An open binary file and its size; only a regular file is opened."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise Fail("%s: %s" % (path, "is a directory" if stat.S_ISDIR(st.st_mode)
                                   else "not a regular file"))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise Fail("%s: no such file" % path)
    except OSError as e:
        raise Fail("%s: %s" % (path, e.strerror or e))
    f = os.fdopen(fd, "rb")
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):          # swapped since the stat
        f.close()
        raise Fail("%s: not a regular file" % path)
    return f, st.st_size


def _read(path, max_bytes):
    """The object the checkpoint's pickle holds, read by the format its
    first bytes name; every Refused or Malformed becomes a Fail naming path."""
    f, size = _open_regular(path)
    with f:
        if size == 0:
            raise Fail("%s: empty file, not a checkpoint" % path)
        if size > max_bytes:
            raise Fail("%s: %d bytes, more than the --max-bytes limit of %d" % (path, size, max_bytes))
        zipped = f.read(4) == b"PK\x03\x04"
        f.seek(0)
        try:
            return _load_zip(f, size, max_bytes) if zipped else _load_legacy(f, size)
        except Refused as e:
            raise Fail("%s: refused: %s" % (path, e))
        except Malformed as e:
            raise Fail("%s: cannot read it as a PyTorch checkpoint (%s)" % (path, e))
        except (MemoryError, RecursionError):
            raise Fail("%s: cannot read it as a PyTorch checkpoint (too big or too deeply nested)"
                       % path)
        except Exception as e:  # a pickle that breaks the rules of pickle
            raise Fail("%s: cannot read it as a PyTorch checkpoint (%s: %s)"
                       % (path, type(e).__name__, e))


def _fairseq_parts(path, ck, max_bytes):
    """(args, state dict) from what fairseq's checkpoint_utils saves: a dict
    with 'args' (an argparse.Namespace) and 'model' (names to tensors)."""
    import torch
    if not isinstance(ck, dict) or "model" not in ck:
        raise Fail("%s: not a fairseq checkpoint (expected a dict with 'args' and 'model')" % path)
    args = ck.get("args")
    if args is None:
        if ck.get("cfg") is not None:
            raise Fail("%s: the checkpoint has a hydra 'cfg' instead of 'args' (fairseq >= 0.10); "
                       "ltcc-import reads lite-transformer's fairseq checkpoints, which carry 'args'" % path)
        raise Fail("%s: the checkpoint has no 'args', so its architecture is unknown" % path)
    if not isinstance(args, argparse.Namespace):
        raise Fail("%s: 'args' is a %s, not an argparse.Namespace" % (path, type(args).__name__))
    sd = ck["model"]
    if not isinstance(sd, dict):
        raise Fail("%s: 'model' is a %s, not a state dict" % (path, type(sd).__name__))
    for k, v in sd.items():
        if not isinstance(k, str) or not isinstance(v, torch.Tensor):
            raise Fail("%s: state dict entry %r is not a tensor" % (path, k))
    elements = sum(v.numel() for v in sd.values())
    if 4 * elements > max_bytes:
        raise Fail("%s: the model's tensors hold %d elements, more than the --max-bytes limit of "
                   "%d allows as float32" % (path, elements, max_bytes))
    return args, sd


def load_checkpoint(path, max_bytes=DEFAULT_MAX_BYTES):
    """Returns (args Namespace, state dict of torch tensors) from the fairseq
    checkpoint at path, reading at most max_bytes; raises Fail."""
    return _fairseq_parts(path, _read(path, max_bytes), max_bytes)
