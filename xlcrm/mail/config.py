"""SMTP settings: option > Settings sheet > environment, checked before sending."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from xlcrm.core.errors import SettingsError
from xlcrm.core.settings import (
    MAIL_PASSWORD_KEYS,
    MAIL_RECIPIENT_KEYS,
    MAIL_SETTING_KEYS,
    MAIL_SHEET_KEYS,
    normalise_key,
)
from xlcrm.locale import N_, t
from xlcrm.mail.addresses import parse_addresses

Security = Literal["starttls", "ssl", "plain"]
SECURITIES: Final = ("starttls", "ssl", "plain")
DEFAULT_PORTS: Final[dict[str, int]] = {"starttls": 587, "ssl": 465, "plain": 25}
DEFAULT_TIMEOUT: Final = 30.0

PASSWORD_ENV: Final = "XLCRM_SMTP_PASSWORD"

SHEET_KEYS = MAIL_SHEET_KEYS
RECIPIENT_KEYS = MAIL_RECIPIENT_KEYS
SHEET_PASSWORD_KEYS = MAIL_PASSWORD_KEYS
SETTINGS_KEYS = MAIL_SETTING_KEYS

ENV_KEYS: Final[dict[str, str]] = {
    "XLCRM_SMTP_HOST": "host",
    "XLCRM_SMTP_PORT": "port",
    "XLCRM_SMTP_USER": "user",
    "XLCRM_SMTP_FROM": "sender",
    "XLCRM_SMTP_SECURITY": "security",
    "XLCRM_SMTP_CAFILE": "cafile",
}

_SECURITY_ALIASES: Final[dict[str, str]] = {
    "starttls": "starttls",
    "tls": "starttls",
    "ssl": "ssl",
    "smtps": "ssl",
    "implicit_tls": "ssl",
    "plain": "plain",
    "none": "plain",
    "无": "plain",
}


# --- SMTP settings -------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send.

    Build it with :meth:`from_sources` (option > Settings sheet > environment).
    The password comes only from the ``XLCRM_SMTP_PASSWORD`` environment
    variable; it is never shown in ``repr``.
    """

    host: str = ""
    port: int = DEFAULT_PORTS["starttls"]
    security: Security = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    cafile: str | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_sources(
        cls,
        options: Mapping[str, object] | None = None,
        sheet: Mapping[str, object] | None = None,
        env: Mapping[str, str] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        lang: str = "en",
    ) -> SmtpConfig:
        """Resolve each setting: ``options`` > Settings ``sheet`` > ``env``.

        Parameters
        ----------
        options
            ``host``, ``port``, ``security``, ``user``, ``sender``, ``cafile``;
            ``None`` values count as not given.
        sheet
            Raw key/value pairs of the Settings sheet (``smtp_host``,
            ``smtp_port``, ``smtp_user``, ``smtp_from``, ``smtp_security`` or
            their Chinese names); other keys are ignored.
        env
            Environment (default ``os.environ``): ``XLCRM_SMTP_HOST``, ``_PORT``,
            ``_USER``, ``_FROM``, ``_SECURITY``, ``_CAFILE`` and ``_PASSWORD``.
        lang
            Language of :attr:`notes` (a password row on the Settings sheet).
        """
        env = os.environ if env is None else env
        layers: list[dict[str, object]] = []
        layers.append({k: v for k, v in (options or {}).items() if given(v)})
        from_sheet: dict[str, object] = {}
        notes: list[str] = []
        for raw_key, value in (sheet or {}).items():
            key = normalise_key(str(raw_key))
            if key in SHEET_PASSWORD_KEYS:
                notes.append(
                    t(
                        "the Settings sheet has {key!r}; it is ignored because passwords "
                        "are read only from {variable} (delete that row)",
                        lang,
                        key=raw_key,
                        variable=PASSWORD_ENV,
                    )
                )
            elif key in SHEET_KEYS and given(value):
                from_sheet[SHEET_KEYS[key]] = value
        layers.append(from_sheet)
        layers.append({name: env[var] for var, name in ENV_KEYS.items() if given(env.get(var))})

        def pick(name: str) -> object:
            for layer in layers:
                if name in layer:
                    return layer[name]
            return None

        raw_security = pick("security")
        raw_port = pick("port")
        port = _parse_port(raw_port) if raw_port is not None else None
        if raw_security is not None:
            security = _parse_security(raw_security)
        elif port == DEFAULT_PORTS["ssl"]:
            security = "ssl"
        else:
            security = "starttls"
        user = _text_or_none(pick("user"))
        sender = _text_or_none(pick("sender"))
        if sender is None and user is not None and "@" in user:
            # most providers only accept mail from the address that logs in
            sender = user
        return cls(
            host=str(pick("host") or "").strip(),
            port=port if port is not None else DEFAULT_PORTS[security],
            security=security,  # type: ignore[arg-type]
            user=user,
            password=env.get(PASSWORD_ENV) or None,
            sender=sender,
            timeout=timeout,
            cafile=_text_or_none(pick("cafile")),
            notes=tuple(notes),
        )

    def check(self) -> None:
        """Raise :class:`SettingsError` if this cannot be used to send."""
        if not self.host:
            raise SettingsError(
                N_("no SMTP server given"),
                hint=N_("pass --smtp-host, set smtp_host on the Settings sheet or XLCRM_SMTP_HOST"),
            )
        if not self.sender:
            raise SettingsError(
                N_("no sender address given"),
                hint=N_(
                    "pass --from or a --user that is an address, set smtp_from on the "
                    "Settings sheet or XLCRM_SMTP_FROM"
                ),
            )
        if self.user and not self.password:
            raise SettingsError(
                N_("SMTP user {user!r} given but no password"),
                hint=N_("set the {variable} environment variable"),
                args={"user": self.user, "variable": PASSWORD_ENV},
            )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def given(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and value != value:  # NaN from a spreadsheet cell
        return False
    return not (isinstance(value, str) and not value.strip())


def _text_or_none(value: object) -> str | None:
    return str(value).strip() if given(value) else None


def _parse_port(value: object) -> int:
    try:
        number = float(str(value).strip())
    except ValueError:
        number = -1.0
    if not number.is_integer() or not 0 < number < 65536:
        raise SettingsError(
            N_("SMTP port must be a number from 1 to 65535, not {value!r}"), args={"value": value}
        )
    return int(number)


def _parse_security(value: object) -> str:
    key = normalise_key(str(value))
    if key not in _SECURITY_ALIASES:
        raise SettingsError(
            N_("SMTP security must be starttls, ssl or plain, not {value!r}"), args={"value": value}
        )
    return _SECURITY_ALIASES[key]


def sheet_recipients(values: Mapping[str, object]) -> list[str]:
    """Addresses under ``email_to`` (or ``收件人``) on the Settings sheet."""
    found: list[str] = []
    for raw_key, value in values.items():
        if normalise_key(str(raw_key)) in RECIPIENT_KEYS and given(value):
            found += parse_addresses(str(value))
    return found
