"""Email addresses: parsing what the user typed, headers, envelope recipients."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, getaddresses, parseaddr

from xlcrm.core.errors import SettingsError
from xlcrm.locale import N_

# --- addresses -----------------------------------------------------------------


def parse_addresses(text: str | Iterable[str]) -> list[str]:
    """Split ``a@x.com, B <b@y.com>`` into bare addresses; raise on a bad one."""
    parts = [text] if isinstance(text, str) else list(text)
    found: list[str] = []
    for part in parts:
        for chunk in re.split(r"[,;]", part):
            chunk = chunk.strip()
            if not chunk:
                continue
            address = parseaddr(chunk)[1]
            if not is_address(address):
                raise SettingsError(N_("not an email address: {text!r}"), args={"text": chunk})
            if address.casefold() not in {a.casefold() for a in found}:
                found.append(address)
    return found


def is_address(text: str) -> bool:
    """A plausible ``local@domain`` address (no display name, no spaces)."""
    return bool(re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+", text or ""))


def one_line(text: object) -> str:
    """User text for a header or a line: whitespace (incl. newlines) collapsed."""
    return " ".join(str(text).split())


def display_recipients(given: Sequence[str] | str, addresses: list[str]) -> list[str]:
    """Keep display names the caller gave (``Ann <a@x>``) for the To header."""
    parts = [given] if isinstance(given, str) else list(given)
    named = {addr.casefold(): (name, addr) for name, addr in getaddresses(parts) if addr}
    out = []
    for address in addresses:
        name, _ = named.get(address.casefold(), ("", address))
        out.append(formataddr((one_line(name), address)) if name else address)
    return out


def format_address(text: str) -> str:
    name, address = parseaddr(text)
    if not is_address(address):
        raise SettingsError(N_("not an email address: {text!r}"), args={"text": text})
    if not name:
        return address
    try:
        return str(Address(display_name=one_line(name), addr_spec=address))
    except (ValueError, IndexError):
        return address


def envelope_recipients(msg: EmailMessage) -> list[str]:
    """Bare addresses from To, Cc and Bcc, in order, without duplicates."""
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in msg.get_all(name, [])]
    seen: list[str] = []
    for _, address in getaddresses(values):
        if address and address.casefold() not in {s.casefold() for s in seen}:
            seen.append(address)
    return seen
