"""An interpreter of the pickle opcodes that builds plain data and nothing else.

Python's unpickler resolves every global a stream names by importing it and calls whatever
the stream asks it to call; that is how a pickle runs code. This interpreter reads the same
opcodes, but a global is only ever a *name*: it is handed to the caller's ``resolve_global``,
which returns an object of ember's own (a :class:`Global`, or a plain value such as a dtype)
or refuses. ``REDUCE``/``NEWOBJ``/``INST``/``OBJ``/``BUILD`` only ever reach those objects'
methods, so a stream can build lists, tuples, dicts, sets, strings, bytes, numbers and what
the caller's globals make, and can run nothing.

Limits for hostile input: every opcode consumes at least one byte, so work and memory grow
linearly with the stream; a memo reference must exist; the result may not nest deeper than
``max_depth`` containers (checked without recursion, so a deep stream cannot overflow
Python's stack later either). Every failure is an :class:`UnpicklingError` of one line that
names the byte offset and the opcode.
"""
from __future__ import annotations

import codecs
import encodings.raw_unicode_escape  # noqa: F401 - the UNICODE opcode's codec, loaded now
import struct
from pickle import UnpicklingError as _PickleUnpicklingError

__all__ = ["UnpicklingError", "Global", "Interpreter", "check_depth", "describe"]

_MAX_PROTOCOL = 5


class UnpicklingError(_PickleUnpicklingError, RuntimeError):
    """A stream that ember refuses or cannot read (a ``pickle.UnpicklingError``, as PyTorch's
    weights-only loader raises, and a ``RuntimeError``)."""


class Global:
    """What a global name resolves to: ``call`` serves ``REDUCE``, ``new`` serves ``NEWOBJ``,
    ``NEWOBJ_EX``, ``INST`` and ``OBJ``. The defaults refuse."""

    def __init__(self, name: str):
        self.name = name

    def call(self, args: tuple):
        raise UnpicklingError(f"{self.name} cannot be called from a file")

    def new(self, args: tuple, kwargs: dict):
        raise UnpicklingError(f"{self.name} cannot be instantiated from a file")

    def __repr__(self):
        return f"<global {self.name}>"


class _Mark:
    """The marker that ``MARK`` pushes (never escapes the interpreter)."""


_MARK = _Mark()


def describe(obj) -> str:
    """A short, one-line name of what the stream made (a global by its name)."""
    if isinstance(obj, Global):
        return obj.name
    if isinstance(obj, (str, bytes, int, float, bool, type(None))):
        text = repr(obj)
    elif isinstance(getattr(obj, "__qualname__", None), str):  # a class or function
        text = f"{getattr(obj, '__module__', '?')}.{obj.__qualname__}"
    else:
        text = f"a {type(obj).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


class Interpreter:
    """Run one pickle stream from ``data[pos:]`` to its ``STOP``.

    ``resolve_global(module, name)`` returns the object a global stands for (or raises);
    ``persistent_load(pid)`` the object a persistent id stands for; ``build(obj, state)``
    applies ``BUILD`` (by default refused). ``encoding``/``errors`` decode protocol-0/1
    byte strings (Python 2's ``str``) as ``pickle.load`` does; ``encoding='bytes'`` keeps them
    as bytes.
    """

    def __init__(self, data, resolve_global, persistent_load=None, build=None, *,
                 encoding: str = "ASCII", errors: str = "strict", max_depth: int = 1000,
                 objects: tuple = ()):
        # bytes are read in place; another buffer (a file's memory) through a view, uncopied
        self.data = data if isinstance(data, bytes) else memoryview(data).cast("B")
        self.resolve_global = resolve_global
        self.persistent_load = persistent_load
        self.build = build
        self.encoding, self.errors = encoding, errors
        self.max_depth = max_depth
        self.objects = objects

    # ------------------------------------------------------------------ reading bytes
    def _take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise self._error(f"needs {n} bytes but only {len(self.data) - self.pos} are left "
                              "(truncated)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out if isinstance(out, bytes) else out.tobytes()

    def _line(self) -> bytes:
        start = self.pos
        window = self.data[start:start + (1 << 16)]
        end = (window if isinstance(window, bytes) else window.tobytes()).find(b"\n")
        if end < 0:
            raise self._error("a text argument has no end of line (truncated, or longer than "
                              "64 KiB)")
        self.pos = start + end + 1
        return bytes(window[:end])

    def _error(self, msg: str) -> UnpicklingError:
        msg = msg.replace("\n", "\\n")  # one line, whatever a message quotes
        return UnpicklingError(f"{msg} (opcode {self.op!r} at byte {self.op_pos})")

    # ------------------------------------------------------------------ the stack
    def _pop(self):
        if not self.stack:
            raise self._error("the stack is empty")
        v = self.stack.pop()
        if v is _MARK:
            raise self._error("found a MARK where a value was expected")
        return v

    def _top(self):
        if not self.stack or self.stack[-1] is _MARK:
            raise self._error("the stack is empty")
        return self.stack[-1]

    def _pop_mark(self) -> list:
        stack = self.stack
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is _MARK:
                items = stack[i + 1:]
                del stack[i:]
                return items
        raise self._error("no MARK on the stack")

    def _push_global(self, module, name):
        if not isinstance(module, str) or not isinstance(name, str):
            raise self._error("a global's module and name must be strings")
        module = _PY2_MODULES.get(module, module)
        self.stack.append(self.resolve_global(module, name))

    # ------------------------------------------------------------------ running
    def run(self, pos: int = 0):
        """Interpret from byte ``pos``; returns ``(object, position after STOP)``."""
        self.pos, self.stack, self.memo = pos, [], {}
        self.op, self.op_pos = "?", pos
        data = self.data
        n = len(data)
        while True:
            if self.pos >= n:
                self.op, self.op_pos = "end of data", self.pos
                raise self._error("the stream ends before its STOP opcode (truncated)")
            self.op_pos = self.pos
            code = data[self.pos]
            self.pos += 1
            entry = _DISPATCH.get(code)
            if entry is None:
                self.op = f"\\x{code:02x}"
                raise self._error("unknown opcode")
            handler, self.op = entry
            try:
                if handler(self):
                    break
            except UnpicklingError:
                raise
            except RecursionError:
                raise self._error("nesting too deep") from None
            except (TypeError, ValueError, KeyError, IndexError, OverflowError,
                    UnicodeDecodeError, AttributeError, struct.error) as exc:
                raise self._error(f"malformed argument: {type(exc).__name__}: "
                                  f"{str(exc)[:120]}") from None
        if len(self.stack) != 1:
            raise self._error(f"STOP with {len(self.stack)} values on the stack (expected one)")
        result = self.stack.pop()
        if result is _MARK:
            raise self._error("STOP with a MARK on the stack")
        check_depth(result, self.max_depth, self.objects)
        return result, self.pos

    # ------------------------------------------------------------------ opcodes
    def op_PROTO(self):
        proto = self._take(1)[0]
        if proto > _MAX_PROTOCOL:
            raise self._error(f"unsupported pickle protocol {proto}")

    def op_FRAME(self):
        self._take(8)  # frames only group opcodes; the data is read in place

    def op_STOP(self):
        return True

    def op_MARK(self):
        self.stack.append(_MARK)

    def op_POP(self):
        if self.stack and self.stack[-1] is _MARK:
            self.stack.pop()
        else:
            self._pop()

    def op_POP_MARK(self):
        self._pop_mark()

    def op_DUP(self):
        self.stack.append(self._top())

    # numbers, None, booleans
    def op_NONE(self):
        self.stack.append(None)

    def op_NEWTRUE(self):
        self.stack.append(True)

    def op_NEWFALSE(self):
        self.stack.append(False)

    def op_INT(self):
        line = self._line()
        if line == b"00":
            self.stack.append(False)
        elif line == b"01":
            self.stack.append(True)
        else:
            self.stack.append(int(line))

    def op_BININT(self):
        self.stack.append(struct.unpack("<i", self._take(4))[0])

    def op_BININT1(self):
        self.stack.append(self._take(1)[0])

    def op_BININT2(self):
        self.stack.append(struct.unpack("<H", self._take(2))[0])

    def op_LONG(self):
        line = self._line()
        self.stack.append(int(line[:-1] if line.endswith(b"L") else line))

    def op_LONG1(self):
        n = self._take(1)[0]
        self.stack.append(int.from_bytes(self._take(n), "little", signed=True))

    def op_LONG4(self):
        n = struct.unpack("<i", self._take(4))[0]
        self.stack.append(int.from_bytes(self._take(n), "little", signed=True))

    def op_FLOAT(self):
        self.stack.append(float(self._line()))

    def op_BINFLOAT(self):
        self.stack.append(struct.unpack(">d", self._take(8))[0])

    # strings and bytes
    def _py2_str(self, raw: bytes):
        if self.encoding == "bytes":
            return raw
        return raw.decode(self.encoding, self.errors)

    def op_STRING(self):
        line = self._line()
        if len(line) < 2 or line[0] != line[-1] or line[:1] not in (b"'", b'"'):
            raise self._error("the STRING argument is not quoted")
        self.stack.append(self._py2_str(codecs.escape_decode(line[1:-1])[0]))

    def op_BINSTRING(self):
        n = struct.unpack("<i", self._take(4))[0]
        self.stack.append(self._py2_str(self._take(n)))

    def op_SHORT_BINSTRING(self):
        self.stack.append(self._py2_str(self._take(self._take(1)[0])))

    def op_UNICODE(self):
        self.stack.append(self._line().decode("raw-unicode-escape"))

    def op_SHORT_BINUNICODE(self):
        self.stack.append(self._take(self._take(1)[0]).decode("utf-8", "surrogatepass"))

    def op_BINUNICODE(self):
        n = struct.unpack("<I", self._take(4))[0]
        self.stack.append(self._take(n).decode("utf-8", "surrogatepass"))

    def op_BINUNICODE8(self):
        n = struct.unpack("<Q", self._take(8))[0]
        self.stack.append(self._take(n).decode("utf-8", "surrogatepass"))

    def op_BINBYTES(self):
        self.stack.append(self._take(struct.unpack("<I", self._take(4))[0]))

    def op_SHORT_BINBYTES(self):
        self.stack.append(self._take(self._take(1)[0]))

    def op_BINBYTES8(self):
        self.stack.append(self._take(struct.unpack("<Q", self._take(8))[0]))

    def op_BYTEARRAY8(self):
        self.stack.append(bytearray(self._take(struct.unpack("<Q", self._take(8))[0])))

    def op_NEXT_BUFFER(self):
        raise self._error("out-of-band buffers are not supported")

    op_READONLY_BUFFER = op_NEXT_BUFFER

    # containers
    def op_EMPTY_LIST(self):
        self.stack.append([])

    def op_EMPTY_TUPLE(self):
        self.stack.append(())

    def op_EMPTY_DICT(self):
        self.stack.append({})

    def op_EMPTY_SET(self):
        self.stack.append(set())

    def op_LIST(self):
        self.stack.append(self._pop_mark())

    def op_TUPLE(self):
        self.stack.append(tuple(self._pop_mark()))

    def op_TUPLE1(self):
        self.stack.append((self._pop(),))

    def op_TUPLE2(self):
        b, a = self._pop(), self._pop()
        self.stack.append((a, b))

    def op_TUPLE3(self):
        c, b, a = self._pop(), self._pop(), self._pop()
        self.stack.append((a, b, c))

    def op_DICT(self):
        items = self._pop_mark()
        if len(items) % 2:
            raise self._error("DICT needs key/value pairs")
        self.stack.append({items[i]: items[i + 1] for i in range(0, len(items), 2)})

    def op_FROZENSET(self):
        self.stack.append(frozenset(self._pop_mark()))

    def _target(self, kind):
        target = self._top()
        if type(target) is not kind and not (kind is dict and isinstance(target, dict)):
            raise self._error(f"expected a {kind.__name__} to add to, found "
                              f"{describe(target)}")
        return target

    def op_APPEND(self):
        value = self._pop()
        self._target(list).append(value)

    def op_APPENDS(self):
        items = self._pop_mark()
        self._target(list).extend(items)

    def op_SETITEM(self):
        value, key = self._pop(), self._pop()
        self._target(dict)[key] = value

    def op_SETITEMS(self):
        items = self._pop_mark()
        if len(items) % 2:
            raise self._error("SETITEMS needs key/value pairs")
        target = self._target(dict)
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def op_ADDITEMS(self):
        items = self._pop_mark()
        self._target(set).update(items)

    # the memo
    def _get(self, key):
        try:
            self.stack.append(self.memo[key])
        except KeyError:
            raise self._error(f"memo entry {key} does not exist") from None

    def _put(self, key):
        if key < 0:
            raise self._error(f"negative memo index {key}")
        self.memo[key] = self._top()

    def op_GET(self):
        self._get(int(self._line()))

    def op_BINGET(self):
        self._get(self._take(1)[0])

    def op_LONG_BINGET(self):
        self._get(struct.unpack("<I", self._take(4))[0])

    def op_PUT(self):
        self._put(int(self._line()))

    def op_BINPUT(self):
        self._put(self._take(1)[0])

    def op_LONG_BINPUT(self):
        self._put(struct.unpack("<I", self._take(4))[0])

    def op_MEMOIZE(self):
        self._put(len(self.memo))

    # globals and objects
    def op_GLOBAL(self):
        module = self._line().decode("utf-8")
        name = self._line().decode("utf-8")
        self._push_global(module, name)

    def op_STACK_GLOBAL(self):
        name, module = self._pop(), self._pop()
        self._push_global(module, name)

    def _ext(self, code):
        raise self._error(f"extension code {code} (the copyreg registry) is not supported")

    def op_EXT1(self):
        self._ext(self._take(1)[0])

    def op_EXT2(self):
        self._ext(struct.unpack("<H", self._take(2))[0])

    def op_EXT4(self):
        self._ext(struct.unpack("<i", self._take(4))[0])

    def _callable(self, obj, what):
        if not isinstance(obj, Global):
            raise self._error(f"{what} of {describe(obj)}, which is not an allowed global")
        return obj

    def op_REDUCE(self):
        args, func = self._pop(), self._pop()
        if not isinstance(args, tuple):
            raise self._error("REDUCE needs an argument tuple")
        self.stack.append(self._callable(func, "REDUCE").call(args))

    def op_NEWOBJ(self):
        args, cls = self._pop(), self._pop()
        if not isinstance(args, tuple):
            raise self._error("NEWOBJ needs an argument tuple")
        self.stack.append(self._callable(cls, "NEWOBJ").new(args, {}))

    def op_NEWOBJ_EX(self):
        kwargs, args, cls = self._pop(), self._pop(), self._pop()
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise self._error("NEWOBJ_EX needs an argument tuple and a keyword dict")
        self.stack.append(self._callable(cls, "NEWOBJ_EX").new(args, kwargs))

    def op_INST(self):
        module = self._line().decode("utf-8")
        name = self._line().decode("utf-8")
        args = tuple(self._pop_mark())
        self._push_global(module, name)
        cls = self.stack.pop()
        self.stack.append(self._callable(cls, "INST").new(args, {}))

    def op_OBJ(self):
        items = self._pop_mark()
        if not items:
            raise self._error("OBJ needs a class")
        self.stack.append(self._callable(items[0], "OBJ").new(tuple(items[1:]), {}))

    def op_BUILD(self):
        state, obj = self._pop(), self._pop()
        if self.build is None:
            raise self._error(f"BUILD of {describe(obj)} is not allowed")
        built = self.build(obj, state)
        if built is not obj:  # a value finished by BUILD: the memo refers to it from now on
            for key, value in self.memo.items():
                if value is obj:
                    self.memo[key] = built
        self.stack.append(built)

    def op_PERSID(self):
        self._persistent(self._line().decode("ascii"))

    def op_BINPERSID(self):
        self._persistent(self._pop())

    def _persistent(self, pid):
        if self.persistent_load is None:
            raise self._error("a persistent id where none is expected")
        self.stack.append(self.persistent_load(pid))


_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}

# The opcodes of pickle protocols 0-5 (the format's published table: code -> name).
_CODES = {
    b"(": "MARK", b".": "STOP", b"0": "POP", b"1": "POP_MARK", b"2": "DUP", b"F": "FLOAT",
    b"I": "INT", b"J": "BININT", b"K": "BININT1", b"L": "LONG", b"M": "BININT2", b"N": "NONE",
    b"P": "PERSID", b"Q": "BINPERSID", b"R": "REDUCE", b"S": "STRING", b"T": "BINSTRING",
    b"U": "SHORT_BINSTRING", b"V": "UNICODE", b"X": "BINUNICODE", b"a": "APPEND",
    b"b": "BUILD", b"c": "GLOBAL", b"d": "DICT", b"}": "EMPTY_DICT", b"e": "APPENDS",
    b"g": "GET", b"h": "BINGET", b"i": "INST", b"j": "LONG_BINGET", b"l": "LIST",
    b"]": "EMPTY_LIST", b"o": "OBJ", b"p": "PUT", b"q": "BINPUT", b"r": "LONG_BINPUT",
    b"s": "SETITEM", b"t": "TUPLE", b")": "EMPTY_TUPLE", b"u": "SETITEMS", b"G": "BINFLOAT",
    b"\x80": "PROTO", b"\x81": "NEWOBJ", b"\x82": "EXT1", b"\x83": "EXT2", b"\x84": "EXT4",
    b"\x85": "TUPLE1", b"\x86": "TUPLE2", b"\x87": "TUPLE3", b"\x88": "NEWTRUE",
    b"\x89": "NEWFALSE", b"\x8a": "LONG1", b"\x8b": "LONG4", b"B": "BINBYTES",
    b"C": "SHORT_BINBYTES", b"\x8c": "SHORT_BINUNICODE", b"\x8d": "BINUNICODE8",
    b"\x8e": "BINBYTES8", b"\x8f": "EMPTY_SET", b"\x90": "ADDITEMS", b"\x91": "FROZENSET",
    b"\x92": "NEWOBJ_EX", b"\x93": "STACK_GLOBAL", b"\x94": "MEMOIZE", b"\x95": "FRAME",
    b"\x96": "BYTEARRAY8", b"\x97": "NEXT_BUFFER", b"\x98": "READONLY_BUFFER",
}
_DISPATCH = {code[0]: (getattr(Interpreter, "op_" + name), name) for code, name in _CODES.items()}


def check_depth(root, limit: int, objects: tuple = ()) -> None:
    """Refuse an object graph whose containers (and instances of ``objects``, through their
    attributes) nest deeper than ``limit``; walked with an explicit stack, so a deep graph
    cannot exhaust Python's own."""
    seen = set()
    stack = [(root, 1)]
    while stack:
        obj, depth = stack.pop()
        if isinstance(obj, (list, tuple, set, frozenset)):
            children = obj
        elif isinstance(obj, dict):
            children = (v for kv in obj.items() for v in kv)
        elif objects and isinstance(obj, objects):
            children = vars(obj).values()
        else:
            continue
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if depth > limit:
            raise UnpicklingError(f"the data nests containers more than {limit} levels deep")
        stack.extend((c, depth + 1) for c in children)
