"""Write a Compound File Binary (MS-CFB) file: the container of ``vbaProject.bin``.

Only what a VBA project needs: version 3 (512-byte sectors), storages and
streams given in memory, written in one pass, byte for byte reproducible
(no timestamps, no random class IDs). Streams under 4096 bytes live in the
mini stream (64-byte mini sectors), as the format requires.

Layout: header, then FAT sectors, directory, mini FAT, mini stream, and the
large streams, each a contiguous run of sectors. Siblings in a storage form
a balanced binary search tree by the format's name order, coloured so that
it is a valid red-black tree (MS-CFB 2.6.4).

Why not PyPI ``ms-cfb`` (0.0.6): it reads every stream from a file path and
appends its sector padding to that file in place, needs PyYAML and a
red-black-tree package, and does not write DIFAT sectors. olefile and
oletools only read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Final

SECTOR: Final = 512
MINI_SECTOR: Final = 64
MINI_CUTOFF: Final = 4096
HEADER_DIFAT: Final = 109  # FAT sector numbers the header itself can list
FREESECT: Final = 0xFFFFFFFF
ENDOFCHAIN: Final = 0xFFFFFFFE
FATSECT: Final = 0xFFFFFFFD
NOSTREAM: Final = 0xFFFFFFFF
SIGNATURE: Final = bytes.fromhex("D0CF11E0A1B11AE1")
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1


@dataclass
class Storage:
    """A folder of the compound file: named streams (bytes) and storages."""

    entries: dict[str, bytes | Storage] = field(default_factory=dict)

    def add(self, path: str, data: bytes) -> None:
        """Add a stream at ``path`` ("VBA/dir"), creating storages on the way."""
        *folders, name = path.split("/")
        here = self
        for folder in folders:
            child = here.entries.setdefault(folder, Storage())
            if not isinstance(child, Storage):
                raise ValueError(f"{folder!r} is a stream, not a storage")
            here = child
        here.entries[name] = data


def _name_key(name: str) -> tuple[int, str]:
    """The format's sibling order: shorter names first, then by upper case."""
    return len(name), name.upper()


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[int] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _flatten(root: Storage) -> list[_Entry]:
    """Directory entries, root first, children numbered in name order."""
    entries = [_Entry("Root Entry", ROOT)]

    def visit(storage: Storage, parent: int) -> None:
        for name in sorted(storage.entries, key=_name_key):
            if len(name) > 31 or not name:
                raise ValueError(f"compound file names have 1-31 characters: {name!r}")
            item = storage.entries[name]
            index = len(entries)
            if isinstance(item, Storage):
                entries.append(_Entry(name, STORAGE))
                entries[parent].children.append(index)
                visit(item, index)
            else:
                entries.append(_Entry(name, STREAM, data=bytes(item), size=len(item)))
                entries[parent].children.append(index)

    visit(root, 0)
    for entry in entries:
        entry.child = _tree(entries, entry.children, depth=0, height=_height(len(entry.children)))
    return entries


def _height(n: int) -> int:
    return n.bit_length()  # levels of a median-split tree of n nodes


def _tree(entries: list[_Entry], sorted_ids: list[int], depth: int, height: int) -> int:
    """Root of a balanced tree over ``sorted_ids``, as a valid red-black tree.

    Median splitting leaves every empty link on the last two levels, so
    colouring the last level red (below the root) and the rest black gives
    every path from the root the same number of black nodes.
    """
    if not sorted_ids:
        return NOSTREAM
    mid = len(sorted_ids) // 2
    node = entries[sorted_ids[mid]]
    node.left = _tree(entries, sorted_ids[:mid], depth + 1, height)
    node.right = _tree(entries, sorted_ids[mid + 1 :], depth + 1, height)
    node.color = RED if depth == height - 1 and depth > 0 else BLACK
    return sorted_ids[mid]


def _pad(data: bytes, unit: int) -> bytes:
    return data + b"\x00" * (-len(data) % unit)


def _chain(fat: list[int], start: int, count: int) -> None:
    """Mark ``count`` contiguous sectors from ``start`` as one chain."""
    for i in range(start, start + count - 1):
        fat[i] = i + 1
    if count:
        fat[start + count - 1] = ENDOFCHAIN


def _directory_entry(entry: _Entry | None) -> bytes:
    if entry is None:  # an unused slot
        return (
            b"\x00" * 64
            + struct.pack("<HBB3I", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM)
            + (b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16 + struct.pack("<IQ", 0, 0))
        )
    name = entry.name.encode("utf-16-le") + b"\x00\x00"
    return (
        name.ljust(64, b"\x00")
        + struct.pack(
            "<HBB3I", len(name), entry.kind, entry.color, entry.left, entry.right, entry.child
        )
        + b"\x00" * 16  # CLSID
        + b"\x00" * 4  # state bits
        + b"\x00" * 16  # creation and modification time: none, for reproducible bytes
        + struct.pack("<IQ", entry.start if entry.kind != STORAGE else 0, entry.size)
    )


def write(root: Storage) -> bytes:
    """The compound file holding ``root``'s storages and streams."""
    entries = _flatten(root)
    small = [e for e in entries if e.kind == STREAM and e.size < MINI_CUTOFF]
    large = [e for e in entries if e.kind == STREAM and e.size >= MINI_CUTOFF]

    # Mini stream: small streams back to back in 64-byte mini sectors.
    mini_fat: list[int] = []
    mini_stream = bytearray()
    for e in small:
        count = -(-e.size // MINI_SECTOR)
        e.start = len(mini_fat) if count else ENDOFCHAIN
        mini_fat += [*range(len(mini_fat) + 1, len(mini_fat) + count), ENDOFCHAIN][:count]
        mini_stream += _pad(e.data, MINI_SECTOR)
    mini_fat += [FREESECT] * (-len(mini_fat) % (SECTOR // 4))
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)

    per_sector = SECTOR // 128  # directory entries are 128 bytes
    runs = [
        -(-len(entries) // per_sector),
        len(mini_fat_bytes) // SECTOR,
        -(-len(mini_stream) // SECTOR),
        *(-(-e.size // SECTOR) for e in large),
    ]
    body = sum(runs)
    n_fat = 1
    while n_fat * (SECTOR // 4) < body + n_fat:
        n_fat += 1
    if n_fat > HEADER_DIFAT:
        raise ValueError("compound file too large for a header-only DIFAT (about 7 MB)")

    fat = [FREESECT] * (n_fat * SECTOR // 4)
    for i in range(n_fat):
        fat[i] = FATSECT
    position = n_fat
    starts = []
    for count in runs:
        starts.append(position if count else ENDOFCHAIN)
        _chain(fat, position, count)
        position += count
    dir_start, mini_fat_start, mini_stream_start, *large_starts = starts
    entries[0].start = mini_stream_start
    entries[0].size = len(mini_stream)
    for e, start in zip(large, large_starts, strict=True):
        e.start = start
    directory = b"".join(_directory_entry(e) for e in entries)
    directory += _directory_entry(None) * (-len(entries) % per_sector)

    header = (
        SIGNATURE
        + b"\x00" * 16  # CLSID
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)  # minor, major, byte order, shifts
        + b"\x00" * 6
        + struct.pack(
            "<9I",
            0,  # directory sectors (always 0 in version 3)
            n_fat,
            dir_start,
            0,  # transaction signature
            MINI_CUTOFF,
            mini_fat_start,
            len(mini_fat_bytes) // SECTOR,
            ENDOFCHAIN,  # first DIFAT sector: none
            0,
        )
        + b"".join(struct.pack("<I", i) for i in range(n_fat))
        + struct.pack("<I", FREESECT) * (HEADER_DIFAT - n_fat)
    )
    parts = [
        header,
        b"".join(struct.pack("<I", x) for x in fat),
        directory,
        mini_fat_bytes,
        _pad(bytes(mini_stream), SECTOR),
        *(_pad(e.data, SECTOR) for e in large),
    ]
    return b"".join(parts)
