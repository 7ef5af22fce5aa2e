"""xlcrm in xlwings Lite (Excel on the web, Mac and Windows, no local Python).

`xlcrm addin lite -o DIR` writes this module as DIR/main.py, preceded by the
xlcrm modules it needs (pure Python: numpy, pandas, openpyxl and
python-calamine come from Pyodide), and DIR/requirements.txt. Paste both into
the xlwings Lite editor: the code then lives in the workbook.

The worksheet functions are the add-in's (same names, arguments and results:
each one calls xlcrm.excel.udfs); the ribbon's buttons are scripts, run from
the xlwings Lite task pane. Not here: the PDF brief (WeasyPrint needs the
Pango library, which Pyodide does not have) and sending e-mail (Pyodide has
no sockets); use the add-in or `xlcrm report` / `xlcrm email` for those.
"""

import xlwings as xw
from xlwings import arg, func, script

from xlcrm.excel import actions, udfs
from xlcrm.excel.book import XlwingsBook

# --- worksheet functions: =RFM_CLASS(B2:B500,C2:C500,D2:D500) or per cell ---------


@func
@arg("recency", ndim=2)
@arg("frequency", ndim=2)
@arg("monetary", ndim=2)
def rfm_class(
    recency, frequency, monetary, r_cut=None, f_cut=None, m_cut=None, lang="en", method="mean"
):
    """RFM class (important value ... general win-back) from recency, frequency and monetary."""
    return udfs.rfm_class(recency, frequency, monetary, r_cut, f_cut, m_cut, lang, method)


@func
@arg("recency", ndim=2)
@arg("frequency", ndim=2)
@arg("monetary", ndim=2)
@arg("r_cuts", ndim=1)
@arg("f_cuts", ndim=1)
@arg("m_cuts", ndim=1)
def rfm_score(recency, frequency, monetary, r_cuts=None, f_cuts=None, m_cuts=None):
    """RFM score as three digits 1-5, e.g. 545 (R, F, M; 5 is best), by quintiles or cut points."""
    return udfs.rfm_score(recency, frequency, monetary, r_cuts, f_cuts, m_cuts)


@func
@arg("recency", ndim=2)
@arg("frequency", ndim=2)
@arg("monetary", ndim=2)
@arg("r_cuts", ndim=1)
@arg("f_cuts", ndim=1)
@arg("m_cuts", ndim=1)
def rfm_segment(recency, frequency, monetary, r_cuts=None, f_cuts=None, m_cuts=None, lang="en"):
    """Named RFM segment (champions, loyal, at risk ...) from recency, frequency and monetary."""
    return udfs.rfm_segment(recency, frequency, monetary, r_cuts, f_cuts, m_cuts, lang)


@func
@arg("frequency", ndim=2)
@arg("recency", ndim=2)
@arg("tenure", ndim=2)
@arg("active_windows", ndim=2)
def lifecycle_tier(
    frequency,
    recency,
    tenure=None,
    active_windows=None,
    lang="en",
    sleep_days=None,
    lost_days=None,
    mature_orders=None,
):
    """Lifecycle tier (potential, new, repeat, mature, loyal, sleeping, lost) of a customer."""
    return udfs.lifecycle_tier(
        frequency, recency, tenure, active_windows, lang, sleep_days, lost_days, mature_orders
    )


@func
@arg("recency", ndim=2)
@arg("frequency", ndim=2)
@arg("median_gap", ndim=2)
@arg("recent_events", ndim=2)
@arg("prior_events", ndim=2)
def churn_risk(
    recency,
    frequency,
    median_gap,
    recent_events=None,
    prior_events=None,
    lang="en",
    gap_factor=None,
    drop=None,
):
    """Churn warning in words (empty when none): a long gap or a drop in purchases and contacts."""
    return udfs.churn_risk(
        recency, frequency, median_gap, recent_events, prior_events, lang, gap_factor, drop
    )


@func(volatile=True)  # as_of defaults to today: recalculate every day
@arg("grade", ndim=2)
@arg("need_status", ndim=2)
@arg("deal_status", ndim=2)
@arg("expected_close", ndim=2)
def followup_grade(
    grade,
    need_status=None,
    deal_status=None,
    expected_close=None,
    as_of=None,
    a_days=None,
    b_days=None,
    c_days=None,
):
    """Customer grade A-E: the given grade, else from need, deal status and expected close."""
    return udfs.followup_grade(
        grade, need_status, deal_status, expected_close, as_of, a_days, b_days, c_days
    )


@func
@arg("grade", ndim=2)
def followup_cadence(grade, a_days=None, b_days=None, c_days=None, d_days=None, e_days=None):
    """Days between follow-ups for a grade A-E (A daily ... E yearly)."""
    return udfs.followup_cadence(grade, a_days, b_days, c_days, d_days, e_days)


@func(volatile=True)  # as_of defaults to today: recalculate every day
@arg("last_contact", ndim=2)
@arg("grade", ndim=2)
def next_followup(last_contact, grade, as_of=None):
    """Date of the next follow-up: last contact + the grade's cadence (today if never contacted)."""
    return udfs.next_followup(last_contact, grade, as_of)


@func
@arg("monetary", ndim=2)
def pareto_class(monetary, a_min=None, b_min=None):
    """ABC (Pareto) class: A makes the first 80 % of revenue, B the next 15 %, C the rest."""
    return udfs.pareto_class(monetary, a_min, b_min)


@func
@arg("repeat_days", ndim=2)
@arg("span_days", ndim=2)
@arg("age_days", ndim=2)
def p_alive(repeat_days, span_days, age_days, lang="en"):
    """Chance that each customer still buys (BG/NBD P(alive)), fitted on whole columns."""
    return udfs.p_alive(repeat_days, span_days, age_days, lang)


@func
@arg("repeat_days", ndim=2)
@arg("span_days", ndim=2)
@arg("age_days", ndim=2)
@arg("mean_repeat_spend", ndim=2)
@arg("margin_rate", ndim=2)
def customer_value(
    repeat_days, span_days, age_days, mean_repeat_spend, lang="en", margin_rate=None
):
    """Expected spend over the next 12 months, discounted 1 % a month (× margin_rate: margin)."""
    return udfs.customer_value(
        repeat_days, span_days, age_days, mean_repeat_spend, lang, margin_rate
    )


@func
@arg("satisfaction", ndim=2)
@arg("repurchase", ndim=2)
@arg("recommend", ndim=2)
def loyalty_level(satisfaction, repurchase, recommend, lang="en"):
    """Loyalty level (advocate, steady, at risk) from up to three indicators; names the missing."""
    return udfs.loyalty_level(satisfaction, repurchase, recommend, lang)


@func
@arg("share", ndim=2)
@arg("margin", ndim=2)
def relationship_level(
    share, margin, lang="en", few_share=None, many_share=None, low_margin=None, high_margin=None
):
    """Kotler's relationship level (basic ... partnership) from customer share and margin."""
    return udfs.relationship_level(
        share, margin, lang, few_share, many_share, low_margin, high_margin
    )


# --- the ribbon's buttons as scripts (xlwings Lite task pane) -----------------------


@script
def analyze(book: xw.Book):
    """Write the result sheets (RFM, Lifecycle, Follow-ups, Dashboard, Data quality)."""
    actions.analyze(XlwingsBook(book))


@script
def followup_plan(book: xw.Book):
    """Write the follow-up plan sheet."""
    actions.followup_plan(XlwingsBook(book))


@script
def dashboard(book: xw.Book):
    """Write the dashboard sheet."""
    actions.dashboard(XlwingsBook(book))


@script
def show_help(book: xw.Book):
    """Write the xlcrm help sheet."""
    actions.show_help(XlwingsBook(book))
