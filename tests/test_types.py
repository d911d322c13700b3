"""Instants in their SQLite storage form: the bulk conversion equals the one-value one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.types import utc_text, utc_texts

ZONES = [
    UTC,
    timezone(timedelta(0)),
    timezone(timedelta(hours=2)),
    timezone(-timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=5, minutes=45)),
    ZoneInfo("Europe/Paris"),
    ZoneInfo("America/St_Johns"),
]

instants = st.builds(
    lambda moment, micro, zone: moment.replace(microsecond=micro, tzinfo=zone),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1)),
    st.one_of(st.just(0), st.integers(0, 999_999)),
    st.sampled_from(ZONES),
)


@given(st.lists(st.one_of(st.none(), instants), max_size=40))
def test_bulk_texts_equal_one_at_a_time(values: list[datetime | None]) -> None:
    assert utc_texts(values) == [utc_text(v) for v in values]


@given(st.lists(st.one_of(st.none(), instants.map(lambda v: v.astimezone(UTC))), max_size=40))
def test_utc_columns_take_the_bulk_path_and_agree(values: list[datetime | None]) -> None:
    texts = utc_texts(values)
    assert texts == [utc_text(v) for v in values]
    assert all(t is None or (len(t) == 26 and t[10] == " " and t[19] == ".") for t in texts)


def test_the_stored_form() -> None:
    paris = datetime(2026, 5, 4, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    values = [datetime(2026, 5, 4, 8, 0, 0, 250_000, tzinfo=UTC), None, paris]
    assert utc_texts(values) == ["2026-05-04 08:00:00.250000", None, "2026-05-04 08:00:00.000000"]
    assert utc_texts([]) == []


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        utc_texts([datetime(2026, 5, 4, tzinfo=UTC), datetime(2026, 5, 4)])
