"""How figures read to people, in English or French: values, deltas, durations, money.

Rounding happens here, once, half away from zero. Negative values are written with the minus
sign (U+2212), not a hyphen. Used by the terminal, Slack and digests.
"""

from __future__ import annotations

from typing import Any

from handlers.i18n import figure_reason, word
from kpis import bands
from kpis.result import Figure, KpiResult
from kpis.stats import round_half_away

ARROWS = {True: "▲", False: "▼", None: "▶"}
MINUS = "\u2212"


def number(value: float, digits: int = 0, language: str = "en") -> str:
    """`1,234.5` in English, `1 234,5` in French (narrow no-break space for thousands);
    `−3` with the minus sign."""
    rounded = round_half_away(value, digits)
    if rounded == 0:
        rounded = 0.0  # no "−0"
    text = f"{abs(rounded):,.{digits}f}"
    if language == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return MINUS + text if rounded < 0 else text


def score(survey: str, value: int, scale_max: int, language: str = "en") -> str:
    """`*3/10* NPS`; a short scale's answer also says what it means (`*1/2* CSAT
    (dissatisfied)`: a Zendesk bad rating, a Typeform no), as `kpis.bands` reads it."""
    text = f"*{value}/{scale_max}* {survey.upper()}"
    if survey in ("csat", "ces") and scale_max <= bands.SHORT_SCALE:
        text += f" ({word('verdict_' + bands.verdict(survey, value, scale_max), language)})"
    return text


def duration(seconds: float, language: str = "en") -> str:
    """`45 s`, `14 min`, `2 h 14 min`, `3 d 4 h` (`j` for days in French; `−` before a
    negative one)."""
    if seconds < 0 and int(round_half_away(seconds)) != 0:
        return MINUS + duration(-seconds, language)
    total = int(round_half_away(seconds))
    if total < 60:
        return f"{total} s"
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    day = word("day_unit", language)
    return f"{days} {day} {hours} h" if hours else f"{days} {day}"


def money(value: float, currency: str, language: str = "en") -> str:
    """`€1,234.50` / `1 234,50 €` (symbols for EUR, USD, GBP; the code otherwise)."""
    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency.upper(), currency.upper() + " ")
    digits = 2 if abs(value) < 10_000 else 0
    amount = number(value, digits, language)
    if language == "fr":
        return f"{amount}\u00a0{symbol.strip()}"
    if len(symbol) == 1:
        sign = MINUS if amount.startswith(MINUS) else ""
        return f"{sign}{symbol}{amount.removeprefix(MINUS)}"
    return f"{amount} {symbol.strip()}"


def value(
    result_unit: str, figure_value: float, currency: str = "EUR", language: str = "en"
) -> str:
    """A KPI value formatted for its unit."""
    if result_unit == "nps":
        rounded = round_half_away(figure_value)
        return f"{'+' if rounded > 0 else ''}{number(rounded, 0, language)}"
    if result_unit == "percent":
        return (
            f"{number(figure_value, 1, language)}\u00a0%"
            if language == "fr"
            else (f"{number(figure_value, 1, language)}%")
        )
    if result_unit == "seconds":
        return duration(figure_value, language)
    if result_unit == "money":
        return money(figure_value, currency, language)
    if result_unit == "count":
        return number(figure_value, 0, language)
    if result_unit == "score":
        return number(figure_value, 2, language)
    return number(figure_value, 2, language)


def change(unit: str, amount: float, currency: str = "EUR", language: str = "en") -> str:
    """A signed change in a KPI's unit: `+4 pts`, `−12 min`, `+€3.20`."""
    sign = "+" if amount > 0 else "−" if amount < 0 else "±"
    size = abs(amount)
    if unit in ("nps", "percent"):
        label = word("pts", language)
        return f"{sign}{number(size, 0 if unit == 'nps' else 1, language)}{label}"
    if unit == "seconds":
        return f"{sign}{duration(size, language)}"
    if unit == "money":
        return f"{sign}{money(size, currency, language)}"
    return f"{sign}{number(size, 0 if unit == 'count' else 2, language)}"


#: Decimals a change is shown with, by unit (durations: whole seconds).
SHOWN_DIGITS = {"nps": 0, "percent": 1, "count": 0, "seconds": 0, "money": 2}


def shown_zero(result: KpiResult) -> bool:
    """Whether the change rounds to zero as displayed (`+0.0 pts` reads as no change)."""
    if result.delta is None:
        return False
    return round_half_away(result.delta, SHOWN_DIGITS.get(result.unit, 2)) == 0


def delta(result: KpiResult, currency: str = "EUR", language: str = "en") -> str:
    """`▲ +4 pts` / `▼ −12 min`, in the unit of the KPI."""
    if result.delta is None:
        return ""
    if shown_zero(result):
        return f"{ARROWS[None]} {change(result.unit, 0.0, currency, language)}"
    arrow = ARROWS[result.delta > 0] if result.delta != 0 else ARROWS[None]
    return f"{arrow} {change(result.unit, result.delta, currency, language)}"


def verdict(result: KpiResult, language: str = "en") -> str:
    """`better`, `worse` or `no change`, respecting the KPI's direction, and significance.

    A KPI with no better direction (ticket volume) says `changed`, or `no change` when the
    change rounds to zero as shown.
    """
    if result.delta is None:
        return ""
    improved = None if shown_zero(result) else result.improved
    if result.direction is None:
        return word("no_change" if shown_zero(result) else "changed", language)
    text = word({True: "better", False: "worse", None: "no_change"}[improved], language)
    if result.significant is False:
        text += word("not_significant", language)
    elif result.significant:
        text += word("significant", language)
    return text


def shows_n(unit: str) -> bool:
    """Whether a KPI's n is worth showing beside its value (a count's n is its value)."""
    return unit != "count"


def figure_text(unit: str, figure: Figure, currency: str = "EUR", language: str = "en") -> str:
    """The figure's value, or why there is none."""
    if figure.value is None:
        return figure_reason(figure.reason, language) if figure.reason else "—"
    return value(unit, figure.value, currency, language)


def to_json(result: KpiResult) -> dict[str, Any]:
    """The result as the KPI API returns it (exact floats; `end` exclusive)."""

    def figure(f: Figure) -> dict[str, Any]:
        out: dict[str, Any] = {"value": f.value, "n": f.n}
        if f.reason:
            out["reason"] = f.reason
        if f.parts:
            out["parts"] = f.parts
        if f.ci is not None:
            out["ci"] = {"low": f.ci.low, "high": f.ci.high}
        return out

    body: dict[str, Any] = {
        "key": result.key,
        "name": result.name,
        "unit": result.unit,
        "direction": result.direction,
        "period": {
            "label": result.period.label,
            "start": result.period.current.start.isoformat(),
            "end": result.period.current.end.isoformat(),
            "timezone": result.period.tz,
        },
        **figure(result.current),
        "previous": {
            **figure(result.previous),
            "start": result.period.previous.start.isoformat(),
            "end": result.period.previous.end.isoformat(),
        },
        "delta": result.delta,
        "significant": result.significant,
        "low_sample": result.low_sample,
        "filters": [{"name": f.name, "value": f.value, "negate": f.negate} for f in result.filters],
    }
    if result.group_by is not None:
        body["by"] = result.group_by
        body["groups"] = [
            {
                "key": g.key,
                **figure(g.figure),
                "previous": None if g.previous is None else figure(g.previous),
                "delta": g.delta,
            }
            for g in result.groups
        ]
    return body
