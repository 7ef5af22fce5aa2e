"""The sales funnel: how many deals reach each stage, convert, win, and get stuck.

:func:`build_funnel` reads the Deals sheet (and, optionally, a stage history
with one row per stage change) as of one day and returns a :class:`Funnel`:

- per deal: its status on ``as_of``, the furthest stage it reached, whether
  it was reopened, how long it has been in its stage and whether it is stuck;
- per stage, for the team and for each owner: deals and amount that reached
  it, conversion to the next stage, deals lost there, median days in it;
- per owner and for the team: win rate, won amount, stuck and reopened deals.

Rules (also in ``docs/definitions.md``):

- A deal at a later stage has reached every earlier one, even one it skipped.
  A won deal has reached every stage; a lost deal reached the stage it was
  lost at (its last stage), not the ones after it.
- With a history, the stage on ``as_of`` is the stage of the latest history
  row on or before it when the deal has rows after ``as_of``; otherwise the
  Deals sheet's stage (the sheet describes the present). Reached is the
  furthest stage of either.
- A deal is reopened when its status says so, or its history has a stage
  row after a lost one. It counts once, with the furthest stage it reached.
- Status comes from the Deals sheet; a deal closed after ``as_of`` was open
  on ``as_of`` (and, without a history, not yet at the won stage). Without a
  status, a deal at the won stage is won, one with a closed date is lost,
  and the rest are open.
- Days in a stage come from the history only: from the row that entered the
  stage to the next row of the deal (or the closed date). A stay that has
  not ended yet is not counted; skipped stages have none.
- A deal is stuck when it is open and has been in its stage more than
  ``stuck_days`` days: since its latest history row on or before ``as_of``,
  else since it was created.

Problems (unknown stage or status words, duplicate deal ids, history rows of
unknown deals) are returned as :attr:`Funnel.issues`, one row per cell, for
the Data quality sheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from xlcrm.core.issues import concat_issues, empty_issues, issue_rows, source_rows
from xlcrm.core.owners import owner_keys, owner_spellings
from xlcrm.core.rfm import (
    NO_DAY,
    customer_ids,
    day_number,
    loose_days,
    optional_column,
    to_timestamp,
)
from xlcrm.core.schema import DEAL_COLUMNS, HISTORY_COLUMNS  # the Deals sheets' columns
from xlcrm.core.stages import DEFAULT_STAGES, Stage, match_stages, match_status

__all__ = [
    "DEAL_COLUMNS",
    "HISTORY_COLUMNS",
    "STAGE_COLUMNS",
    "SUMMARY_COLUMNS",
    "Funnel",
    "build_funnel",
    "open_deal_close",
]

#: Columns of :attr:`Funnel.stages`.
STAGE_COLUMNS: Final = (
    "owner",
    "stage",
    "phase",
    "reached",
    "amount",
    "conversion",
    "open",
    "lost",
    "median_days",
)
#: Columns of :attr:`Funnel.summary`.
SUMMARY_COLUMNS: Final = (
    "owner",
    "deals",
    "open",
    "won",
    "lost",
    "win_rate",
    "won_amount",
    "open_amount",
    "stuck",
    "reopened",
    "no_amount",
    "median_days_to_win",
)

_NONE: Final = NO_DAY


@dataclass(frozen=True)
class Funnel:
    """The result of :func:`build_funnel`.

    Attributes
    ----------
    stages
        The funnel's :class:`~xlcrm.core.stages.Stage` list, in order.
    deals
        One row per deal on ``as_of``: ``deal_id``, ``customer_id``,
        ``owner``, ``amount`` (NaN when not given), ``created``,
        ``expected_close``, ``closed``, ``status`` (open/won/lost), ``stage``
        (code of the stage on ``as_of``), ``reached`` (position of the
        furthest stage reached), ``lost_at`` (stage code of a lost deal),
        ``lost_reason``, ``reopened``, ``stage_since``, ``days_in_stage``
        (open deals), ``stuck``.
    stages_table
        Per owner (None: the team) and stage (:data:`STAGE_COLUMNS`):
        ``reached`` deals, their ``amount``, ``conversion`` to the next stage
        (NaN for the last stage or when none reached this one), deals
        ``open`` in it now, deals ``lost`` there, ``median_days`` in it.
    summary
        Per owner (None: the team first) (:data:`SUMMARY_COLUMNS`).
    history
        Whether a stage history was given (days per stage need one).
    stuck_days
        The limit used for ``stuck``.
    issues
        Rows for the Data quality list (:data:`ISSUE_COLUMNS`).
    """

    stages: tuple[Stage, ...]
    deals: pd.DataFrame
    stages_table: pd.DataFrame
    summary: pd.DataFrame
    history: bool
    stuck_days: int
    issues: pd.DataFrame = field(default_factory=empty_issues)

    def team(self) -> pd.DataFrame:
        """The team's rows of :attr:`stages_table`."""
        return self.stages_table[self.stages_table["owner"].isna()].reset_index(drop=True)


# --- reading the inputs ---------------------------------------------------------


def _dates(days: np.ndarray, valid: np.ndarray) -> np.ndarray:
    out = np.where(valid, days, 0).astype("datetime64[D]").astype("datetime64[ns]")
    out[~valid] = np.datetime64("NaT")
    return out


@dataclass
class _Deals:
    """The Deals sheet, one row per deal, aligned arrays."""

    frame: pd.DataFrame
    ids: pd.Index
    sheet_stage: np.ndarray  # position in stages, -1 unknown/blank
    stage_status: np.ndarray  # status word written in the stage column
    status: np.ndarray  # status word of the status column
    created: np.ndarray
    has_created: np.ndarray
    closed: np.ndarray
    has_closed: np.ndarray
    issues: list[pd.DataFrame]


def _read_deals(deals: pd.DataFrame, stages: Sequence[Stage], as_of_day: int) -> _Deals:
    issues: list[pd.DataFrame] = []
    frame = deals.reset_index(drop=True)
    rows = source_rows(frame)
    ids = customer_ids(optional_column(frame, "deal_id")).astype(object)
    missing_id = ids.isna().to_numpy()
    # a deal without an id is its own deal (its row); a repeated id is listed and left out
    ids = ids.where(~missing_id, pd.Series([f"#{i}" for i in range(len(frame))], dtype=object))
    dup = ids.duplicated().to_numpy() & ~missing_id
    if dup.any():
        issues.append(
            issue_rows("deals", rows[dup], "deal_id", ids[dup], "duplicate_deal", left_out=True)
        )
    created, has_created = loose_days(optional_column(frame, "created"))
    keep = ~dup & ~(has_created & (created > as_of_day))
    position, stage_status = match_stages(optional_column(frame, "stage"), stages)
    # "deal_status" is the same column under the Customers sheet's name
    status_name = "status" if "status" in frame.columns else "deal_status"
    status = match_status(optional_column(frame, status_name))
    stage_text = optional_column(frame, "stage")
    written = stage_text.notna().to_numpy() & (stage_text.astype(str).str.strip() != "").to_numpy()
    unknown_stage = keep & written & (position < 0) & pd.isna(stage_status)
    if unknown_stage.any():
        issues.append(
            issue_rows(
                "deals",
                rows[unknown_stage],
                "stage",
                stage_text[unknown_stage],
                "unknown_stage",
                left_out=False,
            )
        )
    status_text = optional_column(frame, status_name)
    status_written = (
        status_text.notna().to_numpy() & (status_text.astype(str).str.strip() != "").to_numpy()
    )
    unknown_status = keep & status_written & pd.isna(status)
    if unknown_status.any():
        issues.append(
            issue_rows(
                "deals",
                rows[unknown_status],
                "status",
                status_text[unknown_status],
                "unknown_status",
                left_out=False,
            )
        )
    closed, has_closed = loose_days(optional_column(frame, "closed"))
    frame = frame.loc[keep].reset_index(drop=True)
    return _Deals(
        frame=frame,
        ids=pd.Index(ids[keep].to_numpy(dtype=object)),
        sheet_stage=position[keep],
        stage_status=stage_status[keep],
        status=status[keep],
        created=created[keep],
        has_created=has_created[keep],
        closed=closed[keep],
        has_closed=has_closed[keep],
        issues=issues,
    )


@dataclass
class _Events:
    """History rows of known deals on or before as_of, sorted by deal, day, row."""

    deal: np.ndarray
    day: np.ndarray
    stage: np.ndarray  # position, -1 for a status row
    status: np.ndarray  # "lost", "won", "reopened" or None
    after: np.ndarray  # per deal: has rows after as_of
    issues: list[pd.DataFrame]


def _read_history(
    history: pd.DataFrame | None, deal_ids: pd.Index, stages: Sequence[Stage], as_of_day: int
) -> _Events | None:
    if history is None or history.empty:
        return None
    frame = history.reset_index(drop=True)
    rows = source_rows(frame)
    issues: list[pd.DataFrame] = []
    ids = customer_ids(optional_column(frame, "deal_id")).astype(object)
    deal = deal_ids.get_indexer(pd.Index(ids.to_numpy(dtype=object)))
    unknown = (deal < 0) & ids.notna().to_numpy()
    if unknown.any():
        issues.append(
            issue_rows(
                "stage_history",
                rows[unknown],
                "deal_id",
                ids[unknown],
                "unknown_deal",
                left_out=True,
            )
        )
    day, dated = loose_days(optional_column(frame, "date"))
    stage, status = match_stages(optional_column(frame, "stage"), stages)
    bad_stage = (deal >= 0) & (stage < 0) & pd.isna(status)
    stage_text = optional_column(frame, "stage")
    if bad_stage.any():
        issues.append(
            issue_rows(
                "stage_history",
                rows[bad_stage],
                "stage",
                stage_text[bad_stage],
                "unknown_history_stage",
                left_out=True,
            )
        )
    won = status == "won"
    stage = np.where(won, len(stages) - 1, stage)  # "won" in the history: the won stage
    status = np.asarray(status, dtype=object).copy()
    status[won] = None
    usable = (deal >= 0) & dated & ~bad_stage & ((stage >= 0) | pd.notna(status))
    after = np.zeros(len(deal_ids), dtype=bool)
    after[deal[usable & (day > as_of_day)]] = True
    keep = usable & (day <= as_of_day)
    order = np.lexsort((np.arange(len(frame))[keep], day[keep], deal[keep]))
    return _Events(
        deal=deal[keep][order],
        day=day[keep][order],
        stage=stage[keep][order],
        status=np.asarray(status, dtype=object)[keep][order],
        after=after,
        issues=issues,
    )


# --- per deal -----------------------------------------------------------------------


def _last_per_deal(deal: np.ndarray, n: int) -> np.ndarray:
    """Index of each deal's last event in a deal-sorted event list (-1 when none)."""
    last = np.full(n, -1, dtype=np.int64)
    last[deal] = np.arange(len(deal))  # later indices overwrite earlier ones
    return last


def _deal_states(d: _Deals, ev: _Events | None, n_stages: int, as_of_day: int) -> dict[str, Any]:
    n = len(d.ids)
    final = n_stages - 1
    closed_later = d.has_closed & (d.closed > as_of_day)
    status = np.asarray(d.status, dtype=object).copy()
    reopened = status == "reopened"
    status[reopened] = "open"
    sheet_stage = d.sheet_stage.copy()
    # a status word in the stage column ("lost", "won") stands for the status
    status = np.where(pd.isna(status), d.stage_status, status)
    status = np.where(status == "reopened", "open", status)
    reopened |= d.stage_status == "reopened"
    sheet_stage = np.where((d.stage_status == "won") & (sheet_stage < 0), final, sheet_stage)
    no_status = pd.isna(status)
    inferred = np.select(
        [sheet_stage == final, d.has_closed & (d.closed <= as_of_day)], ["won", "lost"], "open"
    )
    status = np.where(no_status, inferred, status).astype(object)
    status = np.where(closed_later, "open", status).astype(object)

    hist_reached = np.full(n, -1, dtype=np.int64)
    hist_current = np.full(n, -1, dtype=np.int64)
    since = np.where(d.has_created, d.created, _NONE)
    has_history = np.zeros(n, dtype=bool)
    stays = pd.DataFrame({"deal": [], "stage": [], "days": []})
    if ev is not None and len(ev.deal):
        has_history[ev.deal] = True
        is_stage = ev.stage >= 0
        np.maximum.at(hist_reached, ev.deal[is_stage], ev.stage[is_stage])
        last_stage = _last_per_deal(ev.deal[is_stage], n)
        has_stage = last_stage >= 0
        hist_current[has_stage] = ev.stage[is_stage][last_stage[has_stage]]
        last_any = _last_per_deal(ev.deal, n)
        since = np.where(last_any >= 0, ev.day[np.maximum(last_any, 0)], since)
        # reopened: a stage row after a lost row of the same deal
        lost_day = np.full(n, np.iinfo(np.int64).max)
        lost_rows = ev.status == "lost"
        np.minimum.at(lost_day, ev.deal[lost_rows], ev.day[lost_rows])
        later_stage = is_stage & (ev.day > lost_day[ev.deal])
        reopened[ev.deal[later_stage]] = True
        reopened[ev.deal[ev.status == "reopened"]] = True
        stays = _stays(ev, status, d, n_stages)
    # the stage on as_of: the sheet's, unless the history goes on after as_of
    use_history = has_history & (ev.after if ev is not None else False) | (sheet_stage < 0)
    current = np.where(use_history & (hist_current >= 0), hist_current, sheet_stage)
    no_history_later = ~has_history & closed_later
    current = np.where(no_history_later & (current == final), final - 1, current)
    current = np.where(status == "won", final, current)
    lost_at_final = (status == "lost") & (current == final)
    current = np.where(lost_at_final, final - 1, current)
    reached = np.maximum(current, hist_reached)
    reached = np.where(status == "won", final, reached)
    reached = np.where((status != "won") & (reached == final), final - 1, reached)
    # a deal without any stage reached the first one (it is in the funnel)
    reached = np.maximum(reached, 0)
    current = np.where(current < 0, reached, current)
    return {
        "status": status,
        "current": current,
        "reached": reached,
        "reopened": reopened,
        "since": since,
        "has_history": has_history,
        "stays": stays,
        "lost_at_final": lost_at_final,
    }


def _stays(ev: _Events, status: np.ndarray, d: _Deals, n_stages: int) -> pd.DataFrame:
    """Completed stays: (deal, stage, days) summed per deal and stage."""
    same_next = np.r_[ev.deal[1:] == ev.deal[:-1], False]
    next_day = np.r_[ev.day[1:], 0]
    closed_deal = np.isin(status, ("won", "lost"))[ev.deal] & d.has_closed[ev.deal]
    end = np.where(same_next, next_day, np.where(closed_deal, d.closed[ev.deal], _NONE))
    ended = (end != _NONE) & (end >= ev.day)
    stage_rows = (ev.stage >= 0) & (ev.stage < n_stages - 1) & ended
    frame = pd.DataFrame(
        {
            "deal": ev.deal[stage_rows],
            "stage": ev.stage[stage_rows],
            "days": (end - ev.day)[stage_rows],
        }
    )
    summed: pd.DataFrame = frame.groupby(["deal", "stage"], as_index=False, sort=True)[
        ["days"]
    ].sum()
    return summed


# --- per stage ------------------------------------------------------------------------


def build_funnel(
    deals: pd.DataFrame,
    history: pd.DataFrame | None = None,
    *,
    as_of: Any,
    stages: Sequence[Stage] = DEFAULT_STAGES,
    stuck_days: int = 30,
    customer_owner: pd.Series | None = None,
) -> Funnel:
    """The funnel on ``as_of`` (see the module docstring for every rule).

    Parameters
    ----------
    deals
        Columns of :data:`DEAL_COLUMNS` (all but ``deal_id`` and ``stage``
        optional) and ``row`` (the Excel row, for issues). Deals created
        after ``as_of`` are left out.
    history
        ``deal_id``, ``stage``, ``date`` (and ``row``): one row per change
        of stage. The stage may also be a status word (lost, won, reopened).
    as_of
        The day of the funnel.
    stages
        The stages in order (:func:`~xlcrm.core.stages.parse_stages`).
    stuck_days
        An open deal longer than this in its stage is stuck.
    customer_owner
        Owner by customer id, for deals without an owner of their own.
    """
    if len(stages) < 2:
        raise ValueError("a funnel needs at least two stages")
    as_of_day = day_number(to_timestamp(as_of))
    d = _read_deals(deals, stages, as_of_day)
    ev = _read_history(history, d.ids, stages, as_of_day)
    n_stages = len(stages)
    states = _deal_states(d, ev, n_stages, as_of_day)
    issues = list(d.issues) + (ev.issues if ev is not None else [])
    frame = d.frame
    if states["lost_at_final"].any():
        rows = source_rows(frame)[states["lost_at_final"]]
        issues.append(
            issue_rows(
                "deals",
                rows,
                "stage",
                optional_column(frame, "stage")[states["lost_at_final"]],
                "lost_at_won_stage",
                left_out=False,
            )
        )

    amount = pd.to_numeric(optional_column(frame, "amount"), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    cents = np.round(np.nan_to_num(amount, nan=0.0) * 100).astype(np.int64)
    owner = optional_column(frame, "owner").astype(object)
    customer = customer_ids(optional_column(frame, "customer_id")).astype(object)
    if customer_owner is not None and len(customer_owner):
        lookup = customer_owner.copy()
        lookup.index = customer_ids(pd.Series(lookup.index, dtype=object)).to_numpy(dtype=object)
        lookup = lookup[~lookup.index.duplicated()]
        from_customer = customer.map(lookup)
        owner = owner.where(owner_keys(owner).notna(), from_customer)
    keys = owner_keys(owner)
    spelling = owner_spellings(owner)
    owner_codes, owner_list = pd.factorize(keys, sort=True)
    n_owners = len(owner_list)
    # group 0 is the team, 1.. the owners; deals without an owner count for the team only
    with_owner = owner_codes >= 0

    status = states["status"]
    stage_codes = np.array([s.code for s in stages], dtype=object)
    days_in = np.where(
        (status == "open") & (states["since"] != _NONE), as_of_day - states["since"], -1
    )
    stuck = (status == "open") & (days_in > stuck_days)
    since_valid = states["since"] != _NONE
    deals_out = pd.DataFrame(
        {
            "deal_id": pd.Series(d.ids.to_numpy(dtype=object), dtype=object),
            "customer_id": customer,
            "owner": owner.where(keys.notna(), None).astype(object),
            "amount": amount,
            "created": _dates(d.created, d.has_created),
            "expected_close": pd.to_datetime(
                optional_column(frame, "expected_close"), errors="coerce"
            ).to_numpy(dtype="datetime64[ns]"),
            "closed": _dates(d.closed, d.has_closed & (d.closed <= as_of_day)),
            "status": pd.Series(status, dtype=object),
            "stage": stage_codes[states["current"]],
            "reached": states["reached"].astype(np.int64),
            "lost_at": np.where(status == "lost", stage_codes[states["current"]], None),
            "lost_reason": optional_column(frame, "lost_reason").astype(object),
            "reopened": states["reopened"].astype(bool),
            "stage_since": _dates(states["since"], since_valid),
            "days_in_stage": pd.array(np.where(days_in >= 0, days_in, 0), dtype="Int64"),
            "stuck": stuck,
        }
    )
    deals_out.loc[days_in < 0, "days_in_stage"] = pd.NA

    # the team is group 0, each owner g + 1; build the tables on the doubled list
    team_group = np.zeros(len(frame), dtype=np.int64)
    owner_group = owner_codes[with_owner] + 1
    group = np.r_[team_group, owner_group]
    both = np.r_[np.arange(len(frame)), np.flatnonzero(with_owner)]

    def pick(values: np.ndarray) -> np.ndarray:
        return np.asarray(values)[both]

    doubled = {
        "status": pick(status),
        "current": pick(states["current"]),
        "reached": pick(states["reached"]),
    }
    stays = states["stays"]
    if len(stays):
        deal_group = pd.DataFrame({"deal": both, "group": group})
        stays = stays.merge(deal_group, on="deal")
        doubled_stays = stays
    else:
        doubled_stays = pd.DataFrame({"deal": [], "stage": [], "days": [], "group": []})
    table = _tables(group, n_owners + 1, doubled, pick(cents), n_stages, doubled_stays)
    owner_names = [None, *(spelling.get(k, k) for k in owner_list)]
    stage_rows = []
    for g, name in enumerate(owner_names):
        reached_count = table["reached"][g]
        with np.errstate(invalid="ignore", divide="ignore"):
            conversion = np.r_[reached_count[1:] / reached_count[:-1], np.nan]
        conversion[np.r_[reached_count[:-1] == 0, True]] = np.nan
        stage_rows.append(
            pd.DataFrame(
                {
                    "owner": [name] * n_stages,
                    "stage": stage_codes,
                    "phase": [s.phase for s in stages],
                    "reached": reached_count,
                    "amount": table["cents"][g] / 100,
                    "conversion": conversion,
                    "open": table["open"][g],
                    "lost": table["lost"][g],
                    "median_days": table["median"][g],
                }
            )
        )
    summary = _summary(group, n_owners + 1, owner_names, both, deals_out, cents, d, as_of_day)
    issues_frame = concat_issues(issues)
    return Funnel(
        stages=tuple(stages),
        deals=deals_out,
        stages_table=pd.concat(stage_rows, ignore_index=True),
        summary=summary,
        history=ev is not None,
        stuck_days=stuck_days,
        issues=issues_frame,
    )


def _tables(
    group: np.ndarray,
    n_groups: int,
    states: dict[str, np.ndarray],
    cents: np.ndarray,
    n_stages: int,
    stays: pd.DataFrame,
) -> dict[str, np.ndarray]:
    reached = states["reached"]
    hit = np.zeros((n_groups, n_stages), dtype=np.int64)
    np.add.at(hit, (group, reached), 1)
    money = np.zeros((n_groups, n_stages), dtype=np.int64)
    np.add.at(money, (group, reached), cents)
    status = states["status"]
    open_here = np.zeros((n_groups, n_stages), dtype=np.int64)
    is_open = status == "open"
    np.add.at(open_here, (group[is_open], states["current"][is_open]), 1)
    lost_here = np.zeros((n_groups, n_stages), dtype=np.int64)
    is_lost = status == "lost"
    np.add.at(lost_here, (group[is_lost], states["current"][is_lost]), 1)
    median = np.full((n_groups, n_stages), np.nan)
    if len(stays):
        med = stays.groupby(["group", "stage"])["days"].median()
        g = med.index.get_level_values(0).to_numpy(dtype=np.int64)
        s = med.index.get_level_values(1).to_numpy(dtype=np.int64)
        median[g, s] = med.to_numpy(dtype=np.float64)
    return {
        # a deal that reached a stage reached every earlier one: count from the end
        "reached": np.cumsum(hit[:, ::-1], axis=1)[:, ::-1],
        "cents": np.cumsum(money[:, ::-1], axis=1)[:, ::-1],
        "open": open_here,
        "lost": lost_here,
        "median": median,
    }


def _summary(
    group: np.ndarray,
    n_groups: int,
    names: list[Any],
    both: np.ndarray,
    deals: pd.DataFrame,
    cents: np.ndarray,
    d: _Deals,
    as_of_day: int,
) -> pd.DataFrame:
    status = deals["status"].to_numpy(dtype=object)[both]
    amount_known = ~np.isnan(deals["amount"].to_numpy(dtype=np.float64))[both]
    c = cents[both]

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(group[mask], minlength=n_groups).astype(np.int64)

    def money(mask: np.ndarray) -> np.ndarray:
        return (
            np.bincount(group[mask], weights=c[mask], minlength=n_groups).round().astype(np.int64)
        )

    won = count(status == "won")
    lost = count(status == "lost")
    with np.errstate(invalid="ignore", divide="ignore"):
        win_rate = np.where(won + lost > 0, won / np.maximum(won + lost, 1), np.nan)
    # days from created to closed of won deals, per group
    created = d.created[both]
    closed = d.closed[both]
    win_days_ok = (status == "won") & d.has_created[both] & d.has_closed[both] & (closed >= created)
    cycle = pd.Series((closed - created)[win_days_ok].astype(np.float64))
    med = cycle.groupby(group[win_days_ok]).median()
    median_win = np.full(n_groups, np.nan)
    median_win[med.index.to_numpy(dtype=np.int64)] = med.to_numpy()
    return pd.DataFrame(
        {
            "owner": names,
            "deals": count(np.ones(len(both), dtype=bool)),
            "open": count(status == "open"),
            "won": won,
            "lost": lost,
            "win_rate": win_rate,
            "won_amount": money(status == "won") / 100,
            "open_amount": money(status == "open") / 100,
            "stuck": count(deals["stuck"].to_numpy(dtype=bool)[both]),
            "reopened": count(deals["reopened"].to_numpy(dtype=bool)[both]),
            "no_amount": count(~amount_known),
            "median_days_to_win": median_win,
        }
    )


def open_deal_close(funnel: Funnel, ids: pd.Index, *, as_of: Any) -> np.ndarray:
    """Per customer in ``ids``: the nearest expected close of its open deals
    (the earliest on or after ``as_of``; when all have passed, the latest),
    NaT without an open deal with an expected close."""
    as_of_day = day_number(to_timestamp(as_of))
    deals = funnel.deals
    open_ = (deals["status"] == "open").to_numpy()
    where = ids.get_indexer(pd.Index(deals["customer_id"].to_numpy(dtype=object)))
    day, valid = loose_days(deals["expected_close"])
    keep = open_ & valid & (where >= 0)
    where, day = where[keep], day[keep]
    n = len(ids)
    ahead = day >= as_of_day
    big = np.iinfo(np.int64).max
    soonest = np.full(n, big)
    np.minimum.at(soonest, where[ahead], day[ahead])
    latest = np.full(n, _NONE)
    np.maximum.at(latest, where[~ahead], day[~ahead])
    has_ahead = soonest < big
    return _dates(np.where(has_ahead, soonest, latest), has_ahead | (latest > _NONE))
