"""Write ``xl/vbaProject.bin``: a VBA project as source only (MS-OVBA).

A project is a compound file (:mod:`xlcrm.excel.cfb`) holding

* ``VBA/dir``: the project's records (name, code page, references, one
  block per module), compressed (:func:`xlcrm.excel.ovba.compress`);
* ``VBA/<module>``: each module's source, compressed, with no compiled
  code before it (``MODULEOFFSET`` 0);
* ``VBA/_VBA_PROJECT``: version 0xFFFF and no performance cache, which tells
  Office to compile the project from source when it opens it;
* ``PROJECT`` and ``PROJECTwm``: the project's properties and module names
  as text, as the VBA editor keeps them.

Section numbers in the comments are those of [MS-OVBA]. xlwings' own template
add-in ships its ``xlwings`` module the same way (its ``_VBA_PROJECT`` is the
same seven bytes, the module has no compiled code).
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from xlcrm.excel import cfb, ovba

CODE_PAGE: Final = 1252  # Western; module sources are checked to be ASCII
LCID: Final = 0x0409
# _VBA_PROJECT (2.3.4.1): Reserved1 0x61CC, Version 0xFFFF (no cache), Reserved2, Reserved3.
VBA_PROJECT_STREAM: Final = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001)
HOST_EXTENDER: Final = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
# Fixed seeds for the obfuscated CMG/DPB/GC lines keep the bytes reproducible.
SEEDS: Final = {"CMG": 0x3A, "DPB": 0x5C, "GC": 0x71}

#: CMG, DPB, GC (2.3.1.15-17): not locked, no password, visible in the VBA editor.
UNPROTECTED: Final = {"CMG": b"\x00\x00\x00\x00", "DPB": b"\x00", "GC": b"\xff"}

ModuleKind = Literal["module", "class", "document"]


@dataclass(frozen=True)
class Reference:
    """A type library the project uses (REFERENCEREGISTERED, 2.3.4.2.2.5)."""

    name: str
    libid: str


#: The Office library declares ``IRibbonControl``, the ribbon callbacks' argument
#: type. The text is the reference of xlwings' template add-in; Excel finds the
#: library by its GUID and version, the path is only a hint. (The template's
#: other reference, MS Forms, is used by none of the modules.)
REFERENCES: Final = (
    Reference(
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0"
        r"#C:\Program Files (x86)\Common Files\Microsoft Shared\OFFICE16\MSO.DLL"
        r"#Microsoft Office 16.0 Object Library",
    ),
)


@dataclass(frozen=True)
class Module:
    """One VBA module: its name, kind and full source (``Attribute`` lines included)."""

    name: str
    kind: ModuleKind
    source: str

    def encoded(self) -> bytes:
        """The source in the project's code page, with CRLF line ends as VBA stores it."""
        text = self.source.replace("\r\n", "\n").replace("\n", "\r\n")
        if not text.isascii():
            raise ValueError(f"VBA module {self.name} must be ASCII text")
        return text.encode("cp1252")


def _record(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _text_records(record_id: int, unicode_id: int, text: str) -> bytes:
    """A record in the code page followed by its UTF-16 twin (e.g. MODULENAME...)."""
    return _record(record_id, text.encode("cp1252")) + _record(unicode_id, text.encode("utf-16-le"))


def dir_stream(project_name: str, modules: Sequence[Module]) -> bytes:
    """The decompressed ``dir`` stream (2.3.4.2)."""
    out = bytearray()
    # PROJECTINFORMATION
    out += _record(0x0001, struct.pack("<I", 1))  # SYSKIND: 32-bit Windows (any works)
    out += _record(0x0002, struct.pack("<I", LCID))
    out += _record(0x0014, struct.pack("<I", LCID))  # LCIDINVOKE
    out += _record(0x0003, struct.pack("<H", CODE_PAGE))
    out += _record(0x0004, project_name.encode("cp1252"))
    out += _text_records(0x0005, 0x0040, "")  # DOCSTRING
    out += _record(0x0006, b"") + _record(0x003D, b"")  # HELPFILEPATH: two empty copies
    out += _record(0x0007, struct.pack("<I", 0))  # HELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # LIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # VERSION: Reserved=4, major 1, minor 0
    out += _text_records(0x000C, 0x003C, "")  # CONSTANTS
    # PROJECTREFERENCES
    for ref in REFERENCES:
        out += _text_records(0x0016, 0x003E, ref.name)
        libid = ref.libid.encode("cp1252")
        out += _record(0x000D, struct.pack("<I", len(libid)) + libid + b"\x00" * 6)
    # PROJECTMODULES
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for m in modules:
        out += _text_records(0x0019, 0x0047, m.name)  # MODULENAME
        out += _text_records(0x001A, 0x0032, m.name)  # MODULESTREAMNAME
        out += _text_records(0x001C, 0x0048, "")  # MODULEDOCSTRING
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source starts at 0
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
        # MODULETYPE: 0x21 procedural; 0x22 class, document (sheet) or designer
        out += struct.pack("<HI", 0x0021 if m.kind == "module" else 0x0022, 0)
        out += struct.pack("<HI", 0x002B, 0)  # module terminator
    out += struct.pack("<HI", 0x0010, 0)  # dir terminator
    return bytes(out)


def project_id(project_name: str) -> str:
    """A stable ``{GUID}`` per project name (uuid5), so builds are reproducible."""
    guid = uuid.uuid5(uuid.NAMESPACE_URL, f"xlcrm:vba-project:{project_name}")
    return "{" + str(guid).upper() + "}"


def project_stream(project_name: str, modules: Sequence[Module]) -> bytes:
    """The ``PROJECT`` stream (2.3.1): properties as text lines, CRLF."""
    pid = project_id(project_name)
    kinds = {"document": "Document={}/&H00000000", "module": "Module={}", "class": "Class={}"}
    lines = [f'ID="{pid}"']
    lines += [kinds[m.kind].format(m.name) for m in modules]
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        *(f'{key}="{ovba.encrypt(data, pid, SEEDS[key])}"' for key, data in UNPROTECTED.items()),
        "",
        "[Host Extender Info]",
        HOST_EXTENDER,
        "",
        "[Workspace]",
        *(f"{m.name}=0, 0, 0, 0, C" for m in modules),
        "",
    ]
    return "\r\n".join(lines).encode("cp1252")


def project_wm_stream(modules: Sequence[Module]) -> bytes:
    """``PROJECTwm`` (2.3.3): each module name in the code page and in UTF-16."""
    out = bytearray()
    for m in modules:
        out += m.name.encode("cp1252") + b"\x00" + m.name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def build(project_name: str, modules: Sequence[Module]) -> bytes:
    """The bytes of ``vbaProject.bin`` for ``modules``, in this order."""
    names = [m.name.lower() for m in modules]
    if len(set(names)) != len(names):
        raise ValueError("VBA module names must be unique (case does not count)")
    for name in [project_name, *(m.name for m in modules)]:
        if not (name.isascii() and name.replace("_", "a").isalnum() and name[0].isalpha()):
            raise ValueError(f"not a VBA name: {name!r}")
        if len(name) > 31:
            raise ValueError(f"VBA names have at most 31 characters: {name!r}")
    root = cfb.Storage()
    root.add("PROJECT", project_stream(project_name, modules))
    root.add("PROJECTwm", project_wm_stream(modules))
    root.add("VBA/_VBA_PROJECT", VBA_PROJECT_STREAM)
    root.add("VBA/dir", ovba.compress(dir_stream(project_name, modules)))
    for m in modules:
        root.add(f"VBA/{m.name}", ovba.compress(m.encoded()))
    return cfb.write(root)
