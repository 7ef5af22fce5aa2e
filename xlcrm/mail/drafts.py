"""Messages saved as ``.eml`` drafts that mail programs open as unsent mail."""

from __future__ import annotations

import os
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

from xlcrm import files
from xlcrm.core.errors import OutputError
from xlcrm.locale import N_

# --- drafts --------------------------------------------------------------------


def write_eml(messages: Sequence[EmailMessage], directory: str | os.PathLike[str]) -> list[Path]:
    """Write each message as an unsent draft ``.eml`` into ``directory``.

    ``X-Unsent: 1`` makes Outlook open the file as a message to send;
    Thunderbird opens it too ("Edit as new"). Files are named after the PDF
    attachment; existing files of the same name are replaced atomically.
    """
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            N_("cannot create the folder: {reason}"),
            file=str(folder),
            args={"reason": exc.strerror},
        ) from None
    paths: list[Path] = []
    used: set[str] = set()
    for index, msg in enumerate(messages, start=1):
        draft = _copy(msg)
        del draft["X-Unsent"]
        draft["X-Unsent"] = "1"
        stem = _draft_stem(draft, index)
        name = stem
        counter = 2
        while name.casefold() in used:
            name = f"{stem}-{counter}"
            counter += 1
        used.add(name.casefold())
        path = folder / f"{name}.eml"
        write_file(path, draft.as_bytes(policy=SMTP_POLICY))
        paths.append(path)
    return paths


def _copy(msg: EmailMessage) -> EmailMessage:
    from email import message_from_bytes
    from email.policy import default

    copy = message_from_bytes(msg.as_bytes(policy=SMTP_POLICY), policy=default)
    assert isinstance(copy, EmailMessage)
    return copy


def _draft_stem(msg: EmailMessage, index: int) -> str:
    for part in msg.iter_attachments():
        filename = part.get_filename()
        if filename and filename.lower().endswith(".pdf"):
            return filename[:-4]
    return f"xlcrm-message-{index}"


def write_file(path: Path, data: bytes) -> None:
    try:
        files.write_bytes(path, data)
    except files.WriteFailed as exc:
        raise OutputError(
            N_("cannot write: {reason}"), file=str(path), args={"reason": exc.reason}
        ) from None
