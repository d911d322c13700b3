"""Why did it move: the shift-share decomposition on planted numbers, pure."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kpis.formulas import HIGH, LOW, N, NetScore
from kpis.why import attribute, rank, shift_share, stands_out
from query.plan import Numbers


def nps(n: int, promoters: int, detractors: int) -> Numbers:
    return {N: float(n), HIGH: float(promoters), LOW: float(detractors)}


FORMULA = NetScore("nps")


def value(groups: dict[str | None, dict[int, Numbers]], index: int) -> float:
    n = sum(g[index][N] or 0 for g in groups.values())
    p = sum(g[index][HIGH] or 0 for g in groups.values())
    d = sum(g[index][LOW] or 0 for g in groups.values())
    return 100 * (p - d) / n


@given(
    st.lists(
        st.tuples(
            st.integers(0, 300), st.floats(-100, 100), st.integers(0, 300), st.floats(-100, 100)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_the_effects_add_up_to_the_change(raw: list[tuple[int, float, int, float]]) -> None:
    n0 = sum(r[0] for r in raw) or 1
    n1 = sum(r[2] for r in raw) or 1
    rows = [(a / n0, r0 if a else None, b / n1, r1 if b else None) for a, r0, b, r1 in raw]
    effects = shift_share(rows)
    v0 = sum(w0 * (r0 or 0.0) for w0, r0, _, _ in rows)
    v1 = sum(w1 * (r1 or 0.0) for _, _, w1, r1 in rows)
    if sum(r[0] for r in raw) and sum(r[2] for r in raw):
        assert abs(sum(r + m for r, m in effects) - (v1 - v0)) < 1e-6


def test_a_rate_change_in_one_segment_is_named_first() -> None:
    groups: dict[str | None, dict[int, Numbers]] = {
        "free": {1: nps(200, 80, 40), 0: nps(200, 80, 40)},
        "pro": {1: nps(100, 50, 10), 0: nps(100, 20, 50)},  # +40 → −30
        "enterprise": {1: nps(100, 60, 10), 0: nps(100, 61, 10)},
    }
    found = attribute(FORMULA, "plan", groups)
    assert found is not None
    change = value(groups, 0) - value(groups, 1)
    assert abs(found.total - change) < 1e-9
    first = rank([found], change)[0]
    assert first.key == "pro"
    assert first.effect == "rate"
    assert first.significant is True
    assert abs(first.contribution - 0.25 * -70) < 1e-9  # share 25 % × −70 pts
    assert stands_out(first, change)


def test_a_pure_change_of_mix_is_named_first_and_called_mix() -> None:
    groups: dict[str | None, dict[int, Numbers]] = {
        "email": {1: nps(100, 10, 60), 0: nps(400, 40, 240)},  # −50, 10 % → 40 %
        "chat": {1: nps(450, 270, 45), 0: nps(300, 180, 30)},  # +50
        "phone": {1: nps(450, 270, 45), 0: nps(300, 180, 30)},  # +50
    }
    found = attribute(FORMULA, "channel", groups)
    assert found is not None
    change = value(groups, 0) - value(groups, 1)
    assert change < -20
    ranked = rank([found], change)
    assert ranked[0].key == "email"
    assert ranked[0].effect == "mix"
    assert abs(ranked[0].rate) < 1e-9
    assert abs(found.total - change) < 1e-9


def test_an_even_change_stands_out_nowhere() -> None:
    groups: dict[str | None, dict[int, Numbers]] = {
        "emea": {1: nps(200, 100, 40), 0: nps(200, 80, 60)},  # +30 → +10
        "na": {1: nps(100, 50, 20), 0: nps(100, 40, 30)},
        None: {1: nps(100, 50, 20), 0: nps(100, 40, 30)},
    }
    found = attribute(FORMULA, "region", groups)
    assert found is not None
    change = value(groups, 0) - value(groups, 1)
    assert abs(change + 20) < 1e-9
    assert not any(stands_out(s, change) for s in found.segments)
    assert {s.key for s in found.segments} == {"emea", "na", "(none)"}


def test_one_segment_or_ids_are_not_an_attribute() -> None:
    one: dict[str | None, dict[int, Numbers]] = {"x": {1: nps(50, 20, 10), 0: nps(50, 10, 20)}}
    assert attribute(FORMULA, "plan", one) is None
    ids: dict[str | None, dict[int, Numbers]] = {
        f"c{i}": {1: nps(1, 1, 0), 0: nps(1, 0, 1)} for i in range(60)
    }
    assert attribute(FORMULA, "customer", ids) is None


def test_a_segment_new_this_period_is_all_mix() -> None:
    groups: dict[str | None, dict[int, Numbers]] = {
        "old": {1: nps(100, 50, 10), 0: nps(100, 50, 10)},
        "new": {1: nps(0, 0, 0), 0: nps(100, 0, 100)},
    }
    found = attribute(FORMULA, "plan", groups)
    assert found is not None
    new = next(s for s in found.segments if s.key == "new")
    assert new.rate == 0
    assert new.effect == "mix"
    assert abs(found.total - (value(groups, 0) - value(groups, 1))) < 1e-9
