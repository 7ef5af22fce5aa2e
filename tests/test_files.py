"""Atomic replacement shared by every file xlcrm writes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from xlcrm import files


def test_new_content_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"old")
    target.chmod(0o640)
    files.write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_an_error_inside_the_block_leaves_the_target_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"precious")
    with pytest.raises(RuntimeError), files.replacing(target) as handle:
        handle.write(b"half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_leftovers_of_a_killed_run_are_removed_on_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    stale = tmp_path / f"{files.TEMP_PREFIX}book.xlsx.abc123.tmp"
    fresh = tmp_path / f"{files.TEMP_PREFIX}book.xlsx.def456.tmp"  # maybe another run's
    other = tmp_path / f"{files.TEMP_PREFIX}other.xlsx.abc123.tmp"
    for p in (stale, fresh, other):
        p.write_bytes(b"half")
    hours_ago = time.time() - 2 * files.STALE_SECONDS
    os.utime(stale, (hours_ago, hours_ago))
    os.utime(other, (hours_ago, hours_ago))
    files.write_bytes(target, b"new")
    assert not stale.exists()
    assert fresh.exists() and other.exists()


def test_a_missing_folder_is_an_open_failure(tmp_path: Path) -> None:
    with pytest.raises(files.WriteFailed) as caught:
        files.write_bytes(tmp_path / "no" / "book.xlsx", b"x")
    assert caught.value.stage == "open"


def test_a_folder_in_the_way_is_a_replace_failure(tmp_path: Path) -> None:
    (tmp_path / "book.xlsx").mkdir()
    with pytest.raises(files.WriteFailed) as caught:
        files.write_bytes(tmp_path / "book.xlsx", b"x")
    assert caught.value.stage == "replace"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]
