"""KPI answers rendered for a terminal (`kpibot kpi …`)."""

from __future__ import annotations

from handlers import formatting as fmt
from kpis.result import KpiResult


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
    lines = [f"{result.name} — {period_text(result)}"]
    current = fmt.figure_text(result.unit, result.current, currency, language)
    lines.append(f"  {current}   (n = {fmt.number(result.current.n, 0, language)})")
    if result.current.ci is not None:
        low = fmt.value(result.unit, result.current.ci.low, currency, language)
        high = fmt.value(result.unit, result.current.ci.high, currency, language)
        lines.append(f"  95% CI: {low} … {high}")
    parts = result.current.parts
    if "promoters" in parts and result.current.value is not None:
        lines.append(
            "  promoters {p} · passives {s} · detractors {d}".format(
                p=fmt.value("percent", parts["promoters"] or 0, currency, language),
                s=fmt.value("percent", parts["passives"] or 0, currency, language),
                d=fmt.value("percent", parts["detractors"] or 0, currency, language),
            )
        )
    if "median" in parts and parts["median"] is not None:
        p90 = parts.get("p90")
        lines.append(
            f"  median {fmt.value(result.unit, parts['median'], currency, language)}"
            + (
                f" · p90 {fmt.value(result.unit, p90, currency, language)}"
                if p90 is not None
                else ""
            )
        )
    previous = fmt.figure_text(result.unit, result.previous, currency, language)
    comparison = f"  previous: {previous} (n = {fmt.number(result.previous.n, 0, language)})"
    if result.delta is not None:
        comparison += (
            f"   {fmt.delta(result, currency, language)} ({fmt.verdict(result, language)})"
        )
    lines.append(comparison)
    if result.low_sample:
        lines.append("  ⚠ fewer than 30 answers: read with care")
    if result.groups:
        lines.append(f"  by {result.group_by}:")
        width = max(len(g.key) for g in result.groups)
        for g in result.groups:
            text = fmt.figure_text(result.unit, g.figure, currency, language)
            n = fmt.number(g.figure.n, 0, language)
            lines.append(f"    {g.key:<{width}}  {text:>12}  n = {n}")
    return "\n".join(lines)
