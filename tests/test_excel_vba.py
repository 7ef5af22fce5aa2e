"""The add-in's VBA project, written on Linux, read back by two independent readers.

oletools (olevba) and LibreOffice must find every module with the source that
was put in; compression is checked against oletools' decompressor, the
container against olefile.
"""

from __future__ import annotations

import inspect
import io
import os
import random
import re
import struct
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import olefile
import pytest
from conftest import require_tool
from oletools.olevba import VBA_Parser, decompress_stream

from xlcrm.excel import (
    actions,
    addin,
    cfb,
    ovba,
    ribbon,
    udfs,
    vbamodules,
    vbaproject,
    versions,
)
from xlcrm.excel.vbaproject import Module

# --- MS-OVBA compression, against oletools' decompressor ---------------------------------


def vba_like_text(n: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    words = [
        "Public",
        "Sub",
        "Function",
        "End",
        "If",
        "Then",
        "Else",
        "Dim",
        "As",
        "String",
        "RunPython",
        "xlwings",
        "0",
        "1",
        "2",
    ]
    text = " ".join(rng.choice(words) + ("\r\n" if rng.random() < 0.15 else "") for _ in range(n))
    return text.encode("ascii")[:n]


def roundtrip(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(ovba.compress(data))))


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4095, 4096, 4097, 8192, 100_000])
def test_compression_round_trips_through_oletools(size: int) -> None:
    data = vba_like_text(size)
    assert len(data) == size
    assert roundtrip(data) == data


@pytest.mark.parametrize(
    "data",
    [b"a" * 100_000, b"abc" * 33_334, b"Attribute VB_Name\r\n" * 5000, bytes(range(256)) * 64],
    ids=["one-byte", "three-bytes", "lines", "all-bytes"],
)
def test_repetitive_text_round_trips_and_shrinks(data: bytes) -> None:
    compressed = ovba.compress(data)
    assert len(compressed) < len(data) // 4
    assert roundtrip(data) == data


def test_incompressible_full_chunks_are_stored_raw() -> None:
    data = random.Random(7).randbytes(8192)
    compressed = ovba.compress(data)
    assert compressed[0] == 1
    assert struct.unpack_from("<H", compressed, 1)[0] == 0x3FFF  # raw chunk header
    assert roundtrip(data) == data


def test_an_incompressible_last_chunk_is_padded_as_the_specification_says() -> None:
    data = random.Random(8).randbytes(4095)
    assert roundtrip(data) == data + b"\x00"


def test_compression_is_deterministic() -> None:
    data = vba_like_text(20_000, seed=3)
    assert ovba.compress(data) == ovba.compress(data)


# --- the PROJECT stream's obfuscated lines (MS-OVBA 2.4.3) ------------------------------------


def template_project_text() -> str:
    with zipfile.ZipFile(vbamodules.template_path()) as z:
        ole = olefile.OleFileIO(io.BytesIO(z.read(addin.VBA_PART)))
    return str(ole.openstream("PROJECT").read().decode("cp1252"))


def test_decryption_reads_what_office_wrote_in_xlwings_template() -> None:
    text = template_project_text()
    values = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', text, re.M))
    project_id = re.search(r'^ID="(\{[^}]+\})"', text, re.M).group(1)  # type: ignore[union-attr]
    decoded = {k: ovba.decrypt(v) for k, v in values.items()}
    assert {k: key for k, (key, _) in decoded.items()} == dict.fromkeys(
        values, ovba.project_key(project_id)
    )
    assert {k: data for k, (_, data) in decoded.items()} == vbaproject.UNPROTECTED


@pytest.mark.parametrize("seed", [0, 1, 6, 0x5D, 255])
def test_encryption_round_trips(seed: int) -> None:
    pid = vbaproject.project_id("xlcrm")
    for data in (b"", b"\x00", b"\xff", b"\x00\x00\x00\x00", b"password"):
        assert ovba.decrypt(ovba.encrypt(data, pid, seed)) == (ovba.project_key(pid), data)


# --- the compound file container -----------------------------------------------------------


def red_black_ok(entries: list[Any], index: int) -> int:
    """Black height of the subtree at ``index``; fails on a red-red edge or unequal heights."""
    if index == cfb.NOSTREAM:
        return 1
    e = entries[index]
    for child in (e.sid_left, e.sid_right):
        if child != cfb.NOSTREAM and e.color == cfb.RED:
            assert entries[child].color == cfb.BLACK
    left, right = red_black_ok(entries, e.sid_left), red_black_ok(entries, e.sid_right)
    assert left == right
    return left + (e.color == cfb.BLACK)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 12, 40])
def test_compound_file_streams_read_back_with_olefile(count: int) -> None:
    rng = random.Random(count)
    root = cfb.Storage()
    data = {"PROJECT": b"p" * 600, "VBA/empty": b""}
    for i in range(count):
        size = rng.choice([1, 63, 64, 65, 4095, 4096, 4097, 20_000])
        data[f"VBA/Module{i}"] = rng.randbytes(size)
    for path, content in data.items():
        root.add(path, content)
    ole = olefile.OleFileIO(io.BytesIO(cfb.write(root)))
    for path, content in data.items():
        assert ole.openstream(path).read() == content, path
    assert sorted("/".join(p) for p in ole.listdir()) == sorted(data)
    entries = ole.direntries
    assert entries[0].color == cfb.BLACK
    for entry in entries:
        if entry is not None and entry.sid_child != cfb.NOSTREAM:
            red_black_ok(entries, entry.sid_child)
            assert entries[entry.sid_child].color == cfb.BLACK


# --- the built project, read back by oletools ------------------------------------------------


def normalised(text: str) -> str:
    return text.replace("\r\n", "\n").rstrip("\n")


@pytest.fixture(scope="module")
def modules() -> list[Module]:
    return vbamodules.addin_modules()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return addin.build_addin(tmp_path_factory.mktemp("addin"))


@pytest.fixture(scope="module")
def read_back(built: Path) -> dict[str, str]:
    parser = VBA_Parser(str(built))
    try:
        return {name.rsplit(".", 1)[0]: code for _f, _s, name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_oletools_reads_every_module_back_as_it_was_put_in(
    modules: list[Module], read_back: dict[str, str]
) -> None:
    assert list(read_back) == [m.name for m in modules]
    for m in modules:
        assert normalised(read_back[m.name]) == normalised(m.source), m.name


def test_the_project_has_the_modules_the_add_in_needs(read_back: dict[str, str]) -> None:
    assert set(read_back) == {
        "ThisWorkbook",
        "Sheet2",
        "Dictionary",
        "xlwings",
        ribbon.VBA_MODULE_NAME,
        vbamodules.UDF_VBA_MODULE,
    }
    assert "Public Function RunPython(" in read_back["xlwings"]


def test_the_project_is_named_after_xlcrm_not_the_template(built: Path) -> None:
    parser = VBA_Parser(str(built))
    try:
        sources = "\n".join(code for *_, code in parser.extract_macros())
        ole = parser.ole_subfiles[0].ole_file
        project = ole.openstream("PROJECT").read().decode("cp1252")
        wm = ole.openstream("PROJECTwm").read()
        header = ole.openstream("VBA/_VBA_PROJECT").read()
    finally:
        parser.close()
    assert 'Name="xlcrm"' in project.splitlines()
    assert 'Public Const PROJECT_NAME As String = "xlcrm"' in sources
    for old in ("myaddin", "MyAddin", "RibbonMyAddin"):
        assert old not in sources and old not in project and old.encode() not in wm
    assert header == bytes.fromhex("CC61FFFF000100")  # version 0xFFFF: compile from source


def test_the_project_is_reproducible(modules: list[Module]) -> None:
    assert vbaproject.build("xlcrm", modules) == vbaproject.build("xlcrm", modules)


def test_project_refuses_names_vba_cannot_have() -> None:
    ok = Module("A", "module", 'Attribute VB_Name = "A"\r\n')
    with pytest.raises(ValueError):
        vbaproject.build("my project", [ok])
    with pytest.raises(ValueError):
        vbaproject.build("p", [ok, Module("a", "module", "")])
    with pytest.raises(ValueError):
        vbaproject.build("p", [Module("B", "module", "' café")])


PUBLIC_SUB = re.compile(r"^Public Sub (\w+)\(control As IRibbonControl\)$", re.M)
RUNPYTHON = re.compile(r"xlcrm_actions\.(\w+)\(addin_xlwings=")


def test_every_onaction_has_a_callback_calling_an_existing_action(
    read_back: dict[str, str],
) -> None:
    source = normalised(read_back[ribbon.VBA_MODULE_NAME])
    bodies = dict(
        re.findall(
            r"^Public Sub (\w+)\(control As IRibbonControl\)\n(.*?)^End Sub", source, re.M | re.S
        )
    )
    assert set(bodies) == set(PUBLIC_SUB.findall(source))
    root = ET_parse(ribbon.customui_xml())
    actions_called = []
    for on_action in root:
        module, sub = on_action.split(".")
        assert module == ribbon.VBA_MODULE_NAME
        assert sub in bodies, f"no Public Sub {sub}(control As IRibbonControl)"
        (function,) = RUNPYTHON.findall(bodies[sub])
        target = getattr(actions, function, None)
        assert inspect.isfunction(target), f"{sub} calls missing xlcrm.excel.actions.{function}"
        params = inspect.signature(target).parameters
        assert {"addin_xlwings", "ui_lang"} <= set(params)
        assert all(p.default is not inspect.Parameter.empty for p in params.values())
        actions_called.append(function)
    assert sorted(actions_called) == sorted(b.action for b in ribbon.BUTTONS)


def ET_parse(xml: str) -> list[str]:
    import xml.etree.ElementTree as ET

    ns = "{http://schemas.microsoft.com/office/2009/07/customui}"
    return [b.get("onAction", "") for b in ET.fromstring(xml.encode()).iter(f"{ns}button")]


FUNCTION = re.compile(r"^Function (\w+)\((.*)\)$", re.M)


def test_every_udf_has_a_wrapper_with_its_arguments(read_back: dict[str, str]) -> None:
    source = normalised(read_back[vbamodules.UDF_VBA_MODULE])
    declared = {name: args for name, args in FUNCTION.findall(source)}
    assert set(declared) == set(udfs.__all__)
    for name in udfs.__all__:
        params = list(inspect.signature(getattr(udfs, name)).parameters.values())
        args = [a.strip() for a in declared[name].split(",")]
        assert len(args) == len(params), name
        for arg, p in zip(args, params, strict=True):
            optional = p.default is not inspect.Parameter.empty
            assert arg == (f"Optional {p.name}" if optional else p.name), (name, arg)
        assert f'XLPy.CallUDF("xlcrm.excel.udfs", "{name}"' in source


def test_the_project_carries_the_installed_xlwings_version(read_back: dict[str, str]) -> None:
    import xlwings

    source = read_back["xlwings"]
    assert vbamodules.VERSION_RE.findall(source) == [xlwings.__version__]
    dlls = set(re.findall(r'"xlwings(?:32|64)-([\d.]+)\.dll"', source))
    assert dlls == {xlwings.__version__}
    assert '"xlwings-" & XLWINGS_VERSION & ".applescript"' in source


# --- LibreOffice: a second, independent reader -----------------------------------------------


def as_macro_workbook(addin_path: Path, target: Path) -> Path:
    """The add-in package with the macro-enabled workbook type LibreOffice accepts."""
    with zipfile.ZipFile(addin_path) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.ms-excel.addin.macroEnabled.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            dst.writestr(name, data)
    return target


LO_HEADER = re.compile(
    r"^(Rem Attribute VBA_ModuleType=\w+|Option VBASupport 1|Option ClassModule)$"
)


def libreoffice_source(xml: bytes) -> str:
    import xml.etree.ElementTree as ET

    text = ET.fromstring(xml).text or ""
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and LO_HEADER.match(lines[0]):
        lines.pop(0)
    return "\n".join(lines).rstrip("\n")


ATTRIBUTE = re.compile(r"^Attribute [\w.]+ = ")


def without_attributes(source: str) -> str:
    """The source as LibreOffice keeps it: without ``Attribute`` lines (module or member)."""
    lines = normalised(source).split("\n")
    return "\n".join(line for line in lines if not ATTRIBUTE.match(line)).rstrip("\n")


@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_lists_the_same_modules_with_the_same_source(
    built: Path, modules: list[Module], tmp_path: Path
) -> None:
    soffice = require_tool("soffice")
    book = as_macro_workbook(built, tmp_path / "xlcrm.xlsm")
    profile = tmp_path / "profile"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path / "out"),
            str(book),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    ods = tmp_path / "out" / "xlcrm.ods"
    assert ods.is_file(), result.stderr
    with zipfile.ZipFile(ods) as z:
        found = {
            n.split("/")[2].removesuffix(".xml"): z.read(n)
            for n in z.namelist()
            if n.startswith("Basic/xlcrm/") and n.endswith(".xml") and "script-" not in n
        }
    assert sorted(found) == sorted(m.name for m in modules)
    for m in modules:
        assert libreoffice_source(found[m.name]) == without_attributes(m.source), m.name


def test_pyproject_pins_the_xlwings_the_add_in_is_built_from(read_back: dict[str, str]) -> None:
    import tomllib

    import xlwings

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    pins = [d for d in project["project"]["dependencies"] if d.startswith("xlwings")]
    assert pins == [f"xlwings=={xlwings.__version__}"]
    assert vbamodules.VERSION_RE.findall(read_back["xlwings"]) == [xlwings.__version__]
    assert xlwings.__version__ == versions.ADDIN_XLWINGS  # what the installer names
