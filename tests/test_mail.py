"""Mail: message building, a real SMTP server (aiosmtpd) on 127.0.0.1, drafts, resume."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_binary_file, message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import require_tool
from pypdf import PdfReader

from xlcrm.core.errors import SettingsError
from xlcrm.core.settings import Settings
from xlcrm.mail import (
    Brief,
    FollowUp,
    SmtpConfig,
    batch_id_for,
    build_message,
    content_digest,
    envelope_recipients,
    followups_due,
    make_message_id,
    parse_addresses,
    plan_briefs,
    send_batch,
    write_eml,
)

AS_OF = dt.date(2024, 6, 30)
TIMEOUT = 5.0
EVIL = '=HYPERLINK("http://x","y")'
SUMMARY = {"customers": 3, "revenue": 12345.5, "top_share": 0.62, "churn_warnings": 1}


# --- fixtures --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Recorder:
    """aiosmtpd handler: keeps what arrives, refuses addresses in ``reject``."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def messages(self) -> list[EmailMessage]:
        out = []
        for _, _, content in self.received:
            msg = message_from_bytes(content, policy=default_policy)
            assert isinstance(msg, EmailMessage)
            out.append(msg)
        return out


@dataclass
class Server:
    handler: Recorder
    port: int

    def config(self, **changes: Any) -> SmtpConfig:
        base = SmtpConfig(
            host="127.0.0.1",
            port=self.port,
            security="plain",
            sender="brief@shop.example",
            timeout=TIMEOUT,
        )
        return base.__class__(**{**base.__dict__, **changes})


def _start(handler: Recorder, **kwargs: Any) -> Iterator[Server]:
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, ready_timeout=TIMEOUT, **kwargs
    )
    controller.start()
    try:
        yield Server(handler, port)
    finally:
        controller.stop()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from _start(Recorder())


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"ann",
        b"s3cret",
    )
    # handled=False: aiosmtpd then answers 535 itself
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_server() -> Iterator[Server]:
    yield from _start(
        Recorder(), authenticator=authenticator, auth_required=True, auth_require_tls=False
    )


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 made with the openssl command."""
    openssl = require_tool("openssl")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    yield from _start(Recorder(), tls_context=context, require_starttls=True)


def closed_port() -> int:
    return free_port()  # nothing listens there once the probe socket is closed


def message(pdf: bytes, to: list[str], key: str = "all", **kwargs: Any) -> EmailMessage:
    return build_message(
        to=to,
        as_of=AS_OF,
        summary=SUMMARY,
        followups=kwargs.pop("followups", FOLLOWUPS),
        pdf=pdf,
        sender="Shop <brief@shop.example>",
        message_id=make_message_id("batch1", key, "brief@shop.example"),
        **kwargs,
    )


FOLLOWUPS = [
    FollowUp("C1", EVIL, "Ann", dt.date(2024, 7, 1), 2, "urgent", "A", today=True),
    FollowUp("C2", "<b>Bold & Co</b>", "李雷", dt.date(2024, 7, 1), 0, None, "B", "due", True),
    FollowUp("C5", "Later Ltd", "Ann", dt.date(2024, 7, 3), 0, None, "C", "due"),
]


def text_of(pdf_bytes: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def bodies(msg: EmailMessage) -> tuple[str, str]:
    plain = msg.get_body(("plain",))
    rich = msg.get_body(("html",))
    assert plain is not None and rich is not None
    return plain.get_content(), rich.get_content()


# --- building --------------------------------------------------------------------


def test_message_has_plain_and_html_bodies_and_the_pdf(pdf: bytes) -> None:
    msg = message(pdf, ["boss@shop.example"], company="Sample Trading Co.")
    assert msg["Subject"] == "Sample Trading Co. customer brief, 2024-06-30"
    assert msg.get_content_type() == "multipart/mixed"
    plain, rich = bodies(msg)
    assert "Customers" in plain and "12,346" in plain and "62.0%" in plain
    assert "Calls planned for 2024-07-01: 2" in plain
    assert "overdue 2 d" in plain and "Urgent" in plain and "grade B" in plain
    assert "Later this week: 1 more call planned, up to 2024-07-03" in plain
    assert "Later Ltd" not in plain  # the later days are counted, not listed
    assert "<td>Revenue</td>" in rich
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "xlcrm-brief-2024-06-30.pdf"
    assert attachment.get_content() == pdf


def test_user_text_is_literal_in_plain_and_escaped_in_html(pdf: bytes) -> None:
    plain, rich = bodies(message(pdf, ["boss@shop.example"]))
    assert EVIL in plain
    assert "<b>Bold & Co</b>" in plain
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in rich
    assert "<b>Bold" not in rich
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in rich


def test_owner_brief_in_chinese_names_owner_in_subject_and_greeting(pdf: bytes) -> None:
    msg = message(pdf, ["lilei@shop.example"], owner="李雷", lang="zh", company="样品贸易")
    assert msg["Subject"] == "样品贸易客户策略简报（李雷）2024-06-30"
    plain, rich = bodies(msg)
    assert plain.startswith("李雷，您好：")
    assert "客户数" in plain and "逾期 2 天" in plain and "紧急" in plain
    assert "关键指标" in rich
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "xlcrm-brief-2024-06-30-李雷.pdf"


def test_newlines_in_owner_names_cannot_inject_headers(pdf: bytes) -> None:
    msg = message(pdf, ["a@shop.example"], owner="Ann\r\nBcc: evil@x.example")
    assert "Bcc" not in msg
    assert "\n" not in msg["Subject"]
    assert envelope_recipients(msg) == ["a@shop.example"]


def test_more_than_fifteen_followups_point_to_the_pdf(pdf: bytes) -> None:
    many = [FollowUp(f"C{i}", f"N{i}", None, AS_OF, 0, None, None, today=True) for i in range(20)]
    plain, rich = bodies(message(pdf, ["a@shop.example"], followups=many))
    assert "N14" in plain and "N15" not in plain
    assert "and 5 more in the attached PDF" in plain and "5 more" in rich


def test_no_followups_says_so(pdf: bytes) -> None:
    plain, _ = bodies(message(pdf, ["a@shop.example"], followups=[]))
    assert "No calls planned this week." in plain


def test_bad_address_is_refused_before_anything_is_built(pdf: bytes) -> None:
    with pytest.raises(SettingsError, match="not an email address: 'bob'"):
        message(pdf, ["bob"])
    assert parse_addresses("a@x.com; B <b@y.org>, a@x.com") == ["a@x.com", "b@y.org"]


def test_the_body_lists_the_call_plan_today_first_for_one_owner() -> None:
    customers = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4", "C5"],
            "name": ["Acme", "Beta", "Gamma", pd.NA, "Eps"],
            "owner": ["Ann", "Bob", "ann ", "Ann", "Ann"],
            "grade": ["B", "B", "A", "C", "D"],
            "next_followup": pd.to_datetime(
                ["2024-06-20", "2024-07-01", "2024-07-01", "2024-07-03", "2024-07-30"]
            ),
            "overdue_days": [10, 0, 0, 0, 0],
            "monetary": [5.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    # as of Sunday 30 June: the plan starts Monday 1 July
    due = followups_due(customers, as_of=AS_OF)
    # by day, then owner, then priority (grade A first)
    assert [f.customer_id for f in due] == ["C3", "C1", "C2", "C4"]
    assert due[1] == FollowUp(
        "C1", "Acme", "Ann", dt.date(2024, 7, 1), 11, None, "B", "overdue by 11 days", True
    )
    assert [f.today for f in due] == [True, True, True, False]
    mine = followups_due(customers, as_of=AS_OF, owner="ANN", settings=Settings(daily_calls=1))
    # one call a day: Gamma (grade A) first, then Acme, then C4 when due
    assert [(f.customer_id, f.due.isoformat()) for f in mine] == [
        ("C3", "2024-07-01"),
        ("C1", "2024-07-02"),
        ("C4", "2024-07-03"),
    ]


def test_smtp_config_takes_option_then_sheet_then_environment() -> None:
    env = {
        "XLCRM_SMTP_HOST": "env.example",
        "XLCRM_SMTP_PORT": "2525",
        "XLCRM_SMTP_USER": "envuser",
        "XLCRM_SMTP_FROM": "env@x.example",
        "XLCRM_SMTP_PASSWORD": "pw",
    }
    sheet = {"SMTP host": "sheet.example", "smtp_port": 465.0, "smtp_password": "leak"}
    config = SmtpConfig.from_sources({"host": "opt.example", "user": None}, sheet, env)
    assert (config.host, config.port, config.security) == ("opt.example", 465, "ssl")
    assert (config.user, config.sender, config.password) == ("envuser", "env@x.example", "pw")
    assert "leak" not in repr(config) and "pw" not in repr(config)
    assert config.notes and "XLCRM_SMTP_PASSWORD" in config.notes[0]
    assert SmtpConfig.from_sources({}, {}, {}).port == 587
    with pytest.raises(SettingsError, match="port"):
        SmtpConfig.from_sources({"port": "abc"}, {}, {})
    with pytest.raises(SettingsError, match="no password"):
        SmtpConfig.from_sources({"host": "h", "user": "u", "sender": "a@b.example"}, {}, {}).check()


# --- sending through a real server -----------------------------------------------


def test_sent_message_arrives_with_recipients_subject_bodies_and_readable_pdf(
    server: Server, pdf: bytes, tmp_path: Path
) -> None:
    msg = message(pdf, ["boss@shop.example", "Ann <ann@shop.example>"])
    result = send_batch([msg], server.config(), journal_path=tmp_path / "j.json")
    assert result.ok, result.errors
    ((mail_from, rcpts, _),) = server.handler.received
    assert mail_from == "brief@shop.example"
    assert rcpts == ["boss@shop.example", "ann@shop.example"]
    (got,) = server.handler.messages()
    assert got["Subject"] == msg["Subject"] == "Customer brief, 2024-06-30"
    plain, rich = bodies(got)
    assert EVIL in plain and "12,346" in plain  # sums without cents
    assert "&lt;b&gt;Bold" in rich
    (attachment,) = list(got.iter_attachments())
    pages, text = text_of(attachment.get_content())
    assert pages == 2
    assert "Strategy brief page 1" in text and "Strategy brief page 2" in text


def test_login_with_the_right_password_sends(auth_server: Server, pdf: bytes) -> None:
    config = auth_server.config(user="ann", password="s3cret")
    result = send_batch([message(pdf, ["a@shop.example"])], config, journal_path=None)
    assert result.ok, result.errors
    assert len(auth_server.handler.received) == 1


def test_wrong_password_is_one_clear_line_and_nothing_sent(auth_server: Server, pdf: bytes) -> None:
    config = auth_server.config(user="ann", password="wrong")
    msgs = [message(pdf, ["a@shop.example"], "a"), message(pdf, ["b@shop.example"], "b")]
    result = send_batch(msgs, config, journal_path=None)
    assert not result.ok
    (line,) = result.errors
    assert line.startswith("authentication failed for user 'ann' at 127.0.0.1:")
    assert "535" in line and "\n" not in line
    assert [d.status for d in result.deliveries] == ["not_attempted", "not_attempted"]
    assert auth_server.handler.received == []


def test_server_requiring_login_refuses_an_anonymous_sender(
    auth_server: Server, pdf: bytes
) -> None:
    result = send_batch([message(pdf, ["a@shop.example"])], auth_server.config(), journal_path=None)
    (line,) = result.errors
    assert "sender brief@shop.example rejected" in line and "530" in line


def test_refused_connection_reports_and_marks_all_not_sent(pdf: bytes) -> None:
    config = SmtpConfig(
        host="127.0.0.1",
        port=closed_port(),
        security="plain",
        sender="brief@shop.example",
        timeout=TIMEOUT,
    )
    msgs = [message(pdf, ["a@shop.example"], "a"), message(pdf, ["b@shop.example"], "b")]
    result = send_batch(msgs, config, journal_path=None)
    assert len(result.errors) == 1
    assert result.errors[0].startswith("connection refused by 127.0.0.1:")
    assert result.sent == [] and len(result.not_sent) == 2


def test_silent_server_times_out(pdf: bytes) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the TCP connection, never greets
        port = listener.getsockname()[1]
        config = SmtpConfig(
            host="127.0.0.1", port=port, security="plain", sender="brief@shop.example", timeout=0.5
        )
        result = send_batch([message(pdf, ["a@shop.example"])], config, journal_path=None)
    (line,) = result.errors
    assert line == f"timed out after 0.5 s talking to 127.0.0.1:{port}"


def test_rejected_recipient_fails_only_that_recipient(server: Server, pdf: bytes) -> None:
    server.handler.reject.add("gone@shop.example")
    msgs = [
        message(pdf, ["boss@shop.example", "gone@shop.example"], "all"),
        message(pdf, ["gone@shop.example"], "gone"),
        message(pdf, ["ann@shop.example"], "ann"),
    ]
    result = send_batch(msgs, server.config(), journal_path=None)
    assert [d.status for d in result.deliveries] == ["partial", "failed", "sent"]
    assert (
        result.errors
        == (f"gone@shop.example rejected by 127.0.0.1:{server.port}: 550 5.1.1 no such user here",)
        * 2
    )
    assert [r for _, r, _ in server.handler.received] == [
        ["boss@shop.example"],
        ["ann@shop.example"],
    ]


def test_resume_sends_only_what_the_first_run_did_not_deliver(
    server: Server, pdf: bytes, tmp_path: Path
) -> None:
    journal = tmp_path / "state" / "batch.json"
    msgs = [
        message(pdf, ["boss@shop.example", "late@shop.example"], "all"),
        message(pdf, ["ann@shop.example"], "ann"),
        message(pdf, ["late@shop.example"], "late"),
    ]
    server.handler.reject.add("late@shop.example")
    first = send_batch(msgs, server.config(), journal_path=journal, batch_id="b1")
    assert not first.ok and len(server.handler.received) == 2

    server.handler.reject.clear()
    server.handler.received.clear()
    second = send_batch(msgs, server.config(), journal_path=journal, resume=True, batch_id="b1")
    assert second.ok, second.errors
    assert [d.status for d in second.deliveries] == ["sent", "already_sent", "sent"]
    assert [r for _, r, _ in server.handler.received] == [
        ["late@shop.example"],
        ["late@shop.example"],
    ]
    # a third resume has nothing left to send
    server.handler.received.clear()
    third = send_batch(msgs, server.config(), journal_path=journal, resume=True, batch_id="b1")
    assert third.ok and server.handler.received == []
    assert {d.status for d in third.deliveries} == {"already_sent"}


def test_resume_after_refused_connection_sends_everything(
    server: Server, pdf: bytes, tmp_path: Path
) -> None:
    journal = tmp_path / "batch.json"
    msgs = [message(pdf, ["a@shop.example"], "a"), message(pdf, ["b@shop.example"], "b")]
    down = server.config(port=closed_port())
    assert not send_batch(msgs, down, journal_path=journal).ok
    result = send_batch(msgs, server.config(), journal_path=journal, resume=True)
    assert result.ok and len(server.handler.received) == 2


def test_a_run_without_resume_keeps_the_record_of_earlier_deliveries(
    server: Server, pdf: bytes, tmp_path: Path
) -> None:
    journal = tmp_path / "batch.json"
    msgs = [message(pdf, ["a@shop.example"], "a"), message(pdf, ["b@shop.example"], "b")]
    server.handler.reject.add("b@shop.example")
    send_batch(msgs, server.config(), journal_path=journal)
    send_batch(msgs, server.config(port=closed_port()), journal_path=journal)  # no resume
    server.handler.reject.clear()
    server.handler.received.clear()
    result = send_batch(msgs, server.config(), journal_path=journal, resume=True)
    assert result.ok and [r for _, r, _ in server.handler.received] == [["b@shop.example"]]


def test_starttls_with_a_trusted_certificate(
    tls_server: Server, certificate: tuple[Path, Path], pdf: bytes
) -> None:
    config = tls_server.config(security="starttls", cafile=str(certificate[0]))
    result = send_batch([message(pdf, ["a@shop.example"])], config, journal_path=None)
    assert result.ok, result.errors
    assert len(tls_server.handler.received) == 1


def test_starttls_with_an_untrusted_certificate_is_refused(tls_server: Server, pdf: bytes) -> None:
    config = tls_server.config(security="starttls")
    result = send_batch([message(pdf, ["a@shop.example"])], config, journal_path=None)
    (line,) = result.errors
    assert line.startswith(f"TLS certificate of 127.0.0.1:{tls_server.port} not trusted")
    assert tls_server.handler.received == []


def test_starttls_asked_of_a_server_without_it(server: Server, pdf: bytes) -> None:
    config = server.config(security="starttls")
    result = send_batch([message(pdf, ["a@shop.example"])], config, journal_path=None)
    (line,) = result.errors
    assert "does not offer STARTTLS" in line


# --- drafts ----------------------------------------------------------------------


def test_eml_drafts_parse_back_unsent_with_bodies_and_pdf(pdf: bytes, tmp_path: Path) -> None:
    msgs = [
        message(pdf, ["ann@shop.example"], "ann", owner="Ann"),
        message(pdf, ["lilei@shop.example"], "li", owner="李雷", lang="zh"),
        message(pdf, ["boss@shop.example"], "all"),
    ]
    paths = write_eml(msgs, tmp_path / "drafts")
    assert [p.name for p in paths] == [
        "xlcrm-brief-2024-06-30-Ann.eml",
        "xlcrm-brief-2024-06-30-李雷.eml",
        "xlcrm-brief-2024-06-30.eml",
    ]
    assert "X-Unsent" not in msgs[0]  # the originals are left alone
    with paths[1].open("rb") as handle:
        draft = message_from_binary_file(handle, policy=default_policy)
    assert isinstance(draft, EmailMessage)
    assert draft["X-Unsent"] == "1"
    assert draft["Subject"] == "客户策略简报（李雷）2024-06-30"
    assert draft["To"] == "lilei@shop.example"
    plain, _ = bodies(draft)
    assert "李雷，您好" in plain
    (attachment,) = list(draft.iter_attachments())
    assert text_of(attachment.get_content())[0] == 2
    assert b"\r\n" in paths[0].read_bytes()  # CRLF line ends, as mail clients expect


# --- planning a batch ------------------------------------------------------------


CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3", "C4", "C5"],
        "owner": ["Ann", "ann ", "Bob", "李雷", pd.NA],
    }
)
OWNERS = pd.DataFrame(
    {
        "owner": ["ANN", "Bob", "李雷", "Zoe"],
        "email": ["ann@shop.example", pd.NA, "li@shop.example; lei@shop.example", "z@shop.example"],
    }
)


def test_plan_gives_each_owner_with_an_address_a_brief_and_reports_the_rest() -> None:
    plan = plan_briefs(CUSTOMERS, to=["boss@shop.example"], per_owner=True, owners=OWNERS)
    assert plan.briefs == (
        Brief("all", ("boss@shop.example",), None, 5),
        Brief("owner:ann", ("ann@shop.example",), "Ann", 2),
        Brief("owner:李雷", ("li@shop.example", "lei@shop.example"), "李雷", 1),
    )
    assert plan.problems == (
        "owner 'Bob' (1 customer) has no email address in the Owners table on the Settings "
        "sheet; no brief sent to them",
    )
    assert plan.notes == (
        "1 customer has no owner and is in no per-owner brief",
        "owners without customers get no brief: Zoe",
    )


def test_plan_reports_an_unusable_owner_address() -> None:
    owners = pd.DataFrame({"owner": ["Bob"], "email": ["bob at shop"]})
    plan = plan_briefs(CUSTOMERS, per_owner=True, owners=owners)
    assert (
        "owner 'Bob' (1 customer): 'bob at shop' is not an email address; no brief sent to them"
        in plan.problems
    )


def test_plan_without_any_recipient_is_a_usage_error() -> None:
    with pytest.raises(SettingsError, match="no recipients"):
        plan_briefs(CUSTOMERS, to=[])


def test_batch_id_changes_with_data_date_and_language_not_with_recipients() -> None:
    one = batch_id_for(content_digest="d1", as_of=AS_OF, lang="en")
    assert one == batch_id_for(content_digest="d1", as_of=AS_OF, lang="en")
    assert one != batch_id_for(content_digest="d2", as_of=AS_OF, lang="en")
    assert one != batch_id_for(content_digest="d1", as_of=dt.date(2024, 7, 1), lang="en")
    assert one != batch_id_for(content_digest="d1", as_of=AS_OF, lang="zh")


def test_content_digest_ignores_the_owners_table_but_not_the_orders() -> None:
    @dataclass
    class Data:
        orders: pd.DataFrame
        customers: pd.DataFrame | None
        owners: pd.DataFrame | None
        activities: None = None

    base = Data(pd.DataFrame({"amount": [1.0, 2.0]}), CUSTOMERS, OWNERS)
    same = Data(base.orders.copy(), CUSTOMERS.copy(), OWNERS.iloc[:1])
    other = Data(pd.DataFrame({"amount": [1.0, 2.5]}), CUSTOMERS, OWNERS)
    assert content_digest(base) == content_digest(same) != content_digest(other)


# --- the `xlcrm email` command -----------------------------------------------------


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workbook: 6 owners, Farid Haddad without an e-mail address."""
    from xlcrm.xlsx.sample import generate_sample, write_sample

    path = tmp_path_factory.mktemp("book") / "book.xlsx"
    write_sample(generate_sample(customers=40, seed=7), path)
    return path


@pytest.fixture
def email(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``xlcrm email`` in-process with a private journal folder and no SMTP env."""
    from click.testing import CliRunner

    from xlcrm.cli import cli

    for var in list(os.environ):
        if var.startswith("XLCRM_SMTP_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("XLCRM_STATE_DIR", str(tmp_path / "state"))

    def run(*args: str, env: dict[str, str] | None = None) -> Any:
        return CliRunner().invoke(cli, ["email", *args], env=env, catch_exceptions=False)

    return run


def smtp_args(server: Server | int) -> list[str]:
    port = server if isinstance(server, int) else server.port
    return [
        *("--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--plain"),
        *("--from", "brief@shop.example"),
    ]


@pytest.mark.slow
def test_email_per_owner_sends_each_owner_their_brief_and_reports_the_missing_one(
    email: Any, book: Path, server: Server
) -> None:
    result = email(str(book), "--to", "boss@shop.example", "--per-owner", *smtp_args(server))
    assert result.exit_code == 2, result.output
    assert (
        "owner 'Farid Haddad' (" in result.stderr
        and "has no email address in the Owners table" in result.stderr
    )
    received = {
        tuple(r): m
        for (_, r, _), m in zip(server.handler.received, server.handler.messages(), strict=True)
    }
    assert set(received) == {
        ("boss@shop.example",),
        ("alice.morgan@example.com",),
        ("ben.carter@example.com",),
        ("chloe.nguyen@example.com",),
        ("david.okafor@example.com",),
        ("elena.rossi@example.com",),
    }
    alice = received[("alice.morgan@example.com",)]
    assert alice["Subject"] == "Sample Trading Co. customer brief for Alice Morgan, 2026-06-30"
    plain, _ = bodies(alice)
    assert plain.startswith("Hello Alice Morgan,") and "Key figures" in plain
    assert "Ben Carter" not in plain  # only her customers
    (attachment,) = list(alice.iter_attachments())
    assert attachment.get_filename() == "xlcrm-brief-2026-06-30-Alice-Morgan.pdf"
    pages, text = text_of(attachment.get_content())
    assert pages >= 1 and "Alice Morgan" in text
    boss_plain, _ = bodies(received[("boss@shop.example",)])
    assert "Customers" in boss_plain and "40" in boss_plain
    assert "Sent (6):" in result.stdout and "Not sent (0):" in result.stdout


def test_email_resume_sends_only_the_rejected_recipient_again(
    email: Any, book: Path, server: Server, stand_in_pdf: list[str | None]
) -> None:
    server.handler.reject.add("gone@shop.example")
    args = [str(book), "--to", "boss@shop.example,gone@shop.example", *smtp_args(server)]
    first = email(*args)
    assert first.exit_code == 2
    assert f"gone@shop.example rejected by 127.0.0.1:{server.port}: 550" in first.stderr
    assert "Not sent (1):" in first.stdout and "--resume" in first.stdout
    assert [r for _, r, _ in server.handler.received] == [["boss@shop.example"]]

    server.handler.reject.clear()
    server.handler.received.clear()
    second = email(*args, "--resume")
    assert second.exit_code == 0, second.output
    assert [r for _, r, _ in server.handler.received] == [["gone@shop.example"]]
    (msg,) = server.handler.messages()
    assert msg["To"] == "boss@shop.example, gone@shop.example"  # the same message


def test_email_refused_connection_is_one_line_and_exit_2(
    email: Any, book: Path, stand_in_pdf: list[str | None]
) -> None:
    result = email(str(book), "--to", "boss@shop.example", *smtp_args(closed_port()))
    assert result.exit_code == 2
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("xlcrm:")]
    assert "connection refused by 127.0.0.1:" in line
    assert "Sent (0):" in result.stdout and "Not sent (1):" in result.stdout


def test_email_failure_lines_follow_lang_zh(
    email: Any, book: Path, stand_in_pdf: list[str | None]
) -> None:
    port = closed_port()
    result = email(str(book), "--to", "boss@shop.example", "--lang", "zh", *smtp_args(port))
    assert result.exit_code == 2
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("xlcrm:")]
    assert f"127.0.0.1:{port} 拒绝连接" in line
    assert "connection refused" not in line


def test_email_wrong_password_from_the_environment(
    email: Any, book: Path, auth_server: Server, stand_in_pdf: list[str | None]
) -> None:
    args = [str(book), "--to", "a@shop.example", *smtp_args(auth_server), "--user", "ann"]
    result = email(*args, env={"XLCRM_SMTP_PASSWORD": "nope"})
    assert result.exit_code == 2
    assert "authentication failed for user 'ann'" in result.stderr
    assert auth_server.handler.received == []
    ok = email(*args, env={"XLCRM_SMTP_PASSWORD": "s3cret"})
    assert ok.exit_code == 0, ok.output
    assert len(auth_server.handler.received) == 1


def test_email_user_without_password_stops_before_sending(email: Any, book: Path) -> None:
    result = email(str(book), "--to", "a@shop.example", *smtp_args(closed_port()), "--user", "u")
    assert result.exit_code == 2
    assert "no password" in result.stderr and "XLCRM_SMTP_PASSWORD" in result.stderr


def test_email_eml_dir_writes_drafts_and_sends_nothing(
    email: Any, book: Path, tmp_path: Path, stand_in_pdf: list[str | None]
) -> None:
    result = email(
        str(book), "--to", "boss@shop.example", "--eml-dir", str(tmp_path / "d"), "--lang", "zh"
    )
    assert result.exit_code == 0, result.output
    (path,) = sorted((tmp_path / "d").glob("*.eml"))
    with path.open("rb") as handle:
        draft = message_from_binary_file(handle, policy=default_policy)
    assert draft["X-Unsent"] == "1" and draft["To"] == "boss@shop.example"
    assert "客户策略简报" in draft["Subject"]
    assert stand_in_pdf == [None]  # one brief for all customers, laid out by the stand-in
    assert "已写入 1 份草稿到" in result.stdout


def test_email_dry_run_lists_who_gets_what(email: Any, book: Path, server: Server) -> None:
    result = email(str(book), "--per-owner", "--dry-run", *smtp_args(server))
    assert result.exit_code == 2  # Farid Haddad has no address
    assert "Dry run: would send via 127.0.0.1:" in result.stdout
    assert "alice.morgan@example.com: Alice Morgan" in result.stdout
    assert "Farid Haddad" in result.stderr
    assert server.handler.received == []


def test_email_per_owner_drafts_match_owners_however_spelled(
    email: Any, tmp_path: Path, stand_in_pdf: list[str | None]
) -> None:
    """Customers say "Alice  Morgan" (two spaces), the Owners table "Alice Morgan"."""
    from xlcrm.xlsx.sample import generate_sample, write_sample

    sample = generate_sample(customers=40, seed=7)
    customers = sample.customers.copy()
    customers["owner"] = customers["owner"].replace("Alice Morgan", "Alice  Morgan")
    book = write_sample(dataclasses.replace(sample, customers=customers), tmp_path / "two.xlsx")
    drafts = tmp_path / "drafts"
    result = email(str(book), "--per-owner", "--eml-dir", str(drafts))
    assert result.exit_code == 2, result.output  # Farid Haddad has no address
    assert "unknown owner" not in result.output
    assert "Alice Morgan" in stand_in_pdf
    alice = drafts / "xlcrm-brief-2026-06-30-Alice-Morgan.eml"
    with alice.open("rb") as handle:
        draft = message_from_binary_file(handle, policy=default_policy)
    assert draft["To"] == "alice.morgan@example.com"
    plain, _ = bodies(draft)
    mine = int((customers["owner"] == "Alice  Morgan").sum())
    (count,) = re.findall(r"^\s+Customers\s+([\d,]+)$", plain, flags=re.MULTILINE)
    assert count == str(mine)  # her customers under both spellings


def test_a_login_that_is_an_address_is_the_sender_when_none_is_given() -> None:
    config = SmtpConfig.from_sources(
        options={"host": "smtp.shop.example", "user": "me@shop.example"}, sheet={}, env={}
    )
    assert config.sender == "me@shop.example"
    named = SmtpConfig.from_sources(
        options={"host": "h", "user": "me@shop.example", "sender": "team@shop.example"},
        sheet={},
        env={},
    )
    assert named.sender == "team@shop.example"
    assert (
        SmtpConfig.from_sources(options={"host": "h", "user": "ann"}, sheet={}, env={}).sender
        is None
    )
