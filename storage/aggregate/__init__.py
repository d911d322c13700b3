"""The query contract's scans and level reads answered in SQL: plans in, plain numbers out.

Everything is computed in the database; no record is loaded into Python. A scan's measures
take one of two paths and its percentiles one of two, chosen by `execute`, which says which it took:
- measures: `cells` (`storage.aggregate.cells`: the daily rollups plus the records of the
  ragged spans) when a rolled-up day lies inside a window and every condition, filter and
  grouping reads only columns the cells keep; otherwise `records`
  (`storage.aggregate.records`: one statement of conditional aggregates over the records);
- percentiles: `histogram` (`storage.aggregate.percentiles.guided`: exact, reading only the few
  values the daily histograms point to) when the window has rolled-up days, the session reads
  one snapshot and there is no filter or grouping; otherwise `records` (`percentile_cont` on
  PostgreSQL, exact ranks or the 1 % sketch on SQLite).
`tests/test_aggregate_paths.py` states which path every catalogue KPI takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import and_
from sqlalchemy.orm import Session

from query.plan import Scan, ScanResult
from storage.aggregate import cells, percentiles, records
from storage.aggregate.levels import run_levels
from storage.aggregate.sql import (
    TABLES,
    UnknownColumn,
    attribute_names,
    column,
    counter_exists,
    filter_conditions,
    group,
    time_column,
)
from storage.db import custom_plans
from storage.models import COLUMN_FILTERS

Path = Literal["records", "cells", "histogram"]

__all__ = [
    "COLUMN_FILTERS",
    "Path",
    "Scanned",
    "UnknownColumn",
    "attribute_names",
    "counter_exists",
    "execute",
    "run_levels",
    "run_scan",
]


@dataclass(frozen=True)
class Scanned:
    """A scan's numbers and the paths that computed them."""

    numbers: ScanResult
    #: The measures' path (None: the scan asked for none).
    measures: Path | None = None
    #: Each percentile request's path, per window: `(request name, window, path)`.
    percentiles: tuple[tuple[str, int, Path], ...] = field(default=())


def _merge(into: ScanResult, part: ScanResult) -> None:
    for key, by_window in part.items():
        for index, numbers in by_window.items():
            into.setdefault(key, {}).setdefault(index, {}).update(numbers)


def execute(*, session: Session, scan: Scan) -> Scanned:
    """Counts, sums and percentiles for every window (and group) of a scan, computed in SQL."""
    table = TABLES[scan.source]
    windows = scan.windows
    key = group(scan.source, scan.group_by, scan.keep_groups)
    result: ScanResult = {}
    measured: Path | None = None
    paths: list[tuple[str, int, Path]] = []
    with custom_plans(session):
        rolled = cells.rolled(session=session, scan=scan)
        if scan.measures:
            if rolled is not None and rolled.measures:
                measured = "cells"
                _merge(result, cells.measures(session=session, scan=scan, rolled=rolled))
            else:
                measured = "records"
                _merge(result, records.measures(session=session, scan=scan))
        time = column(table, scan.time_column)
        guided = rolled is not None and all(
            percentiles.histogram_serves(rolled, scan, spec) for spec in scan.percentiles
        )
        if scan.percentiles and not guided:
            time = time_column(session, scan)  # the records will be read: maybe in order
        scope = [
            time >= min(w.start for w in windows),
            time < max(w.end for w in windows),
            *filter_conditions(scan.source, scan.filters),
        ]
        for spec in scan.percentiles:
            for wi, w in enumerate(windows):
                where = [and_(time >= w.start, time < w.end), *scope]
                values = None
                if rolled is not None and percentiles.histogram_serves(rolled, scan, spec):
                    values = percentiles.guided(
                        session=session,
                        table=table,
                        rolled=rolled,
                        scan=scan,
                        spec=spec,
                        window=wi,
                        where=where,
                        group=key,
                    )
                path: Path = "histogram"
                if values is None:
                    path = "records"
                    values = percentiles.from_records(
                        session=session, table=table, spec=spec, where=where, group=key
                    )
                paths.append((spec.name, wi, path))
                for group_key, by_q in values.items():
                    bucket = result.setdefault(group_key, {}).setdefault(wi, {})
                    for q, v in by_q.items():
                        bucket[spec.key(q)] = v
    return Scanned(result, measured, tuple(paths))


def run_scan(*, session: Session, scan: Scan) -> ScanResult:
    """A scan's numbers (see `execute` for how they are computed)."""
    return execute(session=session, scan=scan).numbers
