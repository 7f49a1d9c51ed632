"""Hostile files: each is refused with a one-line error, and nothing runs or is written.

A corpus of crafted pickles names dangerous globals through every object-building opcode,
in every container ember reads (torch.save's zip, the legacy stream, a bare pickle, ember's
own JSON); others nest deeply, point outside the memo, are truncated or oversized, escape the
archive or inflate. An audit hook records what the interpreter asks Python to do: a load may
create nothing but data. Hypothesis then mutates valid files byte by byte.
"""
from __future__ import annotations

import io
import json
import os
import struct
import sys
import tracemalloc
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember

MAGIC = 0x1950A86A20F9469CFC6C

# ---------------------------------------------------------------------------- the watch

_WATCH: list = []


def _audit(event, args):
    if _WATCH and event not in ("builtins.id", "object.__getattr__"):
        _WATCH[-1].append((event, args[:1] if isinstance(args, tuple) else ()))


sys.addaudithook(_audit)


def _refused(data, **kw):
    """Load ``data``; it must fail with one line, and Python must have been asked to do
    nothing (no import, exec, compile, process, file, socket) while it was read."""
    _WATCH.append([])
    try:
        with pytest.raises(RuntimeError) as info:
            ember.load(io.BytesIO(data), **kw)
    finally:
        events = _WATCH.pop()
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("ember.load("), msg
    assert not events, f"the load asked Python for {events}"
    return msg


# ---------------------------------------------------------------------------- containers


def _zip(pkl: bytes, extra=(), name="archive") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{name}/data.pkl", pkl)
        z.writestr(f"{name}/byteorder", b"little")
        for n, d in extra:
            z.writestr(n, d)
    return out.getvalue()


def _p2(obj) -> bytes:
    """A protocol-2 pickle of plain data, written by hand (these tests never unpickle)."""
    if isinstance(obj, int):
        return b"\x80\x02" + _int(obj) + b"."
    raise TypeError(obj)


def _int(v: int) -> bytes:
    if 0 <= v < 256:
        return b"K" + bytes([v])
    raw = v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(raw)]) + raw


def _legacy(pkl: bytes) -> bytes:
    head = _p2(MAGIC) + _p2(1001) + b"\x80\x02}."
    return head + pkl + b"\x80\x02]."


def _uni(s: str) -> bytes:
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


DANGEROUS = [("os", "system"), ("posix", "system"), ("nt", "system"), ("builtins", "eval"),
             ("builtins", "exec"), ("builtins", "__import__"), ("builtins", "open"),
             ("builtins", "getattr"), ("__builtin__", "eval"), ("subprocess", "Popen"),
             ("subprocess", "check_output"), ("shutil", "rmtree"), ("os", "remove"),
             ("webbrowser", "open"), ("pickle", "loads"), ("_pickle", "loads"),
             ("importlib", "import_module"), ("runpy", "run_path"), ("code", "InteractiveConsole"),
             ("functools", "partial"), ("operator", "attrgetter"), ("sys", "exit"),
             ("torch.serialization", "load"), ("torch.hub", "load"), ("numpy", "load"),
             ("tempfile", "NamedTemporaryFile"), ("collections", "defaultdict"),
             ("torch._utils", "_rebuild_device_tensor_from_numpy"), ("ctypes", "CDLL"),
             ("socket", "create_connection"), ("urllib.request", "urlopen")]


def _opcode_payloads(module, name):
    """The global ``module.name`` reached through each opcode that builds an object."""
    g = f"c{module}\n{name}\n".encode()
    arg = _uni("touch /tmp/ember-pwned")
    sg = b"\x80\x04" + _short(module) + _short(name) + b"\x93"
    return {
        "REDUCE": b"\x80\x02" + g + arg + b"\x85R.",
        "STACK_GLOBAL+REDUCE": sg + arg + b"\x85R.",
        "NEWOBJ": b"\x80\x02" + g + b")\x81.",
        "NEWOBJ_EX": sg + b")}\x92.",
        "INST": b"(" + arg + f"i{module}\n{name}\n".encode() + b".",
        "OBJ": b"\x80\x02(" + g + arg + b"o.",
        "BUILD": b"\x80\x02" + g + b"}" + _uni("a") + b"K\x01sb.",
        "reconstructor": b"\x80\x02ccopyreg\n_reconstructor\n" + g +
                         b"cbuiltins\nobject\nN\x87R.",
        "persistent id": b"\x80\x02(" + _uni("storage") + g + _uni("0") + _uni("cpu") +
                         b"K\x01tQ.",
    }


def _short(s: str) -> bytes:
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


CORPUS = [pytest.param(m, n, op, id=f"{m}.{n}-{op}") for m, n in DANGEROUS
          for op in _opcode_payloads(m, n)]


@pytest.mark.parametrize("weights_only", [True, False], ids=["weights_only", "trusting"])
@pytest.mark.parametrize("module,name,op", CORPUS)
def test_dangerous_globals_are_refused_everywhere(module, name, op, weights_only, tmp_path):
    pkl = _opcode_payloads(module, name)[op]
    for data in (_zip(pkl), _legacy(pkl)):
        msg = _refused(data, weights_only=weights_only)
        assert f".{name}" in msg, msg  # the error names the global
    assert not os.path.exists("/tmp/ember-pwned")


def test_a_bare_pickle_is_refused():
    msg = _refused(b"\x80\x02cos\nsystem\n" + _uni("ls") + b"\x85R.")
    assert "pickle" in msg


def test_extension_codes_and_buffers_are_refused():
    for op in (b"\x82\x01", b"\x83\x01\x00", b"\x84\x01\x00\x00\x00", b"\x97", b"\x98"):
        msg = _refused(_zip(b"\x80\x05" + op + b"."))
        assert "extension" in msg or "buffer" in msg or "stack is empty" in msg


def test_allowing_a_function_never_calls_it():
    with ember.serialization.safe_globals([os.system]):
        msg = _refused(_zip(_opcode_payloads("posix", "system")["REDUCE"]))
    assert "cannot be called" in msg or "not an allowed global" in msg


@pytest.mark.parametrize("what", ["lists", "marks", "dicts", "tuples", "memo-chain"])
def test_deep_nesting_is_refused_without_exhausting_the_stack(what):
    n = 200_000
    if what == "lists":
        pkl = b"\x80\x02" + b"]" * n + b"a" * (n - 1) + b"."
    elif what == "marks":
        pkl = b"\x80\x02" + b"(" * n + b"l" * n + b"."
    elif what == "dicts":
        pkl = b"\x80\x02" + b"}" + (b"K\x00}" * n) + b"s" * n + b"."
    elif what == "tuples":
        pkl = b"\x80\x02N" + b"\x85" * n + b"."
    else:  # lists made first and linked later through the memo
        pkl = b"\x80\x02" + b"".join(b"]r" + struct.pack("<I", i) + b"0" for i in range(3000))
        pkl += b"".join(b"j" + struct.pack("<I", i) + b"j" + struct.pack("<I", i + 1) +
                        b"a0" for i in range(2999))
        pkl += b"j\x00\x00\x00\x00."
    assert "levels deep" in _refused(_zip(pkl))


@pytest.mark.parametrize("pkl,needle", [
    (b"\x80\x02h\x05.", "memo entry 5"),
    (b"\x80\x02j\xff\xff\xff\xff.", "memo entry 4294967295"),
    (b"\x80\x02g12\n.", "memo entry 12"),
    (b"\x80\x02X\xff\xff\xff\x7fab", "truncated"),
    (b"\x80\x02\x8d" + b"\xff" * 8 + b"ab", "truncated"),
    (b"\x80\x02\x8b\xff\xff\xff\x7f.", "truncated"),
    (b"\x80\x02K\x01", "truncated"),
    (b"\x80\x02a.", "stack is empty"),
    (b"\x80\x02K\x01K\x02.", "STOP with 2 values"),
    (b"\x80\x02(.", "MARK"),
    (b"\x80\x02K\x01a.", "stack is empty"),
    (b"\x80\x02NK\x01K\x02s.", "expected a dict"),
    (b"\x80\x02}]K\x01s.", "malformed argument: TypeError"),
    (b"\x80\x09.", "protocol 9"),
    (b"\xff.", "unknown opcode"),
    (b"\x80\x02I" + b"9" * 5000 + b"\n.", "malformed argument"),
    (b"\x80\x02S'unterminated\n.", "not quoted"),
    (b"\x80\x04\x8c\x03o\ns\x8c\x06system\x93.", "'o\\ns' 'system' is not allowed"),
    (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((" + _uni("storage") +
     b"ctorch\nFloatStorage\n" + _uni("0\nevil") + _uni("cpu") + b"K\x01tQK\x00K\x01\x85K\x01"
     b"\x85\x89NtR.", "bad storage id ('0\\nevil'"),
])
def test_malformed_streams_are_one_line_errors(pkl, needle):
    assert needle in _refused(_zip(pkl))


def _valid_zip():
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save({"w": torch.arange(6.0), "n": 3}, buf)
    return buf.getvalue()


def _records(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _rezip(records, compress=zipfile.ZIP_STORED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as z:
        for n, d in records.items():
            z.writestr(n, d)
    return out.getvalue()


def test_truncated_files_at_every_length():
    data = _valid_zip()
    step = max(1, len(data) // 300)
    for n in list(range(0, len(data), step)) + [len(data) - 1]:
        _WATCH.append([])
        try:
            with pytest.raises((RuntimeError, FileNotFoundError)) as info:
                ember.load(io.BytesIO(data[:n]))
        finally:
            assert not _WATCH.pop()
        assert "\n" not in str(info.value)
    pkl = _records(data)["archive/data.pkl"]
    for n in range(len(pkl)):
        _refused(_rezip({**_records(data), "archive/data.pkl": pkl[:n]}))


def test_records_of_the_wrong_size_and_views_outside_their_storage():
    recs = _records(_valid_zip())
    key = next(n for n in recs if n.startswith("archive/data/"))
    assert "truncated or oversized" in _refused(_rezip({**recs, key: recs[key][:-4]}))
    assert "truncated or oversized" in _refused(_rezip({**recs, key: recs[key] + b"\0" * 8}))
    assert "missing" in _refused(_rezip({k: v for k, v in recs.items() if k != key}))
    pkl = recs["archive/data.pkl"]
    huge = pkl.replace(b"K\x06t", b"\x8a\x08" + (2 ** 60).to_bytes(8, "little") + b"t", 1)
    assert huge != pkl and "more bytes than the file holds" in _refused(
        _rezip({**recs, "archive/data.pkl": huge}))
    outside = pkl.replace(b"K\x00K\x06\x85", b"K\x03K\x06\x85", 1)  # offset 3 + 6 elements
    assert outside != pkl and "outside its storage" in _refused(
        _rezip({**recs, "archive/data.pkl": outside}))


@pytest.mark.parametrize("name", ["../../evil", "/etc/evil", "archive/../../evil",
                                  "C:/evil", "archive\\..\\evil", "archive/./x"])
def test_record_names_that_escape_are_refused(name, tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        data = _zip(_p2(1), [(name, b"x")])
        assert "escapes the archive" in _refused(data)
        assert os.listdir(tmp_path) == []
    finally:
        os.chdir(cwd)


def test_a_zip_bomb_is_not_expanded():
    """1 GiB of zeros deflated to ~1 MiB: refused at once, within a few MiB of memory."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(1 << 20)
    chunks = [comp.compress(zeros) for _ in range(1024)] + [comp.flush()]
    body = b"".join(chunks)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(zeros, crc)
    name = b"archive/data/0"
    local = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(body), 1 << 30,
                        len(name), 0) + name
    pkl = b"\x80\x02K\x01."
    pkl_name = b"archive/data.pkl"
    local2 = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 0, 0, 0, zlib.crc32(pkl),
                         len(pkl), len(pkl), len(pkl_name), 0) + pkl_name
    off2 = len(local) + len(body)
    central = struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(body),
                          1 << 30, len(name), 0, 0, 0, 0, 0, 0) + name
    central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, zlib.crc32(pkl),
                           len(pkl), len(pkl), len(pkl_name), 0, 0, 0, 0, 0, off2) + pkl_name
    start = off2 + len(local2) + len(pkl)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 2, 2, len(central), start, 0)
    data = local + body + local2 + pkl + central + end
    tracemalloc.start()
    try:
        msg = _refused(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "compressed" in msg and peak < 3 * len(data) + (8 << 20)


def test_records_sharing_bytes_are_refused():
    """Central-directory entries that point at another record's bytes (the overlapping-file
    zip bomb) do not pass: each record's local header must carry its own name."""
    data = bytearray(_zip(_p2(1), [("archive/data/0", b"\0" * 64)]))
    first_cd = data.find(b"PK\x01\x02")
    first_local = struct.unpack("<I", data[first_cd + 42:first_cd + 46])[0]
    last_cd = data.rfind(b"PK\x01\x02")  # archive/data/0 now points at data.pkl's bytes
    data[last_cd + 42:last_cd + 46] = struct.pack("<I", first_local)
    assert "named differently in its local header" in _refused(bytes(data))


def test_legacy_storage_claims_are_bounded():
    pid = b"(" + _uni("storage") + b"ctorch\nFloatStorage\n" + _uni("k") + _uni("cpu") + \
        b"\x8a\x05\x00\x00\x00\x00\x01" + b"Nt"  # 2**32 floats
    pkl = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"QK\x00K\x01\x85K\x01\x85" \
        b"\x89ccollections\nOrderedDict\n)RtR."
    tracemalloc.start()
    try:
        msg = _refused(_legacy(pkl))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "more bytes than the file holds" in msg and peak < (16 << 20)


def _ember_file(structure):
    buf = io.BytesIO()
    ember.save({"x": ember.ones(1)}, buf)
    data = buf.getvalue()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header["__metadata__"]["ember"] = json.dumps(structure)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data[8 + n:]


@pytest.mark.parametrize("name", ["os:system", "builtins:eval", "subprocess:check_output"])
def test_ember_files_name_functions_only_as_allowed(name):
    """By default only ember's own functions; with weights_only=False a file may refer to
    a function of an imported module, which comes back as a reference and is not called."""
    crafted = _ember_file({"__dict__": {"act": {"__function__": name}}})
    assert name.replace(":", ".") in _refused(crafted)
    _WATCH.append([])
    try:
        got = ember.load(io.BytesIO(crafted), weights_only=False)["act"]
    finally:
        assert not _WATCH.pop()
    assert f"{got.__module__}:{got.__qualname__}".endswith(name.split(":")[1])


@pytest.mark.parametrize("structure,needle", [
    ({"__module__": 0, "class": "os:system"}, "os.system"),
    ({"__object__": 0, "class": "subprocess:Popen", "attributes": {}}, "subprocess.Popen"),
    ({"__object__": 0, "class": "tempfile:_TemporaryFileCloser", "attributes": {}},
     "tempfile._TemporaryFileCloser"),
    ({"__ref__": 4}, "before describing it"),
    ({"__method__": [{"__ref__": 0}, "x"]}, "before describing it"),
    ({"__defaultdict__": "eval", "pairs": []}, "not allowed"),
    ({"__tensor__": "missing"}, "not in the file"),
    ({"__nope__": 1}, "unknown entry"),
    ({"__tensor__": "a\nb"}, "'a\\nb' that is not in the file"),
    ({"__device__": "gpu\n0"}, "malformed structure"),
    ({"__object__": 0, "class": "os:sy\nstem", "attributes": {}}, "'os.sy\\nstem'"),
])
def test_ember_files_name_only_allowed_things(structure, needle):
    crafted = _ember_file(structure)
    for weights_only in (True, False):
        assert needle in _refused(crafted, weights_only=weights_only)


def test_deep_json_is_refused():
    header = {"__metadata__": {"ember": "[" * 100000 + "]" * 100000}}
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    assert "not valid JSON (RecursionError)" in _refused(struct.pack("<Q", len(h)) + h)


# ---------------------------------------------------------------------------- mutations


def _valid_files():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    out = []
    for kw in ({}, {"_use_new_zipfile_serialization": False}):
        for obj in (net.state_dict(), net, {"t": torch.arange(4)[1:], "k": [1, "a", None]}):
            buf = io.BytesIO()
            torch.save(obj, buf, **kw)
            out.append(buf.getvalue())
    buf = io.BytesIO()
    ember.save({"m": ember.nn.Linear(2, 2), "e": 3}, buf)
    out.append(buf.getvalue())
    return out


def _load_or_one_line_error(data):
    _WATCH.append([])
    try:
        ember.load(io.BytesIO(data))
    except RuntimeError as exc:  # (UnpicklingError is one)
        assert "\n" not in str(exc), str(exc)
    finally:
        events = _WATCH.pop()
    assert not events, events


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_files_load_or_fail_cleanly(data):
    files = _valid_files_cached()
    raw = bytearray(files[data.draw(st.integers(0, len(files) - 1))])
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "set" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del raw[at:]
        elif kind == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        elif raw:
            del raw[at:at + data.draw(st.integers(1, 8))]
    _load_or_one_line_error(bytes(raw))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_pickles_inside_valid_archives(data):
    """The zip stays valid; only its data.pkl changes, so every change reaches the
    interpreter."""
    files = [f for f in _valid_files_cached() if f[:2] == b"PK"]
    recs = _records(files[data.draw(st.integers(0, len(files) - 1))])
    name = next(n for n in recs if n.endswith("data.pkl"))
    pkl = bytearray(recs[name])
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(pkl) - 1))
        if data.draw(st.booleans()):
            pkl[at] = data.draw(st.integers(0, 255))
        else:
            pkl[at:at] = data.draw(st.binary(min_size=1, max_size=4))
    _load_or_one_line_error(_rezip({**recs, name: bytes(pkl)}))


_CACHE: list = []


def _valid_files_cached():
    if not _CACHE:
        _CACHE.extend(_valid_files())
    return _CACHE


def test_nothing_hostile_left_anything_behind():
    assert not os.path.exists("/tmp/ember-pwned")
