"""`xlcrm addin install` / `uninstall` for Windows and macOS, checked on the files they write.

The platform, home folder and environment are passed explicitly (or through
the CLI's hidden --platform with HOME/APPDATA pointed at a temporary folder),
so the same code that runs on a user's PC writes into a temporary directory
here. Excel itself is a test double: the installer only asks it for its
start-up folder, closes a loaded add-in by name and opens the new one.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from xlcrm.cli import cli as xlcrm_cli
from xlcrm.excel import addin, install, ribbon, vbamodules

REPO = Path(__file__).resolve().parents[1]
PYTHON = "/opt/python/bin/python3"


def env_for(home: Path) -> dict[str, str]:
    return {"APPDATA": str(home / "AppData" / "Roaming"), "USERPROFILE": str(home)}


def startup_of(system: install.System, home: Path) -> Path:
    return install.Locations.default(system, home, env_for(home)).startup


def conf_of(system: install.System, home: Path) -> Path:
    return install.Locations.default(system, home, env_for(home)).config


def ribbon_of(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(addin.CUSTOMUI_PART).decode("utf-8")


def run_install(system: install.System, home: Path, **kwargs: Any) -> list[str]:
    kwargs.setdefault("interpreter", PYTHON)
    return install.install_addin(system=system, home=home, env=env_for(home), **kwargs)


def test_the_usual_folders() -> None:
    home = Path("/home/ann")
    win = install.Locations.default("windows", home, {"APPDATA": r"C:\Users\ann\AppData\Roaming"})
    assert win.startup.as_posix().endswith("Microsoft/Excel/XLSTART")
    assert win.config == home / ".xlcrm" / "xlcrm.conf"  # %USERPROFILE%\.xlcrm\xlcrm.conf
    mac = install.Locations.default("mac", home, {})
    assert mac.startup == home / (
        "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel"
    )
    assert mac.config == home / "Library/Containers/com.microsoft.Excel/Data/xlcrm.conf"
    assert mac.scripts == home / "Library/Application Scripts/com.microsoft.Excel"


@pytest.mark.parametrize("system", ["windows", "mac"])
def test_install_writes_the_addin_and_its_settings(system: install.System, tmp_path: Path) -> None:
    lines = run_install(system, tmp_path)
    target = startup_of(system, tmp_path) / "xlcrm.xlam"
    assert target.read_bytes() == addin.shipped_addin().read_bytes()  # English ribbon
    key = "INTERPRETER_WIN" if system == "windows" else "INTERPRETER_MAC"
    assert conf_of(system, tmp_path).read_text("utf-8").splitlines() == [
        f'"{key}","{PYTHON}"',
        '"UDF MODULES","xlcrm.excel.udfs"',
        '"XLCRM_LANG","en"',
    ]
    assert any(str(target) in line for line in lines)
    script = tmp_path / "Library/Application Scripts/com.microsoft.Excel"
    if system == "mac":
        (applescript,) = script.iterdir()
        assert applescript.read_bytes() == install.applescript_source().read_bytes()
        assert applescript.name == install.applescript_source().name
    else:
        assert not script.exists()


def test_the_ribbon_speaks_the_language_chosen_at_install(tmp_path: Path) -> None:
    lines = run_install("windows", tmp_path, lang="zh")
    ui = ribbon_of(startup_of("windows", tmp_path) / "xlcrm.xlam")
    assert ui == ribbon.customui_xml("zh")
    assert '"XLCRM_LANG","zh"' in conf_of("windows", tmp_path).read_text("utf-8")
    assert any("已把加载项复制到" in line for line in lines)
    run_install("windows", tmp_path, lang="en")
    assert ribbon_of(startup_of("windows", tmp_path) / "xlcrm.xlam") == ribbon.customui_xml("en")


def test_install_keeps_the_users_own_settings(tmp_path: Path) -> None:
    conf = conf_of("windows", tmp_path)
    conf.parent.mkdir(parents=True)
    conf.write_text('"INTERPRETER_WIN","C:\\old\\python.exe"\n"SHOW CONSOLE","True"\n', "utf-8")
    run_install("windows", tmp_path)
    lines = conf.read_text("utf-8").splitlines()
    assert '"SHOW CONSOLE","True"' in lines
    assert f'"INTERPRETER_WIN","{PYTHON}"' in lines
    assert not any("old" in line for line in lines)


def old_template_addin(path: Path) -> Path:
    """An add-in as the first xlcrm build made it: xlwings' template, project MyAddin."""
    with zipfile.ZipFile(addin.shipped_addin()) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    with zipfile.ZipFile(vbamodules.template_path()) as tpl:
        parts[addin.VBA_PART] = tpl.read(addin.VBA_PART)  # compiled project "MyAddin"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def test_install_removes_earlier_xlcrm_addins_and_nothing_else(tmp_path: Path) -> None:
    startup = startup_of("windows", tmp_path)
    old = old_template_addin(startup / "MyAddin.xlam")
    older = old_template_addin(startup / "xlcrm (1).xlam")
    other = startup / "xlwings.xlam"
    other.write_bytes(vbamodules.template_path().read_bytes())  # someone else's add-in
    personal = startup / "PERSONAL.XLSB"
    personal.write_bytes(b"not a zip")
    lines = run_install("windows", tmp_path)
    assert not old.exists() and not older.exists()
    assert other.exists() and personal.exists()
    assert sum("earlier xlcrm add-in" in line for line in lines) == 2


def test_mac_install_removes_the_first_installers_bas_file(tmp_path: Path) -> None:
    bas = tmp_path / "xlcrm_ribbon.bas"
    bas.write_text('Attribute VB_Name = "XlcrmRibbon"')
    run_install("mac", tmp_path)
    assert not bas.exists()


@pytest.mark.parametrize("system", ["windows", "mac"])
def test_dry_run_prints_everything_and_writes_nothing(
    system: install.System, tmp_path: Path
) -> None:
    lines = run_install(system, tmp_path, dry_run=True, lang="zh")
    assert not any(tmp_path.iterdir())
    text = "\n".join(lines)
    assert str(startup_of(system, tmp_path) / "xlcrm.xlam") in text
    assert str(conf_of(system, tmp_path)) in text
    assert '"XLCRM_LANG","zh"' in text and "xlcrm.excel.udfs" in text
    assert "将" in text and "Would" not in text
    assert ("applescript" in text) == (system == "mac")


@pytest.mark.parametrize("system", ["windows", "mac"])
def test_uninstall_removes_addin_and_settings(system: install.System, tmp_path: Path) -> None:
    run_install(system, tmp_path)
    old_template_addin(startup_of(system, tmp_path) / "MyAddin.xlam")
    keep = startup_of(system, tmp_path) / "other.xlam"
    keep.write_bytes(vbamodules.template_path().read_bytes())
    dry = install.uninstall_addin(system=system, home=tmp_path, env=env_for(tmp_path), dry_run=True)
    assert (startup_of(system, tmp_path) / "xlcrm.xlam").exists()
    lines = install.uninstall_addin(system=system, home=tmp_path, env=env_for(tmp_path))
    assert len(lines) == len(dry)
    assert sorted(p.name for p in startup_of(system, tmp_path).iterdir()) == ["other.xlam"]
    assert not conf_of(system, tmp_path).exists()
    assert not (tmp_path / ".xlcrm").exists()
    again = install.uninstall_addin(system=system, home=tmp_path, env=env_for(tmp_path))
    assert again == ["No xlcrm add-in is installed for this user."]


# --- with Excel running: a test double for xlwings' apps -------------------------------------


class FakeBook:
    def __init__(self, app: FakeApp, name: str):
        self.app, self.name = app, name

    def close(self) -> None:
        self.app.loaded.pop(self.name.lower())
        self.app.closed.append(self.name)


class FakeBooks:
    """Like Excel's Workbooks: add-ins are found by name but not listed."""

    def __init__(self, app: FakeApp):
        self.app = app

    def __iter__(self) -> Any:
        return iter([])

    def __getitem__(self, name: str) -> FakeBook:
        if name.lower() not in self.app.loaded:
            raise KeyError(name)
        return FakeBook(self.app, self.app.loaded[name.lower()])

    def open(self, path: str) -> FakeBook:
        name = Path(path).name
        assert Path(path).is_file()
        self.app.loaded[name.lower()] = name
        self.app.opened.append(path)
        return FakeBook(self.app, name)


class FakeApp:
    def __init__(self, startup: Path, loaded: tuple[str, ...] = ()):
        self.startup_path = str(startup)
        self.loaded = {n.lower(): n for n in loaded}
        self.closed: list[str] = []
        self.opened: list[str] = []
        self.quit_called = False
        self.books = FakeBooks(self)

    def quit(self) -> None:
        self.quit_called = True


class FakeExcel:
    def __init__(self, running: list[FakeApp], startup: Path):
        self.apps = running
        self.startup = startup
        self.started: list[FakeApp] = []

    def running(self) -> list[FakeApp]:
        return list(self.apps)

    def start_hidden(self) -> FakeApp:
        app = FakeApp(self.startup)
        self.started.append(app)
        return app


def test_a_loaded_addin_is_closed_by_name_and_the_new_one_opened(tmp_path: Path) -> None:
    startup = tmp_path / "Excel's own XLSTART"
    old_template_addin(startup / "MyAddin.xlam")
    app = FakeApp(startup, loaded=("xlcrm.xlam", "MyAddin.xlam", "xlwings.xlam"))
    excel = FakeExcel([app], startup)
    lines = run_install("windows", tmp_path, excel=excel)
    assert sorted(app.closed) == ["MyAddin.xlam", "xlcrm.xlam"]  # not xlwings.xlam
    assert app.opened == [str(startup / "xlcrm.xlam")]  # Excel's folder, not the default
    assert not app.quit_called and excel.started == []
    assert any("Opened the new add-in" in line for line in lines)
    assert not startup_of("windows", tmp_path).exists()


def test_an_excel_started_by_the_installer_is_quit_again(tmp_path: Path) -> None:
    startup = tmp_path / "XLSTART from Excel"
    excel = FakeExcel([], startup)
    lines = run_install("windows", tmp_path, excel=excel)
    (started,) = excel.started
    assert started.quit_called and started.opened == []
    assert (startup / "xlcrm.xlam").is_file()
    assert any("Quit the Excel" in line for line in lines)


def test_dry_run_does_not_start_excel(tmp_path: Path) -> None:
    excel = FakeExcel([], tmp_path / "x")
    run_install("windows", tmp_path, excel=excel, dry_run=True)
    assert excel.started == []


def test_a_user_excel_is_never_quit(tmp_path: Path) -> None:
    app = FakeApp(tmp_path / "start")
    run_install("mac", tmp_path, excel=FakeExcel([app], tmp_path / "start"))
    assert not app.quit_called
    assert app.opened == []  # Excel for Mac asks to enable macros: restart instead


# --- the command line, pretending to be Windows or a Mac ----------------------------------


@pytest.mark.parametrize("system", ["windows", "mac"])
def test_cli_install_and_uninstall_with_home_in_a_temporary_folder(
    system: str, tmp_path: Path
) -> None:
    env: dict[str, str | None] = {"APPDATA": None, "USERPROFILE": None, "HOME": str(tmp_path)}
    env.update(env_for(tmp_path))

    def cli(*args: str) -> SimpleNamespace:  # in this process, with HOME in tmp_path
        result = CliRunner().invoke(xlcrm_cli, ["addin", *args, "--platform", system], env=env)
        return SimpleNamespace(returncode=result.exit_code, stderr=result.stderr)

    dry = cli("install", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert not any(tmp_path.iterdir())
    done = cli("install", "--lang", "zh")
    assert done.returncode == 0, done.stderr
    target = startup_of(system, tmp_path) / "xlcrm.xlam"  # type: ignore[arg-type]
    assert ribbon_of(target) == ribbon.customui_xml("zh")
    conf = conf_of(system, tmp_path).read_text("utf-8")  # type: ignore[arg-type]
    assert sys.executable in conf or "pythonw" in conf
    gone = cli("uninstall")
    assert gone.returncode == 0, gone.stderr
    assert not target.exists()


def test_windows_runs_pythonw_when_it_is_there(tmp_path: Path) -> None:
    python = tmp_path / "python.exe"
    python.write_bytes(b"")
    assert install.interpreter_for("windows", str(python)) == str(python)
    (tmp_path / "pythonw.exe").write_bytes(b"")
    assert install.interpreter_for("windows", str(python)) == str(tmp_path / "pythonw.exe")
    assert install.interpreter_for("mac", str(python)) == str(python)


def test_a_python_path_the_code_page_cannot_hold_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xlcrm.core.errors import OutputError

    monkeypatch.setattr(install, "config_encoding", lambda system: "cp1252")
    with pytest.raises(OutputError) as caught:
        run_install("windows", tmp_path, interpreter="C:\\用户\\python.exe")
    assert "C:\\用户\\python.exe" in caught.value.render("en")
    assert not any(tmp_path.iterdir())


def test_with_another_xlwings_install_says_so_and_names_the_script_for_the_addin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(install, "ADDIN_XLWINGS", "0.0.1")
    lines = run_install("mac", tmp_path, lang="zh")
    scripts = tmp_path / "Library/Application Scripts/com.microsoft.Excel"
    assert [p.name for p in scripts.iterdir()] == ["xlwings-0.0.1.applescript"]
    assert "0.0.1" in lines[-1] and "加载项" in lines[-1]
    assert not any("0.0.1" in line for line in run_install("windows", tmp_path / "w")[:-1])
