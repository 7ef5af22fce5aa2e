"""Replacing a file atomically: every file xlcrm writes goes through here.

The new content goes to a temporary file in the target's folder, is synced
to disk, gets the mode the target had (or the usual one), and is renamed over
the target. A reader never sees a half-written file, and a run that dies
midway leaves the previous file as it was. Temporary files that a killed run
left behind are removed the next time the same target is written.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final

__all__ = ["TEMP_PREFIX", "WriteFailed", "replacing", "write_bytes"]

TEMP_PREFIX: Final = ".~xlcrm-"
# A write takes seconds; a temporary file this old belongs to a run that died.
STALE_SECONDS: Final = 3600


class WriteFailed(Exception):
    """The operating system refused a step; ``stage`` is "open", "write" or "replace".

    Callers turn it into an :class:`~xlcrm.core.errors.OutputError` in the user's words.
    """

    def __init__(self, stage: str, cause: OSError) -> None:
        super().__init__(f"{stage}: {cause}")
        self.stage = stage
        self.reason = cause.strerror or str(cause)


def _mode_for(target: Path) -> int:
    """The target's mode, else what a plain ``open(path, "w")`` would give."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove_stale(folder: Path, name: str) -> None:
    cutoff = time.time() - STALE_SECONDS
    for old in folder.glob(f"{TEMP_PREFIX}{name}.*.tmp"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()


def _sync_folder(folder: Path) -> None:
    # Makes the rename itself durable on POSIX; not possible (nor needed) everywhere.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def replacing(target: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file whose content replaces ``target`` when the block ends.

    Raises :class:`WriteFailed` for an operating-system failure; any exception
    inside the block removes the temporary file and leaves ``target`` as it was.
    """
    path = Path(target)
    folder = path.parent if str(path.parent) else Path(".")
    _remove_stale(folder, path.name)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f"{TEMP_PREFIX}{path.name}.", suffix=".tmp", dir=folder
        )
    except OSError as exc:
        raise WriteFailed("open", exc) from None
    tmp = Path(tmp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:  # disk full, quota, I/O error
            raise WriteFailed("write", exc) from None
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600
        try:
            os.replace(tmp, path)
        except OSError as exc:  # a folder by that name, an immutable or busy file
            raise WriteFailed("replace", exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(folder)


def write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Replace ``target`` with ``data`` atomically (see :func:`replacing`)."""
    with replacing(target) as handle:
        handle.write(data)
    return Path(target)
