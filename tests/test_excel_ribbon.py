"""The ribbon registry, its customUI XML and VBA callbacks, and the add-in build."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from xlcrm.excel import actions, addin, ribbon

NS = {"ui": "http://schemas.microsoft.com/office/2009/07/customui"}
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CALLBACK_RE = re.compile(
    r"^Public Sub (\w+)\(control As IRibbonControl\)\r\n"
    r'    RunPython "import xlcrm\.excel\.actions as xlcrm_actions; xlcrm_actions\.(\w+)\(\)"\r\n'
    r"End Sub",
    re.MULTILINE,
)


def parse_ui(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def vba_callbacks(source: str) -> dict[str, str]:
    """Callback Sub name -> the actions function its RunPython calls."""
    return dict(CALLBACK_RE.findall(source))


def test_tab_has_the_six_buttons_in_order() -> None:
    root = parse_ui(ribbon.customui_xml())
    tabs = root.findall("ui:ribbon/ui:tabs/ui:tab", NS)
    assert [t.get("label") for t in tabs] == ["xlcrm 客户分层"]
    labels = [b.get("label") for b in tabs[0].iter(f"{{{NS['ui']}}}button")]
    assert [b.label for b in ribbon.BUTTONS] == [
        "Analyze",
        "Follow-up plan",
        "Dashboard",
        "PDF brief",
        "Email brief",
        "Help",
    ]
    assert labels == [f"{b.label} {b.label_zh}" for b in ribbon.BUTTONS]


def test_control_ids_are_unique_and_every_button_has_an_action() -> None:
    root = parse_ui(ribbon.customui_xml())
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    for button in root.iter(f"{{{NS['ui']}}}button"):
        assert button.get("onAction", "").startswith(f"{ribbon.VBA_MODULE_NAME}.")
        assert button.get("imageMso")


def test_every_button_has_a_vba_callback() -> None:
    root = parse_ui(ribbon.customui_xml())
    callbacks = vba_callbacks(ribbon.vba_module())
    on_action = [b.get("onAction") for b in root.iter(f"{{{NS['ui']}}}button")]
    assert len(on_action) == len(ribbon.BUTTONS)
    for target in on_action:
        module, sub = target.split(".")
        assert module == ribbon.VBA_MODULE_NAME
        assert sub in callbacks, f"no VBA Sub {sub}"


def test_every_runpython_target_is_a_zero_argument_action() -> None:
    for sub, function in vba_callbacks(ribbon.vba_module()).items():
        target = getattr(actions, function, None)
        assert inspect.isfunction(target), f"{sub} calls missing xlcrm.excel.actions.{function}"
        required = [
            p
            for p in inspect.signature(target).parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        assert required == [], f"{function} cannot be called as {function}()"


def test_vba_module_is_ascii_with_crlf_and_names_itself() -> None:
    source = ribbon.vba_module()
    assert source.isascii()  # .bas files are imported in the system code page
    assert source.startswith(f'Attribute VB_Name = "{ribbon.VBA_MODULE_NAME}"\r\n')
    assert "\n" not in source.replace("\r\n", "")
    assert len(vba_callbacks(source)) == len(ribbon.BUTTONS)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> addin.BuildResult:
    return addin.build_addin(tmp_path_factory.mktemp("addin"))


def test_build_injects_customui14_with_its_relationship(built: addin.BuildResult) -> None:
    with zipfile.ZipFile(built.addin) as z:
        assert z.testzip() is None
        names = z.namelist()
        rels = ET.fromstring(z.read("_rels/.rels"))
        ui = z.read(addin.CUSTOMUI_PART).decode("utf-8")
        content_types = z.read("[Content_Types].xml").decode("utf-8")
    assert addin.OLD_CUSTOMUI_PART not in names
    ui_rels = [r for r in rels if "ui/extensibility" in (r.get("Type") or "")]
    assert [(r.get("Type"), r.get("Target")) for r in ui_rels] == [
        (addin.UI_REL_TYPE, addin.CUSTOMUI_PART)
    ]
    assert len({r.get("Id") for r in rels}) == len(rels)
    assert ui == ribbon.customui_xml()
    # still an add-in with the template's compiled VBA (xlwings' RunPython)
    assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in content_types
    assert "xl/vbaProject.bin" in names


def test_build_writes_udf_modules_setting(built: addin.BuildResult) -> None:
    book = CalamineWorkbook.from_path(str(built.addin))
    assert book.sheet_names == [addin.CONF_SHEET]
    rows = book.get_sheet_by_name(addin.CONF_SHEET).to_python()
    assert rows == [["UDF Modules", "xlcrm.excel.udfs"]]


def test_build_writes_the_vba_module_source(built: addin.BuildResult) -> None:
    assert built.bas.read_bytes() == ribbon.vba_module().encode("ascii")


def test_build_is_reproducible(built: addin.BuildResult, tmp_path: Path) -> None:
    again = addin.build_addin(tmp_path)
    assert again.addin.read_bytes() == built.addin.read_bytes()


def test_committed_addin_is_current_and_small() -> None:
    committed = Path(__file__).resolve().parents[1] / "workbook" / addin.ADDIN_NAME
    if not committed.exists():
        pytest.skip("workbook/xlcrm.xlam not built in this checkout")
    assert committed.stat().st_size < 1_000_000
    with zipfile.ZipFile(committed) as z:
        assert z.read(addin.CUSTOMUI_PART).decode("utf-8") == ribbon.customui_xml(), (
            "run `xlcrm addin build`"
        )


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Linux behaviour")
def test_install_on_linux_explains_and_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "xlcrm", "addin", "install"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert "needs Microsoft Excel" in result.stderr
    assert "Trust access to the VBA project object model" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Linux behaviour")
def test_install_on_linux_explains_in_chinese_with_lang_zh(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "xlcrm", "addin", "install", "--lang", "zh"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert "需要 Microsoft Excel" in result.stderr
    assert "needs Microsoft Excel" not in result.stderr


def test_build_command_writes_both_files(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "xlcrm", "addin", "build", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / addin.ADDIN_NAME).is_file()
    assert (tmp_path / addin.BAS_NAME).is_file()
