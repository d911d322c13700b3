"""The catalogue as data: one entry per KPI, no twins, and the README's table generated from it."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from bot import cli
from kpis.catalogue import CATALOGUE, INDEX, find_kpi, markdown_table, normalise

README = Path(__file__).resolve().parent.parent / "README.md"


def test_no_two_entries_share_a_key_a_name_or_a_formula() -> None:
    keys = [k.key for k in CATALOGUE]
    assert len(keys) == len(set(keys))
    formulas = [k.formula for k in CATALOGUE]
    assert len(formulas) == len(set(formulas))
    for kpi in CATALOGUE:
        for name in (kpi.key, *kpi.aliases, kpi.name_en, kpi.name_fr):
            assert INDEX[normalise(name)] is kpi, name


def test_sales_is_revenue() -> None:
    assert find_kpi("sales").key == "revenue"
    assert find_kpi("ventes").key == "revenue"
    assert find_kpi("chiffre d'affaires").key == "revenue"


def test_the_readme_table_is_the_catalogue() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- catalogue:[^>]*-->\n(.*?)\n<!-- /catalogue -->", text, re.S)
    assert found is not None, "the README's KPI table lost its markers"
    assert found[1] == markdown_table(), "run `kpibot catalogue` and paste it into the README"
    printed = CliRunner().invoke(cli, ["catalogue"])
    assert printed.exit_code == 0
    assert printed.output.strip() == markdown_table()
