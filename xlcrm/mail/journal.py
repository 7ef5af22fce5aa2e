"""The send journal: per batch, which recipients already have each message."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from xlcrm.core.errors import OutputError
from xlcrm.locale import N_
from xlcrm.mail.drafts import write_file

STATE_DIR_ENV: Final = "XLCRM_STATE_DIR"

# --- journal ---------------------------------------------------------------------


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where batch journals live: ``XLCRM_STATE_DIR``, else the user's state folder."""
    env = os.environ if env is None else env
    if env.get(STATE_DIR_ENV):
        return Path(env[STATE_DIR_ENV])
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "xlcrm" / "state"
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "xlcrm"


def journal_path(batch_id: str, env: Mapping[str, str] | None = None) -> Path:
    """The journal file of one batch."""
    return state_dir(env) / "mail" / f"{batch_id}.json"


def read_journal(path: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sent = data["sent"]
        if not isinstance(sent, dict):
            raise TypeError
        return {str(k): [str(a) for a in v] for k, v in sent.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError):
        raise OutputError(
            N_("the send journal cannot be read"),
            file=str(path),
            hint=N_("delete it to send the whole batch again"),
        ) from None


def write_journal(path: Path, batch_id: str, sent: Mapping[str, list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "batch_id": batch_id,
        "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sent": sent,
    }
    write_file(path, json.dumps(payload, ensure_ascii=False, indent=1).encode())
