"""kpibot's composition root and command line.

Builds settings, engine, sessions, the FastAPI app (and, when configured, the Slack app and the
scheduler) from the list of features, and hands them down. No business logic lives here: each
command opens the service (`running`), calls a handler and prints what it says.
"""

from __future__ import annotations

import gc
import importlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from handlers.deps import Deps
from settings import Settings
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler
    from fastapi import FastAPI

    from handlers.feature import Commands, Feature

log = logging.getLogger("kpibot")

#: Every feature, by the package that registers it (`<package>.registration.FEATURE`).
#: Adding a feature is adding its folder under handlers/ and one line here.
FEATURE_PACKAGES = (
    "handlers.answers",
    "handlers.insights",
    "handlers.ingest",
    "handlers.connectors",
    "handlers.digests",
    "handlers.home",
    "handlers.alerts",
    "handlers.surveys",
    "handlers.rollups",
    "handlers.conversation",
    "handlers.privacy",
    "handlers.ops",
)


@cache
def features() -> tuple[Feature, ...]:
    """The registered features, in the order their parts are wired."""
    return tuple(
        importlib.import_module(f"{package}.registration").FEATURE for package in FEATURE_PACKAGES
    )


def commands() -> Commands:
    """Every feature's `/kpi` subcommands and help lines."""
    from handlers.feature import Commands

    return Commands.of(features())


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a bad value into a readable CLI error."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False):
            name = ".".join(str(p) for p in error["loc"]).upper()
            lines.append(f"  {name}: {error['msg']}")
        raise click.ClickException("invalid settings:\n" + "\n".join(lines)) from exc


def build_deps(settings: Settings) -> Deps:
    """The engine, session factory and clock every handler shares."""
    engine = make_engine(settings.database_url)
    return Deps(settings=settings, engine=engine, sessions=make_session_factory(engine))


def is_sqlite(url: str) -> bool:
    """Whether the URL names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


@contextmanager
def running(settings: Settings | None = None) -> Iterator[Deps]:
    """The service for one command: settings, the migrations on SQLite (PostgreSQL migrates as
    a deploy step: `kpibot db upgrade`), the deps; the engine is disposed however it ends."""
    settings = settings or load_settings()
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    deps = build_deps(settings)
    try:
        yield deps
    finally:
        deps.engine.dispose()


def tune_gc() -> None:
    """Make Python's cyclic garbage collector cheap for batch work.

    A 10,000-record ingest request or an import batch allocates hundreds of thousands of small
    containers; with the default thresholds the collector runs every 700 allocations and its
    full passes rescan everything the process holds, which measured as a third of the ingest
    time. Objects alive after start-up are frozen (never rescanned) and young collections run
    every 50,000 allocations instead. Reference counting still frees almost everything at once.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def create_app(settings: Settings, deps: Deps | None = None) -> FastAPI:
    """The ASGI app `kpibot serve` runs: every feature's routes (and the Slack app when
    configured)."""
    from handlers.http.app import create_api

    deps = deps or build_deps(settings)
    api = create_api(deps, features())
    if settings.slack_enabled and settings.slack_mode == "http":
        from handlers.slack.app import build_bolt_app, mount

        mount(api, build_bolt_app(deps, features()))
    return api


def build_scheduler_for(deps: Deps) -> BaseScheduler:
    """The scheduler with every feature's jobs, posting with the once-only Slack client.

    Without SLACK_BOT_TOKEN it runs only the jobs that post nothing (the daily rollups).
    """
    from handlers.jobs.scheduler import build_scheduler
    from handlers.slack.posting import once_client

    slack = deps.settings.slack_bot_token is not None
    return build_scheduler(deps, once_client(deps), features(), slack=slack)


def scheduled_features(settings: Settings) -> str:
    """`digests, alerts, rollups`: what a scheduler runs with these settings."""
    from handlers.jobs.scheduler import job_names

    return ", ".join(job_names(features(), slack=settings.slack_bot_token is not None))


def startup_notes(settings: Settings) -> list[str]:
    """One line for each part that is off, naming the settings that turn it on."""
    notes: list[str] = []
    for feature in features():
        if feature.notes is not None:
            notes.extend(feature.notes(settings))
    if not settings.slack_enabled:
        notes.append(
            "Slack off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN with "
            "KPIBOT_SLACK_MODE=socket) to answer slash commands"
        )
    if settings.slack_bot_token is None:
        posting = [f.name for f in features() if f.jobs is not None and f.jobs_post]
        if posting:
            notes.append(f"{' and '.join(posting)} off: they need SLACK_BOT_TOKEN to post")
    return notes


def log_format() -> str:
    """KPIBOT_LOG_FORMAT as the settings read it (text when the settings are invalid: the
    command then says why)."""
    try:
        return Settings().log_format
    except ValidationError:
        return "text"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """kpibot: customer-experience KPIs in Slack."""
    from handlers.logs import configure

    configure(json=log_format() == "json", verbose=verbose)


DEMO_DATABASE = Path("kpibot-demo.db")


def build_demo(path: Path, *, seed: int, days: int, quiet: bool = False) -> str:
    """Create a fresh SQLite file at `path` with the seeded history; return its URL."""
    from demo.tour import fill

    url = fill(path, seed=seed, days=days)
    if not quiet:
        click.echo(url.summary, err=True)
    return url.url


@cli.command()
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEMO_DATABASE,
    show_default=True,
    help="SQLite file to (re)create.",
)
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--days", default=365, show_default=True, type=click.IntRange(7, 3 * 365))
@click.option("--force", is_flag=True, help="Replace --database even if it is not the demo's.")
def demo(database: Path, seed: int, days: int, force: bool) -> None:
    """Fill a fresh SQLite database with a realistic year of data and show what kpibot answers."""
    from demo.tour import tour

    if database.exists() and database != DEMO_DATABASE and not force:
        raise click.UsageError(f"{database} exists; pass --force to replace it")
    url = build_demo(database, seed=seed, days=days)
    with running(load_settings(database_url=url)) as deps:
        for text in tour(deps, commands(), database.with_name(database.stem + "-digest.png")):
            click.echo(text)
    click.echo(f'\nTry more with DATABASE_URL={url} kpibot ask "/kpi list"')


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--demo",
    "use_demo",
    is_flag=True,
    help=f"Serve a fresh seeded demo history ({DEMO_DATABASE}) instead of DATABASE_URL.",
)
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Don't run the scheduled jobs here (run `kpibot scheduler` elsewhere).",
)
def serve(host: str, port: int, use_demo: bool, no_scheduler: bool) -> None:
    """Run the HTTP server: ingest API, KPI API and (when configured) the Slack app."""
    import uvicorn

    from kpis.themes import warm_up as themes_warm_up

    settings = load_settings()
    if use_demo:
        url = build_demo(DEMO_DATABASE, seed=7, days=365)
        settings = load_settings(database_url=url)
    for note in startup_notes(settings):
        click.echo(f"kpibot: {note}", err=True)
    with running(settings) as deps:
        startup_checks(deps)
        app = create_app(settings, deps)
        tune_gc()
        if settings.slack_enabled and settings.slack_mode == "socket":
            from handlers.slack.app import start_socket_mode

            start_socket_mode(deps, features())
            click.echo("kpibot: Slack in Socket Mode", err=True)
        scheduler = None
        if not no_scheduler:
            scheduler = build_scheduler_for(deps)
            scheduler.start()
            click.echo(f"kpibot: scheduler running ({scheduled_features(settings)})", err=True)
        click.echo(f"kpibot: serving on http://{host}:{port} (API docs at /docs)", err=True)
        if settings.slack_enabled:
            # the first `/kpi themes` would otherwise wait for scikit-learn's import; only where
            # Slack can ask (an API-only server would spend its first seconds on it for nothing)
            threading.Thread(target=themes_warm_up, name="themes-warm-up", daemon=True).start()
        try:
            uvicorn.run(app, host=host, port=port, log_level="info", log_config=None)
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)


def startup_checks(deps: Deps) -> None:
    """The doctor's cheap checks (no Slack call), one line each; a schema behind kpibot's
    migrations stops the start (on PostgreSQL: run `kpibot db upgrade`)."""
    from handlers.ops.doctor import cheap_checks, line

    found = cheap_checks(deps, features())
    for check in found:
        click.echo(f"kpibot: doctor: {line(check)}", err=True)
    behind = [c for c in found if c.name == "migrations" and c.ok is False]
    if behind:
        raise click.ClickException(f"the database is not ready: {behind[0].detail}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of --port.")
@click.option(
    "--port",
    type=int,
    default=None,
    help="Also serve GET /healthz and GET /metrics (bearer token) on this port.",
)
def scheduler(host: str, port: int | None) -> None:
    """Run only the scheduled jobs (digests, alerts, rollups), for deployments that keep web apart.

    Any number may run against one database: each delivery is claimed there before posting.
    """
    import signal
    import threading

    settings = load_settings()
    if settings.slack_bot_token is None:
        raise click.ClickException("the scheduler posts to Slack: set SLACK_BOT_TOKEN")
    with running(settings) as deps:
        startup_checks(deps)
        jobs = build_scheduler_for(deps)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        jobs.start()
        names = scheduled_features(settings)
        click.echo(f"kpibot: scheduler running ({names}); Ctrl-C stops it", err=True)
        server = None
        if port is not None:
            server = _ops_server(deps, host, port)
            click.echo(f"kpibot: /healthz and /metrics on http://{host}:{port}", err=True)
        try:
            stop.wait()
        finally:
            if server is not None:
                server.should_exit = True
            jobs.shutdown(wait=True)


def _ops_server(deps: Deps, host: str, port: int) -> Any:
    """`/healthz` and `/metrics` of a scheduler process, served by uvicorn in a thread."""
    import threading

    import uvicorn

    from handlers.http.app import create_api

    ops = [f for f in features() if f.name == "ops"]
    config = uvicorn.Config(
        create_api(deps, ops), host=host, port=port, log_level="warning", log_config=None
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, name="ops-http", daemon=True).start()
    return server


@cli.command()
def doctor() -> None:
    """Check that kpibot can run: settings, database and migrations, Slack token and scopes,
    ops channel, connectors' secrets, a recent scheduler. One line per check; exits 1 naming
    what failed."""
    from handlers.feature import Check
    from handlers.ops.doctor import checks, line, verdict
    from handlers.slack.posting import web_client

    try:
        settings = load_settings()
    except click.ClickException as exc:
        click.echo(line(Check("settings", False, exc.message.replace("\n", " "))))
        raise click.ClickException("doctor: 1 check(s) failed: settings") from exc
    deps = build_deps(settings)
    try:
        found = [Check("settings", True, f"valid ({settings.slack_mode} mode)")]
        found += checks(deps, features(), lambda: web_client(deps))
    finally:
        deps.engine.dispose()
    for check in found:
        click.echo(line(check))
    ok, last = verdict(found)
    if not ok:
        raise click.ClickException(last)
    click.echo(last)


@cli.group()
def digest() -> None:
    """Scheduled digests: list them, or post one now."""


@digest.command("list")
def digest_list() -> None:
    """Show every subscription with its schedule, next run and last delivery."""
    from handlers.digests.commands import list_message
    from handlers.slack.terminal import render

    with running() as deps:
        click.echo(render(list_message(deps)))


@digest.command("send")
@click.argument("subscription_id", type=int)
@click.option(
    "--again",
    is_flag=True,
    help="Post a fresh copy even if the latest slot was already sent.",
)
def digest_send(subscription_id: int, again: bool) -> None:
    """Post digest SUBSCRIPTION_ID's latest slot now, with the same claim rules as the scheduler.

    A slot that failed or whose fate is unknown is claimed and posted; one already sent (or
    being sent) is refused unless --again.
    """
    from handlers.digests.deliver import DigestError, send_now

    settings = load_settings()
    if settings.slack_bot_token is None:
        raise click.ClickException("posting needs SLACK_BOT_TOKEN")
    with running(settings) as deps:
        try:
            click.echo(send_now(deps, subscription_id, again=again))
        except DigestError as exc:
            raise click.ClickException(str(exc)) from exc


@cli.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply the migrations to DATABASE_URL."""
    settings = load_settings()
    upgrade(settings.database_url, revision)
    click.echo(f"database at {make_url(settings.database_url)!r} upgraded to {revision}")


@db.command("rollup")
@click.option("--rebuild", is_flag=True, help="Drop every rollup first and build them all again.")
def db_rollup(rebuild: bool) -> None:
    """Build the daily rollups of every day that ended (the scheduler does it every 5 minutes)."""
    from handlers.rollups.jobs import refresh_now
    from storage.rollups.store import forget

    with running() as deps:
        if rebuild:
            forget(deps.sessions)
        built = refresh_now(deps)
    for cube, days in built.days.items():
        click.echo(f"{cube}: {days} day(s) built")
    for (cube, dimension), days in built.segments.items():
        click.echo(f"{cube} by {dimension}: {days} day(s) built")


def _checked_source(value: str | None) -> str | None:
    from storage.schemas import check_source

    if value is None:
        return None
    try:
        return check_source(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@cli.command("import")
@click.argument("kind", type=click.Choice(["responses", "tickets", "metrics"]))
@click.argument(
    "path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "jsonl"]),
    help="File format (default: from the name: .csv, .jsonl, .ndjson, optionally .gz).",
)
@click.option(
    "--source",
    callback=lambda _ctx, _param, value: _checked_source(value),
    help="Source of rows that name none (default: import; 1 to 64 characters, no spaces).",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid rows and write the rejected ones, with reasons, to a rejects file.",
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where --skip-invalid writes rejected rows (default: FILE.rejects.csv).",
)
@click.option(
    "--batch-size",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Lines read before their rows are validated and written together.",
)
@click.option(
    "--preset",
    help="Read a vendor's own export: zendesk, intercom, freshdesk (tickets) or typeform "
    "(responses); its rows keep the vendor's ids and source, like its webhooks'.",
)
@click.option(
    "--map",
    "mapping",
    metavar="'COLUMN=FIELD,…'",
    help="Read a CSV's columns as these fields (or attributes.NAME); other columns are ignored.",
)
@click.option("--tz", help="Time zone of the file's times that carry no offset (Europe/Paris).")
@click.option(
    "--survey",
    type=click.Choice(["nps", "csat", "ces", "enps"]),
    help="Survey of responses whose rows name none (--map, --preset typeform).",
)
@click.option(
    "--scale-max", type=click.IntRange(2, 100), help="Top of their scale (default per survey)."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def import_command(
    kind: str,
    path: Path,
    file_format: str | None,
    source: str | None,
    skip_invalid: bool,
    rejects_path: Path | None,
    batch_size: int,
    preset: str | None,
    mapping: str | None,
    tz: str | None,
    survey: str | None,
    scale_max: int | None,
    quiet: bool,
) -> None:
    """Import survey responses, tickets or metrics from a CSV or JSONL FILE.

    Idempotent like the API: re-importing a row with the same (source, external_id) updates it.
    A bad row stops the import with its line number and keeps nothing of the file. With
    --preset or --map the file is a vendor's export or any CSV (see docs/connectors.md).
    """
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from handlers.alerts.writers import AlertingResponsesWriter
    from handlers.ingest.files import RowError, detect_format, import_file

    settings = load_settings()
    try:
        fmt = file_format or detect_format(path)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    custom = preset is not None or mapping is not None
    if custom and fmt != "csv":
        raise click.UsageError("--preset and --map read CSV files")
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=True,
    )
    with running(settings) as deps:
        tune_gc()
        extra: dict[str, Any] = {}
        skips = ""
        writer: Callable[..., Any] | None = (
            AlertingResponsesWriter(deps) if kind == "responses" else None
        )
        if custom:
            from handlers.connectors.imports import plan

            try:
                chosen = plan(
                    deps,
                    kind,  # type: ignore[arg-type]
                    preset=preset,
                    mapping=mapping,
                    tz=tz,
                    survey=survey,
                    scale_max=scale_max,
                    source=source,
                )
            except ValueError as exc:
                raise click.UsageError(str(exc)) from exc
            extra = {"row_reader": chosen.row_reader, "validate": chosen.validate}
            writer = chosen.writer or writer
            source, skips = chosen.source, chosen.skips
        try:
            with progress:
                task = progress.add_task(f"{kind} ← {path.name}", total=path.stat().st_size)
                report = import_file(
                    sessions=deps.sessions,
                    kind=kind,  # type: ignore[arg-type]
                    path=path,
                    file_format=fmt,  # type: ignore[arg-type]
                    source=source,
                    skip_invalid=skip_invalid,
                    rejects_path=rejects_path,
                    batch_size=batch_size,
                    progress=lambda done: progress.update(task, completed=done),
                    writer=writer,
                    **extra,
                )
        except RowError as exc:
            message = f"{path}: {exc} (nothing of this file was imported)"
            raise click.ClickException(message) from exc
    click.echo(
        f"{path}: {report.rows} rows imported ({report.created} created, {report.updated} updated)"
    )
    if report.skipped:
        click.echo(f"{report.skipped} rows skipped: {skips}", err=True)
    if report.rejected:
        click.echo(
            f"{report.rejected} invalid rows skipped, written with their reasons to "
            f"{report.rejects_path}",
            err=True,
        )
        for error in report.errors[:5]:
            click.echo(f"  {error}", err=True)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--tz", help="Timezone of the period (default: KPIBOT_TIMEZONE).")
def kpi(words: tuple[str, ...], as_json: bool, tz: str | None) -> None:
    """Answer a KPI question: `kpibot kpi nps last-30d plan=enterprise by channel`."""
    import json

    from handlers.answers.service import KpiError, answer_text
    from handlers.answers.terminal import render
    from handlers.formatting import to_json

    with running() as deps:
        try:
            result = answer_text(deps=deps, text=" ".join(words), tz=tz)
        except KpiError as exc:
            raise click.UsageError(str(exc)) from exc
        settings = deps.settings
    if as_json:
        click.echo(json.dumps(to_json(result), indent=2, ensure_ascii=False))
    else:
        click.echo(render(result, currency=settings.currency, language=settings.language))


@cli.group()
def forget() -> None:
    """Erase personal data (GDPR art. 17)."""


@forget.command("customer")
@click.argument("customer_id")
def forget_customer_command(customer_id: str) -> None:
    """Erase CUSTOMER_ID's comments, id and free-text attributes everywhere, and redact the
    Slack messages that quoted them (scores and times stay, anonymous: KPIs are unchanged)."""
    import json

    from handlers.privacy.erase import database_note, forget_customer
    from handlers.privacy.http import checked_id
    from handlers.slack.posting import once_client

    bad = checked_id(customer_id)
    if bad is not None:
        raise click.BadParameter(bad, param_hint="CUSTOMER_ID")
    with running() as deps:
        client = once_client(deps) if deps.settings.slack_bot_token is not None else None
        done = forget_customer(deps, customer_id, client)
        report = done.as_json(database_note(deps, done))
    click.echo(json.dumps({"customer_id": customer_id, **report}, indent=2, ensure_ascii=False))
    if done.redaction.get("pending"):
        click.echo(
            f"{done.redaction['pending']} Slack message(s) not redacted yet: a running scheduler "
            "retries them until Slack takes them",
            err=True,
        )


@cli.group("export")
def export_group() -> None:
    """Export personal data (GDPR art. 15)."""


@export_group.command("customer")
@click.argument("customer_id")
def export_customer_command(customer_id: str) -> None:
    """Print everything kpibot holds about CUSTOMER_ID as JSON."""
    import json

    from handlers.privacy.export import export_customer
    from handlers.privacy.http import checked_id

    bad = checked_id(customer_id)
    if bad is not None:
        raise click.BadParameter(bad, param_hint="CUSTOMER_ID")
    with running() as deps:
        data = export_customer(deps, customer_id)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@cli.command()
def catalogue() -> None:
    """Print the KPI catalogue as a Markdown table (the README's table is this output)."""
    from kpis.catalogue import markdown_table

    click.echo(markdown_table())


@cli.command()
@click.argument("command_line")
def ask(command_line: str) -> None:
    """Run a slash command through the Slack handlers and print the reply.

    Example: kpibot ask "/kpi frt last-week by channel"
    """
    from handlers.answers.commands import reply
    from handlers.slack.terminal import render

    command, _, text = command_line.strip().partition(" ")
    with running() as deps:
        message, shared = reply(deps, commands(), command, text)
    click.echo(render(message, shared=shared))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="kpibot")


if __name__ == "__main__":
    main()
