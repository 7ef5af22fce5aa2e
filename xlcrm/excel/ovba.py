"""Two small algorithms of MS-OVBA (the VBA project format of Office files).

* :func:`compress`: the run-length/LZ77 compression of section 2.4.1, used for
  every VBA module's source and for the ``dir`` stream;
* :func:`encrypt`: the "data encryption" of section 2.4.3.2, an obfuscation
  (not security) that the ``PROJECT`` stream's ``CMG``, ``DPB`` and ``GC``
  lines must use; :func:`decrypt` reverses it.

Both follow the specification's pseudocode; the comments name its terms.
Compression is checked against an independent decompressor (oletools'
``decompress_stream``) in the tests.

Why not PyPI ``ms-ovba``: its compressor garbles data of about 1 KB and more
(its own decompressor and oletools disagree with the input), see
docs/excel.md.
"""

from __future__ import annotations

import struct
from typing import Final

CHUNK: Final = 4096  # a DecompressedChunk holds at most 4096 bytes
MAX_CHUNK_BYTES: Final = 4098  # a CompressedChunk (header included) is at most 4098 bytes
SIGNATURE: Final = b"\x01"  # CompressedContainer.SignatureByte
# Enough to find the longest match in VBA text; a cap keeps repetitive input fast.
MAX_CANDIDATES: Final = 256


def _copy_token_help(offset_in_chunk: int) -> tuple[int, int]:
    """``CopyToken Help`` (2.4.1.3.19.1): bit count of the offset, maximum length.

    The split of a 16-bit CopyToken between offset and length depends on how
    far into the chunk the token is: the offset gets just enough bits to
    reach the chunk's start (at least 4), the length the rest.
    """
    bit_count = max((offset_in_chunk - 1).bit_length(), 4)
    maximum_length = (0xFFFF >> bit_count) + 3
    return bit_count, maximum_length


def _match_length(data: bytes, candidate: int, current: int, limit: int) -> int:
    """Bytes that agree from ``candidate`` and from ``current`` (at most ``limit``).

    The copy may overlap the bytes it produces (``candidate + n > current``):
    the decompressor copies byte by byte, so comparing the input with itself
    is exactly the condition for a valid copy.
    """
    n = 0
    step = 32
    while (
        n + step <= limit
        and data[candidate + n : candidate + n + step] == data[current + n : current + n + step]
    ):
        n += step
    while n < limit and data[candidate + n] == data[current + n]:
        n += 1
    return n


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """One CompressedChunk (header + data) for ``data[start:end]``, ``end - start <= 4096``.

    Tokens are written in TokenSequences: one FlagByte, then up to eight
    tokens; flag bit *i* is 1 when token *i* is a CopyToken (offset, length)
    and 0 for a LiteralToken (one byte). When the result would exceed 4098
    bytes the chunk is stored raw, as 2.4.1.3.7 says.
    """
    out = bytearray()
    heads: dict[bytes, list[int]] = {}  # 3-byte prefix -> positions in this chunk
    current = start
    while current < end and len(out) <= MAX_CHUNK_BYTES - 2:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if current >= end:
                break
            bit_count, maximum_length = _copy_token_help(current - start)
            limit = min(maximum_length, end - current)
            best_length, best_offset = 0, 0
            key = data[current : current + 3]
            if limit >= 3:
                chain = heads.get(key, ())
                for candidate in reversed(chain[-MAX_CANDIDATES:]):
                    length = _match_length(data, candidate, current, limit)
                    if length > best_length:
                        best_length, best_offset = length, current - candidate
                        if length == limit:
                            break
            step = best_length if best_length >= 3 else 1
            if step >= 3:
                token = ((best_offset - 1) << (16 - bit_count)) | (best_length - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
            else:
                out.append(data[current])
            for position in range(current, min(current + step, end - 2)):
                heads.setdefault(data[position : position + 3], []).append(position)
            current += step
        out[flag_index] = flags
    if current < end or len(out) > MAX_CHUNK_BYTES - 2:
        # CompressedChunkFlag 0: 4096 raw bytes, padded with zeros (2.4.1.3.10).
        raw = data[start:end].ljust(CHUNK, b"\x00")
        return struct.pack("<H", (CHUNK + 2 - 3) | 0x3000) + raw
    header = (len(out) + 2 - 3) | 0x3000 | 0x8000  # size - 3, signature 0b011, flag 1
    return struct.pack("<H", header) + bytes(out)


def compress(data: bytes) -> bytes:
    """A CompressedContainer (2.4.1.1) holding ``data``.

    Every 4096-byte piece of the input becomes one chunk, compressed within
    itself (copies never reach into an earlier chunk). Deterministic: the
    same input gives the same bytes.

    A last piece that cannot be compressed into 4096 bytes is stored raw and,
    as the specification prescribes, padded with zeros to 4096 bytes; VBA
    source text always compresses, so this only concerns random data.
    """
    out = bytearray(SIGNATURE)
    for start in range(0, len(data), CHUNK):
        out += _compress_chunk(data, start, min(start + CHUNK, len(data)))
    return bytes(out)


# --- data encryption (2.4.3) -------------------------------------------------------


def project_key(project_id: str) -> int:
    """``ProjKey``: the sum of the bytes of the ProjectId text (``{GUID}``), modulo 256."""
    return sum(project_id.encode("ascii")) & 0xFF


def encrypt(data: bytes, project_id: str, seed: int) -> str:
    """``Data Encryption`` (2.4.3.2) of ``data``: the hex text the PROJECT stream holds.

    The format asks for a random ``Seed`` and random ignored bytes; fixed
    values keep the add-in build reproducible (the obfuscation protects
    nothing either way).
    """
    version = 2
    key = project_key(project_id)
    seed &= 0xFF
    out = bytearray([seed, seed ^ version, seed ^ key])
    unencrypted_1, encrypted_1, encrypted_2 = key, seed ^ key, seed ^ version

    def put(byte: int) -> None:
        nonlocal unencrypted_1, encrypted_1, encrypted_2
        byte_enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(byte_enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte_enc, byte

    for _ in range((seed & 6) // 2):  # IgnoredLength
        put(0)
    for byte in struct.pack("<I", len(data)) + data:
        put(byte)
    return out.hex().upper()


def decrypt(text: str) -> tuple[int, bytes]:
    """``Data Decryption`` (2.4.3.3): ``(ProjKey, Data)`` from the hex text."""
    raw = bytes.fromhex(text)
    seed, version_enc, key_enc = raw[0], raw[1], raw[2]
    if seed ^ version_enc != 2:
        raise ValueError("not MS-OVBA encrypted data (version is not 2)")
    key = seed ^ key_enc
    unencrypted_1, encrypted_1, encrypted_2 = key, key_enc, version_enc
    plain = bytearray()
    for byte_enc in raw[3:]:
        byte = byte_enc ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        plain.append(byte)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte_enc, byte
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, ignored)
    data = bytes(plain[ignored + 4 : ignored + 4 + length])
    if len(data) != length:
        raise ValueError("MS-OVBA encrypted data is shorter than its length field")
    return key, data
