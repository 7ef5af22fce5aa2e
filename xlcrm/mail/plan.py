"""Who gets which brief: one for the given addresses, one per sales owner."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from xlcrm.core import analysis as core
from xlcrm.core.errors import SettingsError
from xlcrm.core.insights import with_insights
from xlcrm.core.owners import owner_key, owner_keys, owner_spellings
from xlcrm.locale import N_, t, tn
from xlcrm.mail.addresses import one_line, parse_addresses
from xlcrm.mail.body import followups_due
from xlcrm.mail.config import given
from xlcrm.mail.journal import read_journal
from xlcrm.mail.message import build_message, make_batch_id, make_message_id

if TYPE_CHECKING:
    from xlcrm.core.analysis import Analysis
    from xlcrm.xlsx.reader import WorkbookData


@dataclass(frozen=True)
class Brief:
    """One planned message: who gets which brief (before any PDF is rendered)."""

    key: str
    """``"all"`` or ``"owner:<name>"``: stable within a batch (journal key)."""
    to: tuple[str, ...]
    owner: str | None
    customers: int


@dataclass(frozen=True)
class BriefPlan:
    """Who gets what, and what cannot be sent."""

    briefs: tuple[Brief, ...]
    problems: tuple[str, ...] = ()
    """One line per owner who has customers but no usable address (exit 2)."""
    notes: tuple[str, ...] = ()
    """Things worth knowing that are not errors (owners without customers …)."""


def owner_addresses(owners: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """``{owner key: (owner as written, email cell)}`` from the Owners table."""
    if owners is None or owners.empty or "owner" not in owners.columns:
        return {}
    emails = owners["email"] if "email" in owners.columns else pd.Series("", index=owners.index)
    table: dict[str, tuple[str, str]] = {}
    for name, email in zip(owners["owner"], emails, strict=True):
        if not given(name):
            continue
        key = owner_key(name)
        text = str(email).strip() if given(email) else ""
        if key not in table or (text and not table[key][1]):
            table[key] = (one_line(name), text)
    return table


def plan_briefs(
    customers: pd.DataFrame,
    *,
    to: Sequence[str] = (),
    per_owner: bool = False,
    owners: pd.DataFrame | None = None,
    lang: str = "en",
) -> BriefPlan:
    """Decide the messages of a batch.

    Parameters
    ----------
    customers
        ``Analysis.customers`` (``owner`` column used with ``per_owner``).
    to
        Addresses that get the whole brief (all customers), in one message.
    per_owner
        Also one brief per sales owner with only their customers, to the
        address in the Owners table (``owner``, ``email``; several addresses
        in one cell separated by ``,`` or ``;``). Owners are matched by
        :func:`~xlcrm.core.owners.owner_key` (case, width and spaces aside).
    owners
        The Owners table (``WorkbookData.owners``).
    lang
        Language of the problem and note lines.

    Returns
    -------
    BriefPlan
        An owner with customers but no valid address gives a line in
        ``problems``; the other briefs are still planned.
    """
    recipients = parse_addresses(to)
    if not recipients and not per_owner:
        raise SettingsError(
            N_("no recipients"),
            hint=N_("pass --to ADDR, --per-owner, or set email_to on the Settings sheet"),
        )
    briefs: list[Brief] = []
    problems: list[str] = []
    notes: list[str] = []
    if recipients:
        briefs.append(Brief("all", tuple(recipients), None, len(customers)))
    if per_owner:
        table = owner_addresses(owners)
        column = (
            customers["owner"]
            if "owner" in customers.columns
            else pd.Series(pd.NA, index=customers.index, dtype="string")
        )
        present = owner_keys(column)
        counts = present.value_counts(dropna=True)
        spelled = owner_spellings(column)
        for key in sorted(counts.index, key=lambda k: spelled[k].casefold()):
            name = spelled[key]
            count = int(counts[key])
            cell = table.get(key, (name, ""))[1]
            if not cell:
                problems.append(
                    tn(
                        "owner {owner!r} ({n} customer) has no email address in the Owners "
                        "table on the Settings sheet; no brief sent to them",
                        "owner {owner!r} ({n} customers) has no email address in the Owners "
                        "table on the Settings sheet; no brief sent to them",
                        count,
                        lang,
                        owner=name,
                    )
                )
                continue
            try:
                addresses = parse_addresses(cell)
            except SettingsError:
                addresses = []
            if not addresses:
                problems.append(
                    tn(
                        "owner {owner!r} ({n} customer): {cell!r} is not an email address; "
                        "no brief sent to them",
                        "owner {owner!r} ({n} customers): {cell!r} is not an email address; "
                        "no brief sent to them",
                        count,
                        lang,
                        owner=name,
                        cell=cell,
                    )
                )
                continue
            briefs.append(Brief(f"owner:{key}", tuple(addresses), name, count))
        unowned = int(present.isna().sum())
        if unowned:
            notes.append(
                tn(
                    "{n} customer has no owner and is in no per-owner brief",
                    "{n} customers have no owner and are in no per-owner brief",
                    unowned,
                    lang,
                )
            )
        idle = sorted(name for key, (name, _) in table.items() if key not in counts.index)
        if idle:
            notes.append(
                t("owners without customers get no brief: {owners}", lang, owners=", ".join(idle))
            )
        if not counts.size:
            problems.append(
                t(
                    "--per-owner: no customer has an owner "
                    "(add an owner column to the Customers sheet)",
                    lang,
                )
            )
        elif not table:
            notes.append(
                t(
                    "the Settings sheet has no Owners table (columns owner and email) "
                    "to take owner addresses from",
                    lang,
                )
            )
    return BriefPlan(tuple(briefs), tuple(problems), tuple(notes))


@dataclass(frozen=True)
class Batch:
    """Messages ready to send or save, with the id their journal is kept under."""

    batch_id: str
    plan: BriefPlan
    messages: tuple[EmailMessage, ...]


def batch_id_for(*, content_digest: str, as_of: dt.date | pd.Timestamp, lang: str) -> str:
    """The batch a run belongs to: same data, as_of and language, same batch.

    Recipients are tracked one by one inside the batch's journal (per brief,
    per address), so adding an owner's address to the Owners table or another
    ``--to`` address keeps the batch: ``resume`` then sends just the new ones.
    """
    return make_batch_id(content_digest, f"{pd.Timestamp(as_of):%Y-%m-%d}", lang)


def content_digest(data: WorkbookData) -> str:
    """SHA-256 of what the brief is made from: orders, customers, activities, settings.

    ``data`` is a :class:`xlcrm.xlsx.reader.WorkbookData` (or anything with those
    attributes). The Owners table and SMTP rows are left out on purpose (see
    :func:`batch_id_for`); so are cell styles and other sheets.
    """
    digest = hashlib.sha256()
    for name in ("orders", "customers", "activities"):
        frame = getattr(data, name, None)
        digest.update(name.encode())
        if frame is None:
            continue
        digest.update(repr(list(frame.columns)).encode())
        try:
            hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
            digest.update(hashed.tobytes())
        except TypeError:  # unhashable cells: fall back to their text
            digest.update(frame.astype(str).to_csv(index=False).encode())
    digest.update(repr(getattr(data, "settings", None)).encode())
    return digest.hexdigest()


def prepare_batch(
    analysis: Analysis,
    plan: BriefPlan,
    *,
    digest: str,
    lang: str,
    sender: str | None = None,
    company: str | None = None,
    render_pdf: Callable[..., bytes] | None = None,
    summarize: Callable[..., Mapping[str, object]] | None = None,
) -> Batch:
    """Render one PDF per planned brief and build its message.

    Parameters
    ----------
    analysis
        From :func:`xlcrm.core.analysis.analyze`.
    plan
        From :func:`plan_briefs`.
    digest
        :func:`content_digest` of the workbook data (part of the batch id).
    render_pdf, summarize
        Default :func:`xlcrm.report.render_pdf` and
        :func:`xlcrm.core.analysis.summary`; tests may pass stand-ins.
    """
    if render_pdf is None:
        from xlcrm import report

        render_pdf = report.render_pdf
    if summarize is None:
        summarize = core.summary
    settings = analysis.settings
    company = company if company is not None else (settings.company or None)
    as_of = pd.Timestamp(analysis.as_of)
    batch_id = batch_id_for(content_digest=digest, as_of=as_of, lang=lang)
    messages = []
    for brief in plan.briefs:
        pdf = render_pdf(analysis, lang=lang, owner=brief.owner, company=company)
        messages.append(
            build_message(
                to=brief.to,
                as_of=as_of,
                summary=summarize(analysis, owner=brief.owner),
                followups=followups_due(
                    with_insights(analysis),
                    as_of=as_of,
                    owner=brief.owner,
                    settings=settings,
                    lang=lang,
                ),
                pdf=pdf,
                lang=lang,
                sender=sender,
                owner=brief.owner,
                company=company,
                currency=settings.money.symbol,
                urgent_days=settings.urgent_days,
                message_id=make_message_id(batch_id, brief.key, sender),
            )
        )
    return Batch(batch_id, plan, tuple(messages))


def sent_before(
    batch_id: str, plan: BriefPlan, sender: str | None, path: str | os.PathLike[str]
) -> dict[str, list[str]]:
    """``{brief key: recipients already delivered}`` from a batch's journal."""
    journal = read_journal(Path(path))
    return {
        brief.key: journal.get(make_message_id(batch_id, brief.key, sender), [])
        for brief in plan.briefs
    }
