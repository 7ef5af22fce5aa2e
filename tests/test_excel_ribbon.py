"""The ribbon registry, its customUI XML, and the add-in package built around them."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from xlcrm.cli import cli
from xlcrm.excel import addin, ribbon

NS = {"ui": "http://schemas.microsoft.com/office/2009/07/customui"}
REPO = Path(__file__).resolve().parents[1]


def parse_ui(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def buttons(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{{{NS['ui']}}}button"))


def test_tab_has_the_six_buttons_in_order_in_one_language() -> None:
    english = parse_ui(ribbon.customui_xml("en"))
    chinese = parse_ui(ribbon.customui_xml("zh"))
    assert [b.label for b in ribbon.BUTTONS] == [
        "Analyze",
        "Follow-up plan",
        "Dashboard",
        "PDF brief",
        "Email brief",
        "Help",
    ]
    assert [b.get("label") for b in buttons(english)] == [b.label for b in ribbon.BUTTONS]
    assert [b.get("label") for b in buttons(chinese)] == [b.label_in("zh") for b in ribbon.BUTTONS]
    assert buttons(chinese)[0].get("label") == "分析"
    for root, other in ((english, chinese), (chinese, english)):
        texts = {e.get(a) for e in other.iter() for a in ("label", "supertip") if e.get(a)}
        for element in root.iter():
            for attribute in ("label", "supertip"):
                value = element.get(attribute)
                assert value is None or value not in texts, value  # one language at a time
    assert ribbon.customui_xml("en").isascii()
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in ribbon.customui_xml("en"))


def test_control_ids_are_unique_and_every_button_has_an_action() -> None:
    root = parse_ui(ribbon.customui_xml())
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    for button in buttons(root):
        assert button.get("onAction", "").startswith(f"{ribbon.VBA_MODULE_NAME}.")
        assert button.get("imageMso")


def test_callbacks_pass_the_xlwings_version_and_the_ribbon_language() -> None:
    source = ribbon.vba_module()
    assert source.isascii() and "\n" not in source.replace("\r\n", "")
    for b in ribbon.BUTTONS:
        line = f"    RunPython {b.vba_argument}"
        assert line in source
        assert '" & XLWINGS_VERSION & "' in line
        assert f'GetConfig("{ribbon.LANG_KEY}", "en")' in line


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return addin.build_addin(tmp_path_factory.mktemp("addin"))


def test_build_injects_customui14_with_its_relationship(built: Path) -> None:
    with zipfile.ZipFile(built) as z:
        assert z.testzip() is None
        names = z.namelist()
        rels = ET.fromstring(z.read("_rels/.rels"))
        ui = z.read(addin.CUSTOMUI_PART).decode("utf-8")
        content_types = z.read("[Content_Types].xml").decode("utf-8")
        workbook = z.read("xl/workbook.xml").decode("utf-8")
    assert addin.OLD_CUSTOMUI_PART not in names
    ui_rels = [r for r in rels if "ui/extensibility" in (r.get("Type") or "")]
    assert [(r.get("Type"), r.get("Target")) for r in ui_rels] == [
        (addin.UI_REL_TYPE, addin.CUSTOMUI_PART)
    ]
    assert len({r.get("Id") for r in rels}) == len(rels)
    assert ui == ribbon.customui_xml("en")
    assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in content_types
    assert addin.VBA_PART in names
    assert "felix" not in workbook  # the template author's folder is gone


def test_build_names_the_config_sheet_after_xlcrm(built: Path) -> None:
    book = CalamineWorkbook.from_path(str(built))
    assert book.sheet_names == ["xlcrm.conf"]
    rows = book.get_sheet_by_name("xlcrm.conf").to_python()
    assert rows == [["UDF Modules", "xlcrm.excel.udfs"]]


def test_build_is_reproducible(built: Path, tmp_path: Path) -> None:
    again = addin.build_addin(tmp_path)
    assert again.read_bytes() == built.read_bytes()


def test_committed_addin_equals_a_fresh_build(built: Path) -> None:
    committed = REPO / "workbook" / addin.ADDIN_NAME
    assert committed.read_bytes() == built.read_bytes(), "run `xlcrm addin build`"
    assert committed.stat().st_size < 1_000_000


def test_ribbon_language_changes_only_the_ribbon(built: Path) -> None:
    chinese = addin.with_ribbon_language(built.read_bytes(), "zh")
    with zipfile.ZipFile(built) as en, zipfile.ZipFile(__import__("io").BytesIO(chinese)) as zh:
        assert en.namelist() == zh.namelist()
        for name in en.namelist():
            if name == addin.CUSTOMUI_PART:
                assert zh.read(name).decode("utf-8") == ribbon.customui_xml("zh")
            else:
                assert en.read(name) == zh.read(name), name
    assert addin.with_ribbon_language(chinese, "en") == built.read_bytes()


def test_build_command_writes_the_addin(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["addin", "build", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / addin.ADDIN_NAME).read_bytes() == (
        REPO / "workbook" / addin.ADDIN_NAME
    ).read_bytes()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Linux behaviour")
@pytest.mark.parametrize(("lang", "expected"), [("en", "Windows and macOS"), ("zh", "装有 Excel")])
def test_install_on_linux_explains_and_exits_2(
    tmp_path: Path, lang: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["addin", "install", "--lang", lang])
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "xlcrm addin lite" in result.stderr
    assert "Traceback" not in result.stderr
