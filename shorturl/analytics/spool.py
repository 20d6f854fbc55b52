"""`ClickSpool`: a web process's unsent clicks, in a file that outlives the process.

The tracker (analytics/tracker.py) holds each click in memory for up to a flush interval
before it reaches the transport; a process killed outright (SIGKILL, the OOM killer) would
lose them. So the tracker also writes each click here as it records it: one memory-mapped
file per process (MAP_SHARED, so what is written is in the kernel's page cache the moment
it is copied, with no system call and no fsync), a ring of records, and a header that says
where the first unsent one is. After a flush the transport accepted, the tracker moves that
mark past what it sent. A process holds an exclusive `flock` on its file while it lives; the
kernel drops it when the process dies, however it dies. Any other process sharing the
directory (the other web processes; the one started in its place) takes the lock of a file
nobody holds, sends the clicks after the mark with their own event ids, so a click the dead
process had sent already is not stored twice (inserts are idempotent on the id), and
removes the file.

A record is `[length u32][crc32 u32][number u64]` then the click's values as orjson. A
reader starts at the mark and stops at the first record that is torn (its checksum), or
whose number is not above the one before (what the ring held a lap ago). The mark is kept
twice, in two slots written in turn, each with a sequence number and a checksum, so a
process killed while writing one leaves the other. A full ring (a transport away for long)
keeps nothing more until the mark moves; those clicks are still in memory, and counted
(`unspooled`). What this does not cover: the machine itself failing (page cache not yet
written back), which needs fsync per click, and is what PostgreSQL's and Redis's own
persistence settings answer for the data past the transport.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import mmap
import os
import struct
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import orjson

from shorturl.analytics.events import ClickBatch

__all__ = ["ClickSpool", "Orphaned", "orphaned_spools"]

log = logging.getLogger(__name__)

_MAGIC: Final = b"SHURLSP1"
_SLOT = struct.Struct("<QQQI")  # sequence, mark (a position counting laps), its number, crc
_SLOT_AT: Final = (32, 64)  # after the magic and the 16-character id prefix (padded)
_DATA_AT: Final = 128
_RECORD = struct.Struct("<IIQ")
_RECORD_HEAD: Final = _RECORD.size
SUFFIX: Final = ".spool"


class ClickSpool:
    """This process's spool file; `write` on each click, `sent` after each accepted flush."""

    def __init__(self, directory: Path, id_prefix: str, size: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{id_prefix}{SUFFIX}"
        # Made under another name and locked before it gets the one others look for, so no
        # process can take a new file for a dead one's.
        making = self.path.with_suffix(".making")
        self._fd = os.open(making, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        # its blocks allocated now, not as the ring first reaches them (a write then faults)
        try:
            os.posix_fallocate(self._fd, 0, size)
        except OSError:  # a file system that cannot: a sparse file does the same, slower
            os.ftruncate(self._fd, size)
        self._map = mmap.mmap(self._fd, size, mmap.MAP_SHARED)
        self._map[: len(_MAGIC)] = _MAGIC
        self._map[8:24] = id_prefix.encode().ljust(16)[:16]
        self._lap = size - _DATA_AT  # bytes of records a lap of the ring holds
        self._head = 0  # where the next record goes, counting laps
        self._mark = 0  # where the first unsent record is, counting laps
        self._sequence = 0
        self.unspooled = 0  # clicks not written: the ring was full
        self.sent(0, 0)
        os.rename(making, self.path)

    def write(self, number: int, values: Sequence[Any]) -> None:
        """Keep click `number` (its values, as the tracker holds them)."""
        body = orjson.dumps(values)
        length = _RECORD_HEAD + len(body)
        at = self._head % self._lap
        # not enough room before the ring's end: the record goes at the start of the next lap
        skip = self._lap - at if self._lap - at < length else 0
        if self._head + skip + length - self._mark > self._lap:  # full: nothing overwritten
            self.unspooled += 1
            return
        if skip:
            if skip >= _RECORD_HEAD:
                _RECORD.pack_into(self._map, _DATA_AT + at, 0, 0, 0)  # "go round"
            at = 0
        start = _DATA_AT + at
        self._map[start + _RECORD_HEAD : start + length] = body
        _RECORD.pack_into(self._map, start, len(body), zlib.crc32(body), number)
        self._head += skip + length

    @property
    def head(self) -> int:
        return self._head

    def sent(self, head: int, next_number: int) -> None:
        """Everything before `head` (as `head` said then) is with the transport; the first
        click after it is `next_number`."""
        self._mark = head
        self._sequence += 1
        fields = (self._sequence, head, next_number)
        slot = _SLOT_AT[self._sequence % 2]
        _SLOT.pack_into(self._map, slot, *fields, zlib.crc32(struct.pack("<QQQ", *fields)))

    def close(self, *, everything_sent: bool) -> None:
        """Graceful stop: the file goes when nothing in it is unsent; else it stays, for
        another process (or this one's next start) to send."""
        if everything_sent:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        self._map.close()
        os.close(self._fd)


class Orphaned:
    """A spool file whose process is gone, locked by this one until `done` or `release`."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    def batch(self) -> ClickBatch:
        """Its unsent clicks, each with the event id it was given: an empty batch if none."""
        with mmap.mmap(self._fd, 0, mmap.MAP_SHARED) as ring:
            return _read(ring)

    def done(self) -> None:
        """Sent: remove the file (still locked, so nobody reads it twice)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self._fd)

    def release(self) -> None:
        """Not sent (the transport refused): left for the next try."""
        os.close(self._fd)


def orphaned_spools(directory: Path) -> list[Orphaned]:
    """The spool files in `directory` nobody holds (their process is gone), locked. A
    process's own file is not among them: `flock` locks an open file, not a process, so its
    own lock refuses it too."""
    if not directory.is_dir():
        return []
    for making in directory.glob("*.making"):  # a process that died making its file: empty
        with contextlib.suppress(FileNotFoundError):
            if time.time() - making.stat().st_mtime > 60:  # not one being made now
                _remove_if_unlocked(making)
    found = []
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:  # sent and removed by another process meanwhile
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # the file may have been sent and removed between the open and the lock
            if os.fstat(fd).st_ino != os.stat(path).st_ino or os.fstat(fd).st_size < _DATA_AT:
                raise FileNotFoundError(path)
        except (BlockingIOError, FileNotFoundError):  # alive, or gone
            os.close(fd)
            continue
        found.append(Orphaned(path, fd))
    return found


def _remove_if_unlocked(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    except BlockingIOError:  # being made now
        pass
    finally:
        os.close(fd)


def _read(ring: mmap.mmap) -> ClickBatch:
    if ring[: len(_MAGIC)] != _MAGIC:
        log.error("not a click spool file; left out")
        return ClickBatch("", None, [])
    prefix = ring[8:24].decode().strip()
    slots = []
    for at in _SLOT_AT:
        sequence, mark, number, crc = _SLOT.unpack_from(ring, at)
        if crc == zlib.crc32(struct.pack("<QQQ", sequence, mark, number)):
            slots.append((sequence, mark, number))
    if not slots:
        log.error("click spool of %s: no readable mark; its clicks are lost", prefix)
        return ClickBatch(prefix, None, [])
    _, position, last = max(slots)
    last -= 1
    lap = len(ring) - _DATA_AT
    values: list[Any] = []
    read = 0
    while read + _RECORD_HEAD <= lap:
        at = position % lap
        if lap - at < _RECORD_HEAD:
            position += lap - at
            read += lap - at
            continue
        length, crc, number = _RECORD.unpack_from(ring, _DATA_AT + at)
        if length == 0 and crc == 0 and number == 0:  # "go round"
            position += lap - at
            read += lap - at
            continue
        if number <= last or at + _RECORD_HEAD + length > lap:
            break  # the end: a record of a lap before, or never written
        body = ring[_DATA_AT + at + _RECORD_HEAD : _DATA_AT + at + _RECORD_HEAD + length]
        if zlib.crc32(body) != crc:
            break  # torn: the process died writing it
        try:
            click = orjson.loads(body)
        except orjson.JSONDecodeError:
            break
        values += (number, *click)
        last = number
        position += _RECORD_HEAD + length
        read += _RECORD_HEAD + length
    return ClickBatch(prefix, None, values)
