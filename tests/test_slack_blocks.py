"""Block Kit builders hold Slack's limits whatever the data; commands are read as Slack sends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import Block, TableBlock

from handlers.answers import blocks
from handlers.digests.blocks import digest_message
from handlers.digests.build import Digest, Line
from handlers.slack.blocks import Message, table
from handlers.slack.terminal import render
from handlers.slack.text import read_command
from kpis.catalogue import find_kpi
from kpis.periods import parse_period
from kpis.result import Figure, GroupFigure, KpiResult
from kpis.stats import Interval
from query.plan import Filter


def check_limits(message: Message) -> None:
    assert len(message.blocks) <= 50
    for block in message.blocks:
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
        if block["type"] == "table":
            check_table(block)
    assert sum(b["type"] == "table" for b in message.blocks) <= 1


def check_table(block: dict[str, Any]) -> None:
    """A table block as slack_sdk's models read and validate it, within Slack's limits."""
    parsed = Block.parse(block)
    assert isinstance(parsed, TableBlock)
    parsed.validate_json()
    assert parsed.to_dict() == block
    assert 1 <= len(block["rows"]) <= 100
    width = len(block["rows"][0])
    assert all(len(row) == width for row in block["rows"])
    assert width <= 20
    assert len(block.get("column_settings") or []) <= 20
    for row in block["rows"]:
        for cell in row:
            assert cell["type"] == "raw_text"
            assert cell["text"]


def huge_result() -> KpiResult:
    period = parse_period("last-30d", now=datetime(2026, 11, 1, tzinfo=UTC))
    figure = Figure(
        12.5,
        24,
        parts={
            "promoters": 20.8,
            "passives": 70.8,
            "detractors": 8.3,
            "promoters_count": 5,
            "passives_count": 17,
            "detractors_count": 2,
        },
        ci=Interval(-9.6, 31.9),
    )
    groups = tuple(GroupFigure("g" * 300 + str(i), figure, figure) for i in range(500))
    filters = tuple(Filter("attribute" * 30, "value" * 200) for _ in range(40))
    return KpiResult(
        "nps",
        "NPS" * 100,
        "nps",
        "up",
        period,
        figure,
        figure,
        0.0,
        False,
        filters,
        "segment" * 50,
        groups,
    )


def test_limits_hold_for_any_input() -> None:
    message = blocks.answer(huge_result())
    check_limits(message)
    check_limits(blocks.catalogue_message())
    check_limits(blocks.help_message(language="fr"))
    check_limits(blocks.error("x" * 10_000, ["y" * 5000] * 50))


def test_nps_is_signed_and_rounded_once_half_away_from_zero() -> None:
    result = huge_result()
    assert blocks.summary(result).startswith("NPS" * 100 + " last-30d: +13 (n = 24)")
    french = blocks.answer(result, language="fr")
    assert "Promoteurs 20,8\u00a0% (5)" in json.dumps(french.blocks, ensure_ascii=False)


def test_commands_are_read_as_slack_sends_them() -> None:
    command = read_command(
        "nps &lt; 30 last-7d <#C0123|support> <@U0ANA> <!subteam^S0LEADS|@leads> plan=a&amp;b share"
    )
    assert command.words == ["nps", "<", "30", "last-7d", "plan=a&b"]
    assert command.share is True
    assert command.channels == ["C0123"]
    assert command.users == ["U0ANA"]
    assert command.groups == ["S0LEADS"]


def test_catalogue_lists_every_kpi() -> None:
    text = str(blocks.catalogue_message().blocks)
    assert "`aov`" in text
    assert "`nps`" in text
    assert find_kpi("panier-moyen").key == "aov"


def test_help_and_errors_follow_the_language() -> None:
    french = json.dumps(blocks.help_message(language="fr").blocks, ensure_ascii=False)
    assert "Périodes" in french
    assert "Exemples" in french
    assert "ajoutez `share`" in french
    assert blocks.help_message(language="fr").text.startswith("Comment interroger kpibot")
    error = json.dumps(blocks.error("x", ["nps"], language="fr").blocks, ensure_ascii=False)
    assert "Exemples\u00a0: `/nps last-30d`" in error
    assert "Vouliez-vous dire" in error


def test_counts_are_written_with_thousands_separators() -> None:
    period = parse_period("last-30d", now=datetime(2026, 11, 1, tzinfo=UTC))
    parts: dict[str, float | None] = {
        "promoters": 57.4,
        "passives": 34.8,
        "detractors": 7.8,
        "promoters_count": 1314,
        "passives_count": 797,
        "detractors_count": 178,
    }
    figure = Figure(49.6, 2289, parts=parts, ci=Interval(47.0, 52.0))
    result = KpiResult("nps", "NPS", "nps", "up", period, figure, figure, 0.0, False, (), None, ())
    english = blocks.answer(result)
    assert english.text.startswith("NPS last-30d: +50 (n = 2,289)")
    assert "Promoters 57.4% (1,314)" in json.dumps(english.blocks)
    french = blocks.answer(result, language="fr")
    assert "(n = 2\u202f289)" in french.text
    assert "Promoteurs 57,4\u00a0% (1\u202f314)" in json.dumps(french.blocks, ensure_ascii=False)


def test_groups_are_a_native_table_with_the_text_layout_as_fallback() -> None:
    result = huge_result()
    figure = result.current
    named = KpiResult(
        "nps",
        "NPS",
        "nps",
        "up",
        result.period,
        figure,
        figure,
        0.0,
        False,
        (),
        "team",
        (GroupFigure("```care```", figure, figure), GroupFigure("billing", figure, None)),
    )
    message = blocks.answer(named)
    check_limits(message)
    [shown] = [b for b in message.blocks if b["type"] == "table"]
    cells = [[c["text"] for c in row] for row in shown["rows"]]
    assert cells[0] == ["team", "NPS", "n", "Change"]
    assert cells[1][0] == "```care```"  # a table cell is plain text: nothing to escape
    assert cells[2][:3] == ["billing", "+13", "24"]
    assert cells[2][3] == "—"  # no previous figure, no change
    assert "```care```" in message.text
    assert "billing" in message.text
    assert "```care```" in render(message)


def test_a_table_holds_slacks_limits_whatever_the_data() -> None:
    block = table(["h"] * 30, [["x" * 5000] * 40 for _ in range(300)]).to_dict()
    check_table(block)
    assert len(block["rows"]) == 100
    assert len(block["rows"][0]) == 20
    check_limits(blocks.answer(huge_result()))
    assert len([b for b in blocks.answer(huge_result()).blocks if b["type"] == "table"]) == 1


def test_the_digest_kpi_lines_are_a_table() -> None:
    result = huge_result()
    digest = Digest(
        1,
        "weekly",
        "C0",
        result.period,
        True,
        lines=[Line("nps", result), Line("csat", error="no such KPI")],
    )
    message = digest_message(digest, language="fr")
    check_limits(message)
    [shown] = [b for b in message.blocks if b["type"] == "table"]
    cells = [[c["text"] for c in row] for row in shown["rows"]]
    assert cells[0] == ["KPI", "Valeur", "Évolution", "Période précédente", "n"]
    assert cells[1][1] == "+13"
    assert cells[2][0] == "csat"
    assert "no such KPI" in cells[2][1]
    assert "no such KPI" in message.text  # the lines stay the text fallback


def test_a_change_that_rounds_to_zero_reads_as_no_change() -> None:
    from handlers import formatting as fmt

    period = parse_period("last-30d", now=datetime(2026, 11, 1, tzinfo=UTC))
    now, before = Figure(70.02, 1727), Figure(70.0, 1863)
    tiny = KpiResult("fcr", "FCR", "percent", "up", period, now, before, 0.02, False, (), None, ())
    assert fmt.delta(tiny) == "▶ ±0.0 pts"
    assert fmt.verdict(tiny) == "no change, not significant"
    real = KpiResult("fcr", "FCR", "percent", "up", period, now, before, 0.06, False, (), None, ())
    assert fmt.delta(real) == "▲ +0.1 pts"
    assert fmt.verdict(real).startswith("better")


def test_negative_values_use_the_minus_sign() -> None:
    from handlers import formatting as fmt

    period = parse_period("last-30d", now=datetime(2026, 11, 1, tzinfo=UTC))
    worse = Figure(-86.0, 50, ci=Interval(-92.4, -71.0))
    before = Figure(-12.0, 40)
    result = KpiResult("nps", "NPS", "nps", "up", period, worse, before, -74.0, True)
    message = blocks.answer(result)
    assert message.text == "NPS last-30d: \u221286 (n = 50), ▼ \u221274 pts vs \u221212"
    assert "\u221292 … \u221271" in json.dumps(message.blocks, ensure_ascii=False)
    assert "-" not in message.text.replace("last-30d", "")
    assert fmt.number(-1234.5, 1) == "\u22121,234.5"
    assert fmt.number(-1234.5, 1, "fr") == "\u22121\u202f234,5"
    assert fmt.number(-0.4) == "0"  # no "−0"
    assert fmt.money(-12.5, "EUR") == "\u2212€12.50"
    assert fmt.duration(-90) == "\u22121 min"


def test_a_count_says_no_change_at_zero_and_does_not_repeat_its_value_as_n() -> None:
    from handlers import formatting as fmt

    period = parse_period("last-30d", now=datetime(2026, 11, 1, tzinfo=UTC))
    tickets = Figure(120.0, 120)
    flat = KpiResult("tickets", "Tickets", "count", None, period, tickets, tickets, 0.0, None)
    assert fmt.verdict(flat) == "no change"
    assert fmt.verdict(flat, "fr") == "stable"
    more = Figure(130.0, 130)
    moved = KpiResult("tickets", "Tickets", "count", None, period, more, tickets, 10.0, None)
    assert fmt.verdict(moved) == "changed"
    message = blocks.answer(flat)
    assert message.text == "Tickets last-30d: 120, ▶ ±0 vs 120"
    text = json.dumps(message.blocks)
    assert "Sample size" not in text
    assert "(n = " not in text
    assert "no change" in text
