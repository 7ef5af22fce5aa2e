"""Conventions every xlcrm command follows, and the `demo` command.

- ``--help`` shows an example; every command takes ``--lang en|zh``;
- exit 0 on success, 2 on bad input or usage (one line naming the file,
  sheet, row and column where known), 1 on an unexpected error;
- no traceback unless ``--debug``; ``python -m xlcrm`` works.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rich.console import Console

import xlcrm.cli as cli_module
from xlcrm.cli import cli, progress
from xlcrm.core.errors import InputError
from xlcrm.xlsx import sample


def walk(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from walk(command, (*prefix, name))


def get(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None
        command = found
    return command


COMMANDS = list(walk(cli))
LEAF_COMMANDS = [p for p in COMMANDS if not isinstance(get(p), click.Group)]


def run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xlcrm", *args],
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# --- conventions for every command ---------------------------------------------------


def test_demo_is_registered() -> None:
    assert ("demo",) in COMMANDS


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "xlcrm")
def test_help_shows_an_example(path: tuple[str, ...], runner: CliRunner) -> None:
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    example = result.output.split("Example:", 1)[1]
    assert f"xlcrm {' '.join(path)}".strip() in example


@pytest.mark.parametrize("path", LEAF_COMMANDS, ids=" ".join)
def test_command_takes_lang_en_or_zh(path: tuple[str, ...]) -> None:
    params = {p.name: p for p in get(path).params}
    assert "lang" in params, f"`xlcrm {' '.join(path)}` has no --lang option"
    choice = params["lang"].type
    assert isinstance(choice, click.Choice)
    assert set(choice.choices) == {"en", "zh"}


def test_python_dash_m_xlcrm_runs_the_cli() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: xlcrm")


def test_version_option() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert "0." in result.stdout


def test_unknown_command_is_usage_error_exit_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


# --- exit codes and error messages, through a real process ------------------------------


def test_bad_output_folder_exits_2_with_one_line_naming_the_file(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "book.xlsx"
    result = run("demo", "--customers", "10", "-o", str(target))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("xlcrm: ") and str(target) in lines[0]
    assert result.stdout == ""


def test_usage_error_exits_2_without_traceback() -> None:
    result = run("demo", "--customers", "3")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--customers" in result.stderr


def test_unexpected_error_exits_1_without_traceback_unless_debug(tmp_path: Path) -> None:
    boom = (
        "import sys, xlcrm.xlsx.sample as s\n"
        "def fail(*a, **k): raise RuntimeError('boom')\n"
        "s.write_sample = fail\n"
        "from xlcrm.cli import main\n"
        "main()\n"
    )
    args = ["demo", "--customers", "10", "-o", str(tmp_path / "a.xlsx")]
    quiet = subprocess.run(
        [sys.executable, "-c", boom, *args], capture_output=True, text=True, timeout=120
    )
    assert quiet.returncode == 1
    assert "Traceback" not in quiet.stderr
    assert quiet.stderr.strip() == (
        "xlcrm: unexpected error: RuntimeError: boom (run again with --debug for the traceback)"
    )
    loud = subprocess.run(
        [sys.executable, "-c", boom, "--debug", *args], capture_output=True, text=True, timeout=120
    )
    assert loud.returncode == 1
    assert "Traceback" in loud.stderr and "RuntimeError: boom" in loud.stderr


# --- exit codes through CliRunner ---------------------------------------------------------


def test_input_error_names_sheet_row_column_in_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bad(**_: object) -> None:
        raise InputError(
            "not a date: [b]2024-13-45[/b]", file="book.xlsx", sheet="Orders", row=7, column="Date"
        )

    monkeypatch.setattr(sample, "generate_sample", bad)
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 2
    assert result.stderr == (
        "xlcrm: book.xlsx, sheet 'Orders', row 7, column 'Date': not a date: [b]2024-13-45[/b]\n"
    )


def test_xlcrm_error_with_debug_shows_the_exception(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bad(**_: object) -> None:
        raise InputError("broken")

    monkeypatch.setattr(sample, "generate_sample", bad)
    result = runner.invoke(cli, ["--debug", "demo"])
    assert isinstance(result.exception, InputError)


def test_missing_file_oserror_is_bad_input_exit_2(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*_: object, **__: object) -> None:
        raise FileNotFoundError(2, "No such file or directory", "orders.xlsx")

    monkeypatch.setattr(sample, "write_sample", missing)
    result = runner.invoke(cli, ["demo", "--customers", "10"])
    assert result.exit_code == 2
    assert result.stderr == "xlcrm: orders.xlsx: No such file or directory\n"


def test_keyboard_interrupt_exits_130(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(**_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sample, "generate_sample", interrupt)
    result = runner.invoke(cli, ["demo", "--lang", "zh"])
    assert result.exit_code == 130
    assert result.stderr == "xlcrm: 已中断；没有覆盖任何文件\n"


def test_unexpected_error_message_in_chinese(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(**_: object) -> None:
        raise ValueError("bad\nthing")

    monkeypatch.setattr(sample, "generate_sample", fail)
    result = runner.invoke(cli, ["demo", "--lang", "zh"])
    assert result.exit_code == 1
    assert result.stderr.startswith("xlcrm: 意外错误：ValueError: bad thing")
    assert result.stderr.count("\n") == 1


# --- demo ----------------------------------------------------------------------------------


def test_demo_writes_the_workbook_and_summary(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    result = runner.invoke(cli, ["demo", "--customers", "50", "--seed", "3", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert sample.is_sample_workbook(target)
    assert result.stdout.startswith(f"Wrote {target}: 50 customers, ")
    assert "as of 2026-06-30" in result.stdout
    assert result.stderr == ""


def test_demo_default_name_and_chinese_summary(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["demo", "--lang", "zh", "--customers", "20"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sample_zh.xlsx").is_file()
    assert result.stdout.startswith("已写入 sample_zh.xlsx：20 个客户")


def test_demo_options_match_the_generator(runner: CliRunner, tmp_path: Path) -> None:
    """The CLI defaults are literals (no pandas at import); keep them in step."""
    defaults = {p.name: p.default for p in get(("demo",)).params}
    assert defaults["customers"] == sample.DEFAULT_CUSTOMERS
    assert defaults["seed"] == sample.DEFAULT_SEED
    assert defaults["as_of"] == sample.DEFAULT_AS_OF.date().isoformat()
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    args = ["--customers", "30", "--seed", "9", "--as-of", "2025-12-31", "--lang", "zh"]
    assert runner.invoke(cli, ["demo", *args, "-o", str(a)]).exit_code == 0
    book = sample.generate_sample(customers=30, seed=9, as_of="2025-12-31", lang="zh")
    sample.write_sample(book, b)
    assert sample.read_sample_values(a) == sample.read_sample_values(b)


def test_demo_refuses_to_overwrite_a_foreign_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "precious.xlsx"
    target.write_bytes(b"my own work")
    result = runner.invoke(cli, ["demo", "--customers", "10", "-o", str(target)])
    assert result.exit_code == 2
    assert str(target) in result.stderr and "--force" in result.stderr
    assert target.read_bytes() == b"my own work"
    forced = runner.invoke(cli, ["demo", "--customers", "10", "-o", str(target), "--force"])
    assert forced.exit_code == 0
    assert sample.is_sample_workbook(target)


def test_demo_overwrites_its_own_sample(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "s.xlsx"
    for seed in ("1", "2"):
        result = runner.invoke(
            cli, ["demo", "--customers", "10", "--seed", seed, "-o", str(target)]
        )
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-o", "book.csv"], "must end in .xlsx"),
        (["--customers", "0"], "--customers"),
        (["--seed", "-1"], "--seed"),
        (["--as-of", "30/06/2026"], "--as-of"),
        (["--lang", "fr"], "--lang"),
    ],
)
def test_demo_bad_options_exit_2(
    args: list[str],
    needle: str,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["demo", *args])
    assert result.exit_code == 2
    assert needle in result.stderr


# --- the progress helper --------------------------------------------------------------------


def test_progress_is_silent_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr(cli_module, "err_console", Console(file=buffer, force_terminal=False))
    done = []
    with progress(["one", "two"], "en") as bar:
        for name in ("one", "two"):
            with bar.step():
                done.append(name)
    assert done == ["one", "two"]
    assert buffer.getvalue() == ""


def test_progress_draws_named_steps_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    monkeypatch.setattr(cli_module, "err_console", console)
    with progress(["Reading book.xlsx", "Writing"], "zh") as bar:
        with bar.step():
            pass
        with bar.step("Writing out.xlsx"):
            pass
    text = buffer.getvalue()
    assert "Reading book.xlsx" in text
    assert "步" in text
