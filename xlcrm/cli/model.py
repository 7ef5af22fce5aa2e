"""``xlcrm model``: the value model's fit, its parameters and holdout check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from xlcrm.locale import t

if TYPE_CHECKING:
    pass
from xlcrm.cli.base import (
    AS_OF_OPTION,
    LANG_OPTION,
    cli,
    console,
)


@cli.command("model")
@click.argument("book", type=click.Path(exists=True, dir_okay=False))
@AS_OF_OPTION
@click.option(
    "--holdout-end",
    "holdout_end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Also check the model on the orders after --as-of up to this date, YYYY-MM-DD.",
)
@LANG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def model_command(book: str, as_of: Any, holdout_end: Any, lang: str | None, as_json: bool) -> None:
    """Fit the value model (BG/NBD and Gamma-Gamma) on BOOK's orders up to --as-of.

    Prints the fitted parameters (time unit: weeks), the log-likelihoods and,
    with --holdout-end, the repeat purchase days the model predicts week by
    week after --as-of against those that happened. The model is fitted even
    when the Settings sheet turns it off.

    \b
    Example:
      xlcrm model shop.xlsx
      xlcrm model shop.xlsx --as-of 2025-03-31 --holdout-end 2025-06-30
      xlcrm model shop.xlsx --json
    """
    import datetime as dt
    import json
    from pathlib import Path

    from xlcrm.core import value, value_check
    from xlcrm.core.errors import SettingsError
    from xlcrm.core.rfm import prepare_orders, to_timestamp
    from xlcrm.locale import N_
    from xlcrm.xlsx.reader import read_workbook

    source = Path(book)
    data = read_workbook(source, lang=lang or "en")
    lang = lang or data.settings.language or "en"
    stamp = to_timestamp(as_of or data.as_of or dt.date.today())
    check = None
    if holdout_end is not None:
        end = to_timestamp(holdout_end)
        if end <= stamp:
            raise SettingsError(
                N_("--holdout-end {end} must come after the analysis date {as_of}"),
                args={"end": end.date().isoformat(), "as_of": stamp.date().isoformat()},
            )
        book_ = prepare_orders(data.orders, as_of=end)
        check = value_check.holdout_check(book_, calibration_end=stamp)
        model = check.model
    else:
        model = value.fit_value_model(
            value.inputs_from_book(prepare_orders(data.orders, as_of=stamp))
        )
    result = model_report(model, check, as_of=stamp, lang=lang)
    if as_json:
        console.print(json.dumps(result, ensure_ascii=False, indent=2), markup=False)
        return
    for line in model_lines(result, lang):
        console.print(line, markup=False)


def model_report(model: Any, check: Any, *, as_of: Any, lang: str) -> dict[str, Any]:
    """The fitted value model as plain JSON-ready values."""
    from xlcrm.core import value

    bg, gg = model.bgnbd, model.gamma_gamma
    out: dict[str, Any] = {
        "as_of": as_of.date().isoformat(),
        "bgnbd": None,
        "gamma_gamma": None,
        "reason": model.reason,
        "reason_text": value.describe_reason(model.reason, lang),
    }
    if bg is not None:
        out["bgnbd"] = {
            "r": bg.r,
            "alpha": bg.alpha,
            "a": bg.a,
            "b": bg.b,
            "time_unit": value.TIME_UNIT,
            "log_likelihood": bg.log_likelihood,
            "customers": bg.n_customers,
        }
    if gg is not None:
        out["gamma_gamma"] = {
            "p": gg.p,
            "q": gg.q,
            "v": gg.v,
            "log_likelihood": gg.log_likelihood,
            "customers": gg.n_customers,
        }
    if check is not None:
        weeks = check.weeks
        out["holdout"] = {
            "calibration_end": check.calibration_end.date().isoformat(),
            "holdout_end": check.holdout_end.date().isoformat(),
            "weeks": [
                {
                    "week": int(row.week),
                    "end": row.end.date().isoformat(),
                    "predicted": float(row.predicted),
                    "actual": int(row.actual),
                    "predicted_cumulative": float(row.predicted_cumulative),
                    "actual_cumulative": int(row.actual_cumulative),
                }
                for row in weeks.itertuples(index=False)
            ],
        }
    return out


def model_lines(result: dict[str, Any], lang: str) -> list[str]:
    """:func:`model_report` as the lines ``xlcrm model`` prints."""

    lines = [t("Value model as of {date} (time unit: weeks)", lang, date=result["as_of"])]
    bg, gg = result["bgnbd"], result["gamma_gamma"]
    if bg is not None:
        lines.append(t("BG/NBD, repeat purchase days of {n:,} customers:", lang, n=bg["customers"]))
        weeks = t("weeks", lang)
        lines.append(
            f"  r = {bg['r']:.4f}   alpha = {bg['alpha']:.4f} ({weeks})"
            f"   a = {bg['a']:.4f}   b = {bg['b']:.4f}"
        )
        lines.append("  " + t("log-likelihood {ll:,.2f}", lang, ll=bg["log_likelihood"]))
    if gg is not None:
        lines.append(
            t("Gamma-Gamma, mean repeat spend of {n:,} customers:", lang, n=gg["customers"])
        )
        lines.append(f"  p = {gg['p']:.4f}   q = {gg['q']:.4f}   v = {gg['v']:.4f}")
        lines.append("  " + t("log-likelihood {ll:,.2f}", lang, ll=gg["log_likelihood"]))
    if result["reason_text"]:
        lines.append(t("Note: {reason}", lang, reason=result["reason_text"]))
    holdout = result.get("holdout")
    if holdout and holdout["weeks"]:
        lines.append(
            t(
                "Holdout {start} to {end}: repeat purchase days, predicted against actual",
                lang,
                start=holdout["calibration_end"],
                end=holdout["holdout_end"],
            )
        )
        head = (t("week", lang), t("ends", lang), t("predicted", lang), t("actual", lang))
        tail = (t("total predicted", lang), t("total actual", lang))
        lines.append(
            f"  {head[0]:>5}  {head[1]:<10}  {head[2]:>10}  {head[3]:>8}  "
            f"{tail[0]:>16}  {tail[1]:>13}"
        )
        for w in holdout["weeks"]:
            lines.append(
                f"  {w['week']:>5}  {w['end']:<10}  {w['predicted']:>10,.1f}  {w['actual']:>8,}  "
                f"{w['predicted_cumulative']:>16,.1f}  {w['actual_cumulative']:>13,}"
            )
    return lines
