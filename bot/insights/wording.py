"""The insights' typed wording files: report.yaml and recap.yaml, loaded and validated once.

In a module of their own because links, the recap, the report and the warning-sign names all
read them: kept with any one of those, the others would import it (and so each other).
"""

from __future__ import annotations

import functools

from pydantic import BaseModel, ConfigDict, Field

from bot.base.content import load_model


class _Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChatWording(_Text):
    consent_needed: str = Field(min_length=1)
    bad_weeks: str = Field(min_length=1)
    nothing: str = Field(min_length=1)
    intro: str = Field(min_length=1)
    caption: str = Field(min_length=1, max_length=1024)


class PdfWording(_Text):
    title: str = Field(min_length=1)
    disclaimer: str = Field(min_length=1)
    person: str = Field(min_length=1)
    period: str = Field(min_length=1)
    pain_heading: str = Field(min_length=1)
    pain_average: str = Field(min_length=1)
    pain_none: str = Field(min_length=1)
    pain_axis: str = Field(min_length=1)
    pain_legend: str = Field(min_length=1)
    average_legend: str = Field(min_length=1)
    symptoms_heading: str = Field(min_length=1)
    foods_heading: str = Field(min_length=1)
    days_axis: str = Field(min_length=1)
    habits_heading: str = Field(min_length=1)
    stress_average: str = Field(min_length=1)
    sleep_average: str = Field(min_length=1)
    not_recorded: str = Field(min_length=1)
    stress_name: str = Field(min_length=1)
    sleep_name: str = Field(min_length=1)
    warnings_heading: str = Field(min_length=1)
    warnings_none: str = Field(min_length=1)
    warnings_more: str = Field(min_length=1)
    alerts_heading: str = Field(min_length=1)
    alert_line: str = Field(min_length=1)
    stool_name: str = Field(min_length=1)
    stool_line: str = Field(min_length=1)
    stool_type: str = Field(min_length=1)
    stool_none: str = Field(min_length=1)
    medicines_line: str = Field(min_length=1)
    medicine_item: str = Field(min_length=1)
    medicines_none: str = Field(min_length=1)
    experiment_line: str = Field(min_length=1)
    verdicts: dict[str, str]
    patterns_heading: str = Field(min_length=1)
    footer: str = Field(min_length=1)


class ReportWording(_Text):
    chat: ChatWording
    pdf: PdfWording
    about_stored: str = Field(min_length=1)


@functools.cache
def report_wording() -> ReportWording:
    return load_model("report.yaml", ReportWording)


class RecapWording(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    consent_needed: str = Field(min_length=1)
    empty: str = Field(min_length=1)
    quiet_week: str = Field(min_length=1)
    weekly_footer: str = Field(min_length=1)
    title: str = Field(min_length=1)
    days_logged: str = Field(min_length=1)
    streak: str = Field(min_length=1)
    pain_average: str = Field(min_length=1)
    pain_none: str = Field(min_length=1)
    best_worst: str = Field(min_length=1)
    change_lower: str = Field(min_length=1)
    change_higher: str = Field(min_length=1)
    change_same: str = Field(min_length=1)
    symptoms: str = Field(min_length=1)
    foods: str = Field(min_length=1)
    item_count: str = Field(min_length=1)
    stool: str = Field(min_length=1)
    stool_type: str = Field(min_length=1)
    stool_none: str = Field(min_length=1)
    stress: str = Field(min_length=1)
    sleep: str = Field(min_length=1)
    breathing: str = Field(min_length=1)
    breathing_stress: str = Field(min_length=1)
    breathing_dizzy: str = Field(min_length=1)
    safety_heading: str = Field(min_length=1)
    safety_line: str = Field(min_length=1)
    safety_advice: str = Field(min_length=1)
    links_heading: str = Field(min_length=1)
    link_same_day: str = Field(min_length=1)
    link_next_day: str = Field(min_length=1)
    link_higher: str = Field(min_length=1)
    link_lower: str = Field(min_length=1)
    links_none: str = Field(min_length=1)
    links_too_early: str = Field(min_length=1)
    links_waiting: str = Field(min_length=1)
    factor_high_stress: str = Field(min_length=1)
    factor_poor_sleep: str = Field(min_length=1)
    factor_names: dict[str, str] = Field(default_factory=dict)
    focus_swap: str = Field(min_length=1)
    focus_symptom: str = Field(min_length=1)
    focus_symptom_plain: str = Field(min_length=1)
    chart_caption: str = Field(min_length=1, max_length=1024)
    chart_title: str = Field(min_length=1)
    chart_pain: str = Field(min_length=1)
    chart_symptom: str = Field(min_length=1)
    chart_food: str = Field(min_length=1)
    chart_average: str = Field(min_length=1)


@functools.cache
def recap_wording() -> RecapWording:
    """The recap's wording, loaded and validated once."""
    return load_model("recap.yaml", RecapWording)
