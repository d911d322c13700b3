"""KPI answers rendered for a terminal (`kpibot kpi …`)."""

from __future__ import annotations

from handlers import formatting as fmt
from handlers.i18n import say, word
from kpis.result import Figure, KpiResult


def period_text(result: KpiResult) -> str:
    """`last-30d (2026-10-24 12:00 → 2026-11-23 12:00, Europe/Paris)`."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(result.period.tz)
    start = result.period.current.start.astimezone(zone)
    end = result.period.current.end.astimezone(zone)
    return (
        f"{result.period.label} ({start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M}, {result.period.tz})"
    )


def render(result: KpiResult, *, currency: str = "EUR", language: str = "en") -> str:
    """The answer as lines of text: value, comparison, n, CI, split, groups."""
    counted = not fmt.shows_n(result.unit)  # a count's n is its value: not shown twice

    def n_of(figure: Figure) -> str:
        return "" if counted else f" (n = {fmt.number(figure.n, 0, language)})"

    lines = [f"{result.display_name(language)} — {period_text(result)}"]
    current = fmt.figure_text(result.unit, result.current, currency, language)
    lines.append(f"  {current}  {n_of(result.current)}")
    if result.current.ci is not None:
        low = fmt.value(result.unit, result.current.ci.low, currency, language)
        high = fmt.value(result.unit, result.current.ci.high, currency, language)
        lines.append(f"  {word('terminal_ci', language)}{word('colon', language)}{low} … {high}")
    parts = result.current.parts
    if "promoters" in parts and result.current.value is not None:
        split = say(
            "terminal_split",
            language,
            p=fmt.value("percent", parts["promoters"] or 0, currency, language),
            s=fmt.value("percent", parts["passives"] or 0, currency, language),
            d=fmt.value("percent", parts["detractors"] or 0, currency, language),
        )
        lines.append(f"  {split}")
    if "median" in parts and parts["median"] is not None:
        p90 = parts.get("p90")
        median = fmt.value(result.unit, parts["median"], currency, language)
        line = f"  {word('median', language)} {median}"
        if p90 is not None:
            line += f" · p90 {fmt.value(result.unit, p90, currency, language)}"
        lines.append(line)
    previous = fmt.figure_text(result.unit, result.previous, currency, language)
    comparison = f"  {word('terminal_previous', language)}{word('colon', language)}{previous}"
    comparison += n_of(result.previous)
    if result.delta is not None:
        comparison += (
            f"   {fmt.delta(result, currency, language)} ({fmt.verdict(result, language)})"
        )
    lines.append(comparison)
    if result.low_sample and not counted:
        lines.append(f"  {word('terminal_low_sample', language)}")
    if result.groups:
        lines.append(f"  {say('terminal_by', language, name=result.group_by)}")
        width = max(len(g.key) for g in result.groups)
        for g in result.groups:
            text = fmt.figure_text(result.unit, g.figure, currency, language)
            n = "" if counted else f"  n = {fmt.number(g.figure.n, 0, language)}"
            lines.append(f"    {g.key:<{width}}  {text:>12}{n}")
    return "\n".join(lines)
