"""Every command example in the README runs as written, so the docs cannot drift.

The examples run in a temporary folder holding the bundled sample as
``shop.xlsx``. The only changes made to them: the SMTP host named in an
example is this test's own server on 127.0.0.1 (STARTTLS with a self-signed
certificate, trusted through ``XLCRM_SMTP_CAFILE``), and the placeholder
password is a real one. ``make`` and ``pip`` lines are what CI itself runs.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from conftest import require_tool
from test_mail import Recorder, free_port

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SMTP_HOSTS = ("smtp.shop.com",)
# A Spark cluster named in an example becomes local mode on this machine.
SPARK_MASTERS = {"spark://host:7077": "local[1]"}
PASSWORD = "s3cret"
SKIPPED = ("make", "pip", "cd", "open")

# Examples whose documented outcome here is exit 2, and the README's reason.
_NEEDS_EXCEL = "installing needs Windows or macOS; on Linux it explains and exits 2"
_NO_ADDRESS = "an owner without an email address is listed and the exit code is 2"
EXPECTED_EXIT: dict[str, tuple[int, str]] = {
    "xlcrm addin install": (2, _NEEDS_EXCEL),
    "xlcrm addin install --lang zh --dry-run": (2, _NEEDS_EXCEL),
    "xlcrm addin uninstall": (2, _NEEDS_EXCEL),
    "xlcrm email shop.xlsx --per-owner --dry-run": (2, _NO_ADDRESS),
    "xlcrm email shop.xlsx --per-owner --eml-dir drafts/": (2, _NO_ADDRESS),
    "xlcrm email shop.xlsx --per-owner --resume": (2, _NO_ADDRESS),
}

pytestmark = pytest.mark.slow


def readme_commands(text: str) -> list[list[str]]:
    """The shell lines of every ```sh block, split as a shell would split them."""
    commands: list[list[str]] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(words)
    return commands


def test_the_readme_has_examples_of_every_command() -> None:
    used = {words[1] for words in readme_commands(README.read_text()) if words[0] == "xlcrm"}
    listed = subprocess.run(
        [sys.executable, "-m", "xlcrm", "--help"], capture_output=True, text=True, check=True
    ).stdout
    commands = set(re.findall(r"^  (\w+)\s", listed.split("Commands:")[1], flags=re.M))
    assert commands <= used | {"--help"}, f"commands without a README example: {commands - used}"


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
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
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    recorder = Recorder()
    port = free_port()

    def accept(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        return AuthResult(success=auth_data.password == PASSWORD.encode(), handled=False)

    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=accept,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield {
            "XLCRM_SMTP_HOST": "127.0.0.1",
            "XLCRM_SMTP_PORT": str(port),
            "XLCRM_SMTP_CAFILE": str(cert),
        }
    finally:
        controller.stop()


def _order_history_files(folder: Path) -> None:
    """The sample's orders and customers as the engine examples name them:
    orders.parquet, exports/ (CSV), customers.csv and a DuckDB table."""
    import duckdb

    from xlcrm.xlsx.reader import read_workbook

    data = read_workbook(folder / "shop.xlsx")
    orders = data.orders[["order_id", "customer_id", "order_date", "amount"]].copy()
    orders["amount"] = orders["amount"].astype(float)
    customers = data.customers[["customer_id", "name", "owner"]].copy()
    (folder / "exports").mkdir()
    half = len(orders) // 2
    orders.iloc[:half].to_csv(folder / "exports" / "orders_1.csv", index=False)
    orders.iloc[half:].to_csv(folder / "exports" / "orders_2.csv", index=False)
    customers.to_csv(folder / "customers.csv", index=False)
    with duckdb.connect(str(folder / "shop.duckdb")) as db:
        db.register("frame", orders)
        db.execute(f"COPY frame TO '{folder / 'orders.parquet'}' (FORMAT parquet)")
        db.execute("CREATE TABLE orders AS SELECT * FROM frame")


def test_every_readme_example_runs(tmp_path: Path, smtp: dict[str, str]) -> None:
    shutil.copy(REPO / "workbook" / "sample_en.xlsx", tmp_path / "shop.xlsx")
    _order_history_files(tmp_path)
    env = {**os.environ, **smtp, "HOME": str(tmp_path), "XLCRM_DEBUG": ""}
    env.pop("XLCRM_SMTP_PASSWORD", None)
    ran = 0
    for words in readme_commands(README.read_text()):
        if words[0] in SKIPPED:
            continue
        if words[0] == "export":
            name, _, _ = words[1].partition("=")
            env[name] = PASSWORD if name == "XLCRM_SMTP_PASSWORD" else words[1].split("=", 1)[1]
            continue
        assert words[0] == "xlcrm", f"README example is not an xlcrm command: {words}"
        args = ["127.0.0.1" if w in SMTP_HOSTS else SPARK_MASTERS.get(w, w) for w in words[1:]]
        result = subprocess.run(
            [sys.executable, "-m", "xlcrm", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        shown = " ".join(words)
        expected, _ = EXPECTED_EXIT.get(shown, (0, ""))
        assert "Traceback" not in result.stderr, f"{shown}\n{result.stderr}"
        assert result.returncode == expected, f"{shown}\n{result.stdout}\n{result.stderr}"
        ran += 1
    assert ran >= 15
