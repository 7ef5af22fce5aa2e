"""Install the built add-in for the current user, without touching its VBA project.

``xlcrm addin install`` does what a person would do by hand, no "Trust
access to the VBA project object model" needed:

* copy ``xlcrm.xlam`` (ribbon labels in the chosen language) into Excel's
  start-up folder, which Excel loads every add-in from;
* write the add-in's per-user config file, ``xlcrm.conf``, where the
  add-in's ``xlwings`` module looks (it is named after its ``PROJECT_NAME``):
  the Python to run, the worksheet-function module, the ribbon language;
* on a Mac, copy xlwings' AppleScript into Excel's script folder, the one
  step that lets ``RunPython`` start Python from Excel's sandbox (what
  ``xlwings runpython install`` does);
* remove earlier xlcrm add-ins from the start-up folder, including one built
  from xlwings' template under its project name MyAddin.

Where Excel is running, an open copy of the add-in is closed first (found
by name) and the new one opened; an Excel started only to ask for its
start-up folder is quit again. Every step is planned first
(:func:`plan_install`), so ``--dry-run`` prints exactly what would be
written, and tests check the plan and the files on Linux by passing the
platform, home folder and environment explicitly.
"""

from __future__ import annotations

import contextlib
import locale
import os
import sys
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from xlcrm.core.errors import OutputError
from xlcrm.excel import addin, ribbon
from xlcrm.excel.versions import ADDIN_XLWINGS, version_problem
from xlcrm.locale import N_, t

System = Literal["windows", "mac"]

#: What each kind of step says, done and (``--dry-run``) to be done.
STEP_TEXT: Final = {
    "copied_addin": (N_("Copied the add-in to {path}"), N_("Would copy the add-in to {path}")),
    "wrote_conf": (
        N_("Wrote the add-in's settings {path}:"),
        N_("Would write the add-in's settings {path}:"),
    ),
    "enabled_runpython": (
        N_("Let Excel start Python (RunPython): {path}"),
        N_("Would let Excel start Python (RunPython): {path}"),
    ),
    "removed_earlier": (
        N_("Removed an earlier xlcrm add-in: {path}"),
        N_("Would remove an earlier xlcrm add-in: {path}"),
    ),
    "removed_addin": (N_("Removed the add-in {path}"), N_("Would remove the add-in {path}")),
    "removed_conf": (N_("Removed the settings {path}"), N_("Would remove the settings {path}")),
}
RUNPYTHON_KEPT: Final = N_("Kept xlwings' RunPython script: xlwings' own add-in uses it too.")

CONF_NAME: Final = f"{addin.PROJECT_NAME}.conf"
MAC_GROUP: Final = "Library/Group Containers/UBF8T346G9.Office"
MAC_STARTUP: Final = f"{MAC_GROUP}/User Content.localized/Startup.localized/Excel"
MAC_SANDBOX: Final = "Library/Containers/com.microsoft.Excel/Data"
MAC_SCRIPTS: Final = "Library/Application Scripts/com.microsoft.Excel"
#: Written by the first xlcrm installer on a Mac, for a manual VBA import.
OLD_MAC_BAS: Final = "xlcrm_ribbon.bas"
ADDIN_SUFFIXES: Final = (".xlam", ".xla")


def current_system() -> System | None:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "mac"
    return None


@dataclass(frozen=True)
class Locations:
    """Where Excel and the add-in's xlwings module look, for one user."""

    startup: Path
    config: Path
    scripts: Path | None  # Mac: AppleScripts Excel may run

    @classmethod
    def default(cls, system: System, home: Path, env: Mapping[str, str]) -> Locations:
        """The usual folders; :func:`plan_install` prefers the running Excel's own answer."""
        if system == "windows":
            appdata = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
            profile = Path(env.get("USERPROFILE") or home)
            return cls(
                startup=appdata / "Microsoft" / "Excel" / "XLSTART",
                # xlwings VBA: Environ("USERPROFILE") & "\.xlcrm\xlcrm.conf"
                config=profile / f".{addin.PROJECT_NAME}" / CONF_NAME,
                scripts=None,
            )
        return cls(
            startup=home / MAC_STARTUP,
            # xlwings VBA: the sandboxed home ($HOME inside Excel) & "/xlcrm.conf"
            config=home / MAC_SANDBOX / CONF_NAME,
            scripts=home / MAC_SCRIPTS,
        )


@dataclass(frozen=True)
class Step:
    """One change to the user's files."""

    action: Literal["write", "remove"]
    path: Path
    data: bytes = b""
    why: str = ""  # message key


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- Excel, when it runs -------------------------------------------------------------


class ExcelApp(Protocol):
    """What the installer uses of an ``xlwings.App``."""

    @property
    def startup_path(self) -> str: ...

    @property
    def books(self) -> Any: ...

    def quit(self) -> None: ...


class Excel(Protocol):
    """Access to the Excel instances on this computer (xlwings, or a test double)."""

    def running(self) -> Sequence[ExcelApp]: ...

    def start_hidden(self) -> ExcelApp: ...


class XlwingsExcel:
    """Excel through xlwings (Windows, macOS)."""

    def running(self) -> Sequence[ExcelApp]:
        import xlwings as xw

        return list(xw.apps)

    def start_hidden(self) -> ExcelApp:
        import xlwings as xw

        return xw.App(visible=False, add_book=False)


@contextlib.contextmanager
def excel_session(excel: Excel | None, *, may_start: bool) -> Iterator[tuple[list[ExcelApp], bool]]:
    """The running Excels, else one started hidden (and quit at the end), else none.

    Yields ``(apps, started)``. Only an Excel this function started is quit.
    """
    if excel is None:
        yield [], False
        return
    try:
        apps = list(excel.running())
    except Exception:  # no Excel, or xlwings cannot reach it: plain files will do
        apps = []
    if apps or not may_start:
        yield apps, False
        return
    try:
        app = excel.start_hidden()
    except Exception:
        yield [], False
        return
    try:
        yield [app], True
    finally:
        with contextlib.suppress(Exception):
            app.quit()


def close_loaded(apps: Sequence[ExcelApp], names: Sequence[str]) -> list[str]:
    """Close the add-ins called ``names`` in every running Excel; return what was closed.

    Looked up by name: Excel does not list add-ins when its workbooks are
    enumerated, but finds one by its file name.
    """
    closed = []
    for app in apps:
        for name in dict.fromkeys(names):
            try:
                book = app.books[name]
            except Exception:  # not loaded in this Excel
                continue
            with contextlib.suppress(Exception):
                book.close()
                closed.append(name)
    return closed


def load_addin(apps: Sequence[ExcelApp], path: Path) -> bool:
    """Open the new add-in in the running Excels (Windows); False where that failed."""
    loaded = bool(apps)
    for app in apps:
        try:
            app.books.open(str(path))
        except Exception:
            loaded = False
    return loaded


# --- the plan ------------------------------------------------------------------------


def is_xlcrm_addin(path: Path) -> bool:
    """True for an add-in package with the xlcrm ribbon tab (any xlcrm build, any name)."""
    try:
        with zipfile.ZipFile(path) as z:
            parts = [n for n in z.namelist() if n.startswith("customUI/") and n.endswith(".xml")]
            marker = f'id="{ribbon.TAB_ID}"'
            return any(marker in z.read(n).decode("utf-8", "replace") for n in parts)
    except (OSError, zipfile.BadZipFile, KeyError):
        return False
    return False


def earlier_addins(startup: Path) -> list[Path]:
    """xlcrm add-ins already in the start-up folder, whatever their file name."""
    if not startup.is_dir():
        return []
    found = [
        p
        for p in sorted(startup.iterdir())
        if p.suffix.lower() in ADDIN_SUFFIXES and p.is_file() and is_xlcrm_addin(p)
    ]
    return found


def interpreter_for(system: System, executable: str) -> str:
    """The Python Excel starts: ``pythonw.exe`` beside python.exe on Windows (no console)."""
    if system == "windows":
        pythonw = Path(executable).with_name("pythonw.exe")
        if pythonw.exists():
            return str(pythonw)
    return executable


def config_lines(system: System, interpreter: str, lang: str) -> dict[str, str]:
    """The keys xlcrm sets in the add-in's config file (xlwings' names)."""
    return {
        "INTERPRETER_WIN" if system == "windows" else "INTERPRETER_MAC": interpreter,
        "UDF MODULES": addin.UDF_MODULES,
        ribbon.LANG_KEY: lang,
    }


def _parse_config(text: str) -> dict[str, str]:
    """xlwings' config file: one ``"KEY","value"`` per line."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition(",")
        if sep:
            values[key.strip().strip('"')] = value.strip().strip('"')
    return values


def config_text(existing: str, settings: Mapping[str, str]) -> str:
    """The config file with ``settings`` set, other keys (the user's own) kept."""
    values = {k: v for k, v in _parse_config(existing).items() if k.upper() not in settings}
    values.update(settings)
    return "".join(f'"{key}","{value}"\n' for key, value in values.items())


def config_encoding(system: System) -> str:
    """VBA reads the file in the system code page; elsewhere (tests) UTF-8."""
    if system == "windows" and current_system() == "windows":
        return locale.getpreferredencoding(False)
    return "utf-8"


def applescript_source() -> Path:
    """``xlwings-<version>.applescript`` of the installed xlwings."""
    import xlwings

    return Path(xlwings.__file__).parent / f"xlwings-{xlwings.__version__}.applescript"


def applescript_name() -> str:
    """The name the add-in's VBA calls: ``xlwings-<its XLWINGS_VERSION>.applescript``.

    Normally the installed xlwings' own file. Should the two versions differ,
    Excel still reaches Python, and the button says what is wrong.
    """
    return f"xlwings-{ADDIN_XLWINGS}.applescript"


def plan_install(
    system: System,
    *,
    home: Path,
    env: Mapping[str, str],
    interpreter: str,
    lang: str = "en",
    source: Path | None = None,
    startup: Path | None = None,
) -> Plan:
    """Every file ``xlcrm addin install`` writes or removes, nothing done yet."""
    where = Locations.default(system, home, env)
    target_dir = startup or where.startup
    source = source or addin.shipped_addin()
    if not source.is_file():
        raise OutputError(
            N_("the built add-in is missing"),
            file=str(source),
            hint=N_("run `xlcrm addin build` in a source checkout, or reinstall xlcrm"),
        )
    plan = Plan()
    target = target_dir / addin.ADDIN_NAME
    for old in earlier_addins(target_dir):
        if old.name.lower() != target.name.lower():
            plan.steps.append(Step("remove", old, why="removed_earlier"))
    data = addin.with_ribbon_language(source.read_bytes(), lang)
    plan.steps.append(Step("write", target, data, why="copied_addin"))
    encoding = config_encoding(system)
    existing = where.config.read_text(encoding) if where.config.is_file() else ""
    conf = config_text(existing, config_lines(system, interpreter, lang))
    try:
        encoded = conf.encode(encoding)
    except UnicodeEncodeError:
        raise OutputError(
            N_("the Python path {path} has characters Excel cannot read from its settings file"),
            file=str(where.config),
            hint=N_("install Python in a folder whose name uses only plain letters"),
            args={"path": interpreter},
        ) from None
    plan.steps.append(Step("write", where.config, encoded, "wrote_conf"))
    if system == "mac" and where.scripts is not None:
        script = applescript_source().read_bytes()
        target = where.scripts / applescript_name()
        plan.steps.append(Step("write", target, script, "enabled_runpython"))
        old_bas = home / OLD_MAC_BAS
        if old_bas.is_file():
            plan.steps.append(Step("remove", old_bas, why="removed_earlier"))
    return plan


def plan_uninstall(
    system: System, *, home: Path, env: Mapping[str, str], startup: Path | None = None
) -> Plan:
    """Every file ``xlcrm addin uninstall`` removes."""
    where = Locations.default(system, home, env)
    target_dir = startup or where.startup
    plan = Plan()
    for old in earlier_addins(target_dir):
        plan.steps.append(Step("remove", old, why="removed_addin"))
    if where.config.is_file():
        plan.steps.append(Step("remove", where.config, why="removed_conf"))
    if system == "mac":
        plan.notes.append(RUNPYTHON_KEPT)
    return plan


def apply(plan: Plan) -> None:
    """Carry out the plan: files replaced atomically, removals tolerant of absent files."""
    for step in plan.steps:
        if step.action == "write":
            step.path.parent.mkdir(parents=True, exist_ok=True)
            addin.write_file(step.path, step.data)
        else:
            try:
                step.path.unlink(missing_ok=True)
            except OSError as exc:
                raise OutputError(
                    N_("cannot remove ({reason})"),
                    file=str(step.path),
                    hint=N_("quit Excel and run the command again"),
                    args={"reason": exc.strerror or str(exc)},
                ) from None
            folder = step.path.parent
            if folder.name == f".{addin.PROJECT_NAME}":
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty


def describe(plan: Plan, lang: str, *, dry_run: bool) -> list[str]:
    """The plan as lines for the user; the config file's content is shown in full."""
    lines = []
    for step in plan.steps:
        done, planned = STEP_TEXT[step.why]
        lines.append(t(planned if dry_run else done, lang, path=step.path))
        if step.path.suffix == ".conf" and step.action == "write":
            lines += [f"    {line}" for line in step.data.decode("utf-8", "replace").splitlines()]
    lines += [t(note, lang) for note in plan.notes]
    return lines


# --- the commands ----------------------------------------------------------------------


def install_addin(
    *,
    lang: str = "en",
    dry_run: bool = False,
    system: System | None = None,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    interpreter: str | None = None,
    excel: Excel | None = None,
) -> list[str]:
    """Install for the current user; return what was (or, with ``dry_run``, would be) done.

    ``system``, ``home``, ``env`` and ``excel`` default to this computer's;
    tests pass them to install for Windows or macOS into a temporary folder.
    """
    system, home, env = _this_computer(system, home, env)
    if excel is None and system == current_system():
        excel = XlwingsExcel()
    with excel_session(excel, may_start=not dry_run) as (apps, started):
        startup = _excel_startup(apps)
        plan = plan_install(
            system,
            home=home,
            env=env,
            interpreter=interpreter or interpreter_for(system, sys.executable),
            lang=lang,
            startup=startup,
        )
        lines = describe(plan, lang, dry_run=dry_run)
        if dry_run:
            return lines
        names = [addin.ADDIN_NAME, *(s.path.name for s in plan.steps if s.action == "remove")]
        closed = close_loaded(apps, names)
        apply(plan)
        if closed:
            names_text = ", ".join(sorted(set(closed)))
            lines.append(
                t("Closed the add-in in the running Excel: {names}", lang, names=names_text)
            )
        user_apps = [] if started else apps
        target = next(s.path for s in plan.steps if s.why == "copied_addin")
        if system == "windows" and load_addin(user_apps, target):
            lines.append(t("Opened the new add-in in the running Excel.", lang))
        elif user_apps:
            lines.append(t("Restart Excel to load the new add-in.", lang))
        if started:
            lines.append(t("Quit the Excel started to find its start-up folder.", lang))
    lines.append(t("Done: the xlcrm tab appears when Excel starts.", lang))
    problem = version_problem(ADDIN_XLWINGS, lang)
    return [*lines, problem] if problem else lines


def uninstall_addin(
    *,
    lang: str = "en",
    dry_run: bool = False,
    system: System | None = None,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    excel: Excel | None = None,
) -> list[str]:
    """Remove the add-in and its config file; return what was (would be) done."""
    system, home, env = _this_computer(system, home, env)
    if excel is None and system == current_system():
        excel = XlwingsExcel()
    with excel_session(excel, may_start=False) as (apps, _started):
        plan = plan_uninstall(system, home=home, env=env, startup=_excel_startup(apps))
        lines = describe(plan, lang, dry_run=dry_run)
        if not plan.steps:
            return [t("No xlcrm add-in is installed for this user.", lang)]
        if not dry_run:
            close_loaded(apps, [s.path.name for s in plan.steps])
            apply(plan)
    return lines


class InstallUnsupported(Exception):
    """Raised where there is no Excel to install for (Linux)."""


def _this_computer(
    system: System | None, home: Path | None, env: Mapping[str, str] | None
) -> tuple[System, Path, Mapping[str, str]]:
    system = system or current_system()
    if system is None:
        raise InstallUnsupported
    return system, home or Path.home(), env if env is not None else os.environ


def _excel_startup(apps: Sequence[ExcelApp]) -> Path | None:
    """The start-up folder a running Excel reports (it knows best), else None."""
    for app in apps:
        with contextlib.suppress(Exception):
            path = str(app.startup_path)
            if path:
                return Path(path)
    return None
