"""Build and send the brief by email: SMTP or ``.eml`` drafts.

One module per job:

- :mod:`~xlcrm.mail.plan`: who gets which brief (:func:`plan_briefs`), and the
  batch of messages (:func:`prepare_batch`);
- :mod:`~xlcrm.mail.message`: one :class:`~email.message.EmailMessage` with a
  plain-text and an HTML body and the PDF attached (:func:`build_message`;
  pure: no clock, no network, no files); the body's words in
  :mod:`~xlcrm.mail.body` (HTML from ``templates/mail.html``);
- :mod:`~xlcrm.mail.send`: a batch over one SMTP connection
  (:func:`send_batch`), never raising for a delivery problem;
- :mod:`~xlcrm.mail.journal`: which recipients already have each message,
  so that ``resume`` sends only the rest;
- :mod:`~xlcrm.mail.drafts`: ``.eml`` drafts (:func:`write_eml`);
- :mod:`~xlcrm.mail.config`: the SMTP settings (:class:`SmtpConfig`);
- :mod:`~xlcrm.mail.addresses`: parsing addresses.

User text (customer and owner names) is never interpreted: it is escaped in
the HTML body and kept literal in the plain-text body, so a name such as
``=HYPERLINK("http://x","y")`` shows as exactly that.
"""

from __future__ import annotations

from xlcrm.mail.addresses import envelope_recipients, is_address, parse_addresses
from xlcrm.mail.body import FollowUp, followups_due, key_figures
from xlcrm.mail.config import PASSWORD_ENV, SmtpConfig, sheet_recipients
from xlcrm.mail.drafts import write_eml
from xlcrm.mail.journal import journal_path, state_dir
from xlcrm.mail.message import brief_filename, build_message, make_message_id
from xlcrm.mail.plan import (
    Batch,
    Brief,
    BriefPlan,
    batch_id_for,
    content_digest,
    owner_addresses,
    plan_briefs,
    prepare_batch,
    sent_before,
)
from xlcrm.mail.send import BatchResult, Delivery, open_connection, send_batch

__all__ = [
    "PASSWORD_ENV",
    "Batch",
    "BatchResult",
    "Brief",
    "BriefPlan",
    "Delivery",
    "FollowUp",
    "SmtpConfig",
    "batch_id_for",
    "brief_filename",
    "build_message",
    "content_digest",
    "envelope_recipients",
    "followups_due",
    "is_address",
    "journal_path",
    "key_figures",
    "make_message_id",
    "open_connection",
    "owner_addresses",
    "parse_addresses",
    "plan_briefs",
    "prepare_batch",
    "send_batch",
    "sent_before",
    "sheet_recipients",
    "state_dir",
    "write_eml",
]
