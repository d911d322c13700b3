"""Render the README's pictures of charts, tables and the Home tab from kpibot's real output.

    .venv/bin/python docs/render_looks.py

It fills a fresh demo database (`kpibot demo`'s seeded history, 120 days), then:
- the charts are the PNGs kpibot uploads, drawn by the real code (`answer_series` and
  `chart_png`): `docs/chart-nps-weeks.png`, `docs/chart-frt-by-channel.png`;
- the table and the Home tab are the real Block Kit kpibot sends (`blocks.answer` of
  `/kpi nps last-30d by channel`; `home_view` of a dashboard built by `handlers.home.dashboard`
  from the demo data, its two latest detractors shown as open alerts, its trend image the
  real `trend_png`), drawn by the small Block Kit painter below as Slack lays them out
  (header, sections and fields, buttons, context lines, dividers, a table's grid, an image):
  `docs/table-by-channel.png`, `docs/home-tab.png`. The painter is not Slack's renderer: fonts
  and spacing are approximations; every word, number and button is the real output.
"""

from __future__ import annotations

import io
import re
import sys
import tempfile
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import FancyBboxPatch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import build_deps  # noqa: E402
from demo.tour import fill  # noqa: E402
from handlers.answers import blocks  # noqa: E402
from handlers.answers.chart import chart_png  # noqa: E402
from handlers.answers.service import answer, answer_series  # noqa: E402
from handlers.digests.chart import trend_png  # noqa: E402
from handlers.home import dashboard as home  # noqa: E402
from handlers.home.view import AlertItem, Dashboard, DigestItem, home_view  # noqa: E402
from kpis.question import parse_question  # noqa: E402
from settings import Settings  # noqa: E402
from storage.alerts.store import answers as alert_answers  # noqa: E402
from storage.alerts.tables import Alert, AlertKind, AlertStatus, LoopState  # noqa: E402
from storage.db import session_scope  # noqa: E402
from storage.digests.tables import Cadence, DigestSubscription  # noqa: E402
from storage.models import RESPONSES  # noqa: E402

DOCS = ROOT / "docs"
WIDTH = 8.4  # inches at 110 dpi: about Slack's message column
DPI = 110
#: The names Slack shows for the ids in the pictures.
NAMES = {"C0LEADS": "cx-leads", "C0CXTEAM": "cx-team", "U0LEA": "léa"}
INK, GREY, LINK, LINE = "#1d1c1d", "#616061", "#1264a3", "#dddddd"


def _plain(text: str) -> tuple[str, bool]:
    """mrkdwn as the eye reads it: `*bold*` markers dropped (bold when the whole line is),
    `<#C…>` as #channel, `<!date^…|fallback>` as its fallback, emoji codes as words."""
    whole = bool(re.fullmatch(r"\*[^*\n]+\*", text.strip()))
    text = re.sub(r"<!date\^\d+\^[^|]*\|([^>]*)>", r"\1", text)
    text = re.sub(r"<#(C[A-Z0-9]+)(\|[^>]*)?>", lambda m: "#" + NAMES.get(m[1], m[1]), text)
    text = re.sub(r"<@(U[A-Z0-9]+)>", lambda m: "@" + NAMES.get(m[1], m[1]), text)
    text = text.replace(":raising_hand:", "✋")
    text = re.sub(r"\*(\S(?:[^*\n]*\S)?)\*", r"\1", text)
    text = text.replace(":no_entry:", "⛔").replace("`", "")
    return text, whole


class Painter:
    """Block Kit laid out top to bottom on a matplotlib figure (object API, Agg)."""

    def __init__(self, height: float) -> None:
        self.figure = Figure(figsize=(WIDTH, height), dpi=DPI)
        FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, WIDTH * DPI)
        self.ax.set_ylim(height * DPI, 0)
        self.ax.axis("off")
        self.y = 16.0
        self.x = 18.0

    def text(
        self,
        text: str,
        *,
        size: float = 10,
        weight: str = "normal",
        color: str = INK,
        x: float | None = None,
        width: int = 92,
    ) -> None:
        for paragraph in text.split("\n"):
            lines = textwrap.wrap(paragraph, width) or [""]
            for line in lines:
                self.ax.text(
                    x if x is not None else self.x,
                    self.y,
                    line,
                    fontsize=size,
                    fontweight=weight,
                    color=color,
                    va="top",
                    family="DejaVu Sans",
                )
                self.y += size * 1.75

    def block(self, block: dict[str, Any]) -> None:
        kind = block["type"]
        if kind == "header":
            self.text(block["text"]["text"], size=14, weight="bold")
            self.y += 6
        elif kind == "divider":
            self.ax.plot([self.x, WIDTH * DPI - 18], [self.y + 4, self.y + 4], color=LINE, lw=1)
            self.y += 14
        elif kind == "context":
            for element in block["elements"]:
                self.text(_plain(element["text"])[0], size=8, color=GREY, width=120)
            self.y += 4
        elif kind == "section":
            self._section(block)
        elif kind == "table":
            self._table(block)
        elif kind == "image":
            self._image(block)
        elif kind == "actions":
            self._buttons([e["text"]["text"] for e in block["elements"]])

    def _section(self, block: dict[str, Any]) -> None:
        top = self.y
        if "text" in block:
            for raw in block["text"]["text"].split("\n"):
                line, bold = _plain(raw)
                quoted = line.startswith("> ")
                self.text(
                    line[2:] if quoted else line,
                    weight="bold" if bold else "normal",
                    color=GREY if quoted else INK,
                    x=self.x + (12 if quoted else 0),
                    width=80 if block.get("accessory") else 92,
                )
        fields = block.get("fields") or []
        for row in range(0, len(fields), 2):
            start = self.y
            ends = []
            for column, field in enumerate(fields[row : row + 2]):
                self.y = start
                label, _, value = field["text"].partition("\n")
                self.text(_plain(label)[0], weight="bold", x=self.x + column * 440, width=44)
                self.text(_plain(value)[0], x=self.x + column * 440, width=50)
                ends.append(self.y)
            self.y = max(ends) + 4
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            self._button(accessory["text"]["text"], WIDTH * DPI - 150, top, accessory.get("style"))
        self.y += 6

    def _button(self, label: str, x: float, y: float, style: str | None = None) -> None:
        primary = style == "primary"
        self.ax.add_patch(
            FancyBboxPatch(
                (x, y),
                128,
                26,
                boxstyle="round,pad=0,rounding_size=5",
                facecolor="#007a5a" if primary else "white",
                edgecolor="#007a5a" if primary else "#bbbbbb",
                lw=1,
            )
        )
        self.ax.text(
            x + 64,
            y + 13,
            label,
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
            color="white" if primary else INK,
        )

    def _buttons(self, labels: list[str]) -> None:
        for i, label in enumerate(labels):
            self._button(label, self.x + i * 140, self.y)
        self.y += 36

    def _table(self, block: dict[str, Any]) -> None:
        rows = [[cell["text"] for cell in row] for row in block["rows"]]
        align = [s.get("align", "left") for s in block.get("column_settings") or []]
        widths = [max(len(r[i]) for r in rows) * 8.2 + 28 for i in range(len(rows[0]))]
        height = 26.0
        x0 = self.x
        for r, row in enumerate(rows):
            x = x0
            for c, cell in enumerate(row):
                self.ax.add_patch(
                    FancyBboxPatch(
                        (x, self.y),
                        widths[c],
                        height,
                        boxstyle="square,pad=0",
                        facecolor="#f8f8f8" if r == 0 else "white",
                        edgecolor=LINE,
                        lw=1,
                    )
                )
                right = c < len(align) and align[c] == "right"
                self.ax.text(
                    x + (widths[c] - 10 if right else 10),
                    self.y + height / 2,
                    cell,
                    ha="right" if right else "left",
                    va="center",
                    fontsize=9.5,
                    fontweight="bold" if r == 0 else "normal",
                    color=INK,
                )
                x += widths[c]
            self.y += height
        self.y += 12

    def _image(self, block: dict[str, Any]) -> None:
        title = (block.get("title") or {}).get("text")
        if title:
            self.text(title, size=9, color=GREY)
        png = IMAGES[block["slack_file"]["id"]]
        picture = imread(io.BytesIO(png), format="png")
        h, w = picture.shape[:2]
        shown_w = WIDTH * DPI - 2 * self.x
        shown_h = h * shown_w / w
        self.ax.imshow(picture, extent=(self.x, self.x + shown_w, self.y + shown_h, self.y))
        self.y += shown_h + 10

    def save(self, path: Path) -> None:
        height = self.y + 12
        self.ax.set_ylim(height, 0)
        self.figure.set_size_inches(WIDTH, height / DPI)
        self.figure.savefig(path, format="png", facecolor="white")


#: Slack file id → the PNG it stands for (the Home tab's trend image).
IMAGES: dict[str, bytes] = {}


def paint(blocks_: list[dict[str, Any]], path: Path, *, preface: str | None = None) -> None:
    """Lay the blocks out (twice: the first pass measures the height) and save the PNG."""
    painter = Painter(40)
    for block in blocks_:
        painter.block(block)
    painter = Painter(painter.y / DPI + 1)
    if preface:
        painter.text(preface, size=9, color=GREY)
        painter.y += 4
    for block in blocks_:
        painter.block(block)
    painter.save(path)
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        filled = fill(Path(tmp) / "demo.db", seed=7, days=120)
        deps = build_deps(Settings(database_url=filled.url, timezone="Europe/Paris"))
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        deps.clock = lambda: now
        # the charts, as uploaded
        for text, name in (
            ("nps last-16w chart", "chart-nps-weeks.png"),
            ("frt last-30d by channel chart", "chart-frt-by-channel.png"),
        ):
            series = answer_series(deps=deps, question=parse_question(text))
            (DOCS / name).write_bytes(chart_png(series))
            print(f"wrote docs/{name}")
        # a grouped answer: the native table
        result = answer(deps=deps, question=parse_question("nps last-30d by channel"))
        message = blocks.answer(result)
        paint(
            message.blocks,
            DOCS / "table-by-channel.png",
            preface="/kpi nps last-30d by channel   (only visible to you)",
        )
        # the Home tab
        with session_scope(deps.sessions) as session:
            ids = list(
                session.scalars(
                    RESPONSES.select()
                    .with_only_columns(RESPONSES.c.id)
                    .where(
                        RESPONSES.c.survey == "nps",
                        RESPONSES.c.score <= 6,
                        RESPONSES.c.comment.is_not(None),
                    )
                    .order_by(RESPONSES.c.submitted_at.desc())
                    .limit(2)
                )
            )
            behind = alert_answers(session=session, response_ids=ids)
        alerts = [
            AlertItem(
                Alert(
                    id=100 + i,
                    kind=AlertKind.DETRACTOR,
                    response_id=rid,
                    channel_id="C0LEADS",
                    message_channel="C0LEADS",
                    status=AlertStatus.POSTED,
                    state=LoopState.OPEN if i == 0 else LoopState.CLAIMED,
                    claimed_by=None if i == 0 else "U0LEA",
                    claimed_at=None if i == 0 else now,
                ),
                behind.get(rid),
            )
            for i, rid in enumerate(ids)
        ]
        drawn = []
        for key in deps.settings.home_kpis:
            one = answer_series(deps=deps, question=parse_question(f"{key} last-12w"))
            drawn.append(home._trend_series(one))
        IMAGES["F0TREND"] = trend_png(drawn, title="Trend over the last 12 weeks")
        data = Dashboard(
            at=now,
            tz="Europe/Paris",
            cards=home.cards(deps),
            alerts=alerts,
            digests=[
                DigestItem(
                    DigestSubscription(
                        id=1,
                        channel_id="C0CXTEAM",
                        cadence=Cadence.WEEKLY,
                        cron="0 9 * * 1",
                        timezone="Europe/Paris",
                        kpis=[],
                    )
                )
            ],
            trend_file="F0TREND",
            trend_alt="Trend over the last 12 weeks: NPS, CSAT, First response time, FCR",
        )
        view = home_view(data)
        paint(view["blocks"], DOCS / "home-tab.png", preface="kpibot  ·  Home")
        deps.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
