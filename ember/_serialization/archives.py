"""The zip archives PyTorch writes, read in place and checked: every record's name stays
inside the archive, every record is stored (not compressed), every record's local header
carries its own name (so records cannot share bytes), and every record lies inside the file.
"""
from __future__ import annotations

import encodings.cp437  # noqa: F401 - zip names' codec, loaded now (not while reading a file)
import io
import struct
import zipfile

__all__ = ["MemFile", "zip_records", "archive_prefix"]


class MemFile(io.RawIOBase):
    """A read-only file over a buffer, without copying it (for :mod:`zipfile`)."""

    def __init__(self, buf):
        self.view = memoryview(buf).cast("B")
        self.pos = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        base = {0: 0, 1: self.pos, 2: len(self.view)}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def tell(self):
        return self.pos

    def readinto(self, b):
        chunk = self.view[self.pos:self.pos + len(b)]
        b[:len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


def _safe_name(name: str) -> bool:
    """A record name that stays inside the archive: relative, no '..', no drive, no NUL."""
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return False
    parts = name.split("/")
    return ":" not in parts[0] and all(p not in ("..", ".") for p in parts)


def zip_records(buf, where):
    """Record name -> (start, end) of its bytes in ``buf``, for a stored (uncompressed) zip
    whose names all stay inside the archive."""
    try:
        with zipfile.ZipFile(MemFile(buf)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError,
            struct.error) as exc:
        raise RuntimeError(f"ember.load({where}): broken zip archive ({exc}); truncated or "
                           "not a file written by torch.save") from None
    records = {}
    n = len(buf)
    for info in infos:
        name = info.filename
        if not _safe_name(name):
            raise RuntimeError(f"ember.load({where}): record name {name!r} escapes the archive; "
                               "refusing the file")
        if name in records:
            raise RuntimeError(f"ember.load({where}): record {name!r} appears twice")
        if info.compress_type != zipfile.ZIP_STORED:
            raise RuntimeError(f"ember.load({where}): record {name!r} is compressed; torch.save "
                               "never compresses its records, and ember reads only stored ones "
                               "(a compressed record could expand without bound)")
        at = info.header_offset
        head = bytes(buf[at:at + 30])
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise RuntimeError(f"ember.load({where}): record {name!r} has no local header "
                               "(truncated or crafted archive)")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        local_name = bytes(buf[at + 30:at + 30 + name_len])
        if local_name != name.encode("utf-8") and local_name != name.encode("cp437", "replace"):
            raise RuntimeError(f"ember.load({where}): record {name!r} is named differently in "
                               "its local header (crafted archive)")
        start = at + 30 + name_len + extra_len
        end = start + info.file_size
        if end > n or info.compress_size != info.file_size:
            raise RuntimeError(f"ember.load({where}): record {name!r} ends past the end of the "
                               "file (truncated)")
        records[name] = (start, end)
    return records


def archive_prefix(records, where):
    tops = {name.split("/", 1)[0] for name in records if "/" in name}
    if not records or len(tops) != 1 or any("/" not in name for name in records):
        raise RuntimeError(f"ember.load({where}): the zip archive does not hold one folder of "
                           "records: not a file written by torch.save")
    return tops.pop() + "/"
