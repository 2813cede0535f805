"""The `foyer` command: serve, migrate, user create, demo, aggregates, advise, bench."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from foyer.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="foyer: the couple's budget dashboard.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(user_app, name="user")
aggregates_app = typer.Typer(
    help="Check or reload the materialised aggregates.", no_args_is_help=True
)
app.add_typer(aggregates_app, name="aggregates")
console = Console()


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    """An engine for one command, its pool closed afterwards."""
    from foyer.db.engine import make_engine

    engine = make_engine(settings)
    try:
        yield engine
    finally:
        engine.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    import uvicorn

    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the start-up schema check
    console.print(f"foyer on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "foyer.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    down: Annotated[bool, typer.Option("--down", help="Downgrade to --revision.")] = False,
) -> None:
    """Bring the database schema up to date (or down with --down)."""
    from foyer.db import migrate as migrations

    with _engine(Settings()) as engine:
        if down:
            migrations.downgrade(engine, revision)
        else:
            migrations.upgrade(engine, revision)
        heads = sorted(migrations.current_heads(engine))
    console.print(f"schema at {heads or 'base'}")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Login email.")],
    password: Annotated[str, typer.Option(help="Password (8+ characters).")],
    household: Annotated[str, typer.Option(help="Household name; joined if it exists.")],
    operator: Annotated[bool, typer.Option(help="May reach /api/v1/monitoring.")] = False,
) -> None:
    """Create a user in a household (created with a default configuration if new)."""
    from foyer.auth.service import UserExistsError, create_user
    from foyer.db.engine import unit_of_work

    if len(password) < 8:
        raise typer.BadParameter("password must have at least 8 characters")
    try:
        with _engine(Settings()) as engine, unit_of_work(engine) as conn:
            user = create_user(
                conn, email=email, password=password, household_name=household, operator=operator
            )
    except UserExistsError:
        console.print(f"[red]a user with email {email!r} already exists[/red]")
        raise typer.Exit(1) from None
    console.print(f"user {user.email} (id {user.id}) in household {household!r}")


@app.command()
def demo(
    months: Annotated[int, typer.Option(min=1, max=600)] = 36,
    transactions_per_month: Annotated[int, typer.Option(min=0, max=1_000_000)] = 300,
    households: Annotated[int, typer.Option(min=1, max=1000)] = 1,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 42,
    password: Annotated[str | None, typer.Option(help="Demo password; random if unset.")] = None,
    login_file: Annotated[
        Path | None, typer.Option(help="Also write the demo login to this file.")
    ] = None,
    if_missing: Annotated[
        bool, typer.Option(help="Do nothing when the demo user already exists.")
    ] = False,
) -> None:
    """Create demo households, users and realistic data (bulk-loaded)."""
    from foyer.demo import DemoExistsError, DemoSpec, load_demo

    password = password or secrets.token_urlsafe(9)
    spec = DemoSpec(
        months=months,
        transactions_per_month=transactions_per_month,
        households=households,
        seed=seed,
        password=password,
    )
    try:
        with _engine(Settings()) as engine:
            logins = load_demo(engine, spec, console=console)
    except DemoExistsError as exc:
        if if_missing:
            console.print(f"demo data already present ({exc})")
            return
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    text = "\n".join(f"login: {email}  password: {password}" for email in logins)
    console.print(text)
    if login_file:
        login_file.write_text(text + "\n")
        login_file.chmod(0o600)


HouseholdOption = Annotated[
    int | None, typer.Option("--household", help="Only this household id (default: all).")
]


@aggregates_app.command("verify")
def aggregates_verify(household: HouseholdOption = None) -> None:
    """Compare every aggregate with a recomputation from the rows; exit 1 on any difference."""
    from foyer.db.engine import read_connection
    from foyer.services import aggregates

    with _engine(Settings()) as engine, read_connection(engine) as conn:
        mismatches = aggregates.verify(conn, household)
    for m in mismatches[:50]:
        console.print(f"[red]{m.table}[/red] {m.key}: stored {m.stored}, expected {m.expected}")
    if mismatches:
        console.print(
            f"[red]{len(mismatches)} aggregate group(s) differ[/red]; fix: foyer aggregates rebuild"
        )
        raise typer.Exit(1)
    console.print("aggregates exact: every group equals its recomputation")


@aggregates_app.command("rebuild")
def aggregates_rebuild(household: HouseholdOption = None) -> None:
    """Reload the aggregates from the rows, in one transaction (writers wait meanwhile)."""
    from foyer.db.engine import unit_of_work
    from foyer.services import aggregates

    with _engine(Settings()) as engine, unit_of_work(engine) as conn:
        counts = aggregates.rebuild(conn, household)
    console.print("rebuilt: " + ", ".join(f"{table} {n:,} groups" for table, n in counts.items()))


@app.command()
def advise() -> None:
    """Print every hot-path read query with its plan; flag scans, sorts and unused indexes."""
    from foyer.db.engine import read_connection
    from foyer.read.plans import find_sample, plans, unused_indexes

    with _engine(Settings()) as engine, read_connection(engine) as conn:
        try:
            sample = find_sample(conn)
        except LookupError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        found = plans(conn, sample)
        dialect = conn.dialect.name
    console.print(
        f"{len(found)} queries on {dialect}, sampled with household {sample.household_id}, "
        f"month {sample.month}, category {sample.category!r}\n"
    )
    for plan in found:
        mark = "[red]FLAG[/red]" if plan.flags else "[green]ok[/green]"
        console.print(f"{mark} [bold]{plan.name}[/bold]")
        console.print(plan.sql, markup=False, highlight=False, soft_wrap=True)
        for line in plan.lines:
            console.print(f"    {line}", markup=False, highlight=False, soft_wrap=True)
        for flag in plan.flags:
            console.print(f"    [red]! {flag}[/red]")
        console.print()
    flagged = [p for p in found if p.flags]
    unused = sorted(unused_indexes(found))
    for name in unused:
        console.print(f"[yellow]unused index[/yellow] {name}: no registered query reads it")
    console.print(
        f"{len(found) - len(flagged)} of {len(found)} plans clean; {len(unused)} unused index(es)"
    )
    if flagged or unused:
        raise typer.Exit(1)


def _micro(dbs: list[str], sizes: list[str], folder: Path, command: str) -> None:
    import orjson

    from foyer.bench.micro import page_depth, write_cost

    folder.mkdir(parents=True, exist_ok=True)
    writes, pages = [], []
    lines = [
        "# foyer micro-benchmarks",
        "",
        f"- command: `{command}`",
        "",
        "## Write cost of the aggregates",
        "",
        "Median time per transaction (bulk: one 10,000-row insert; single: one one-row "
        "insert), rows plus aggregates vs the plain insert, alternating, one database.",
        "",
        "| database | kind | plain | with aggregates | ratio | plain rows/s "
        "| with aggregates rows/s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for db in dbs:
        console.print(f"write cost on {db}…")
        result = write_cost(db)
        writes.append(result)
        for kind in ("bulk", "single"):
            plain, maintained = result[kind]["plain"], result[kind]["aggregates"]
            lines.append(
                f"| {db} | {kind} | {plain['median_s'] * 1000:,.2f} ms "
                f"| {maintained['median_s'] * 1000:,.2f} ms | {result[kind + '_ratio']:.2f} "
                f"| {plain['rows_per_s']:,.0f} | {maintained['rows_per_s']:,.0f} |"
            )
    lines += [
        "",
        "## Keyset page depth",
        "",
        "Median time of one 50-row page (service call, tags included).",
        "",
        "| database | size | listing | rows | deep page | page 1 ms | deep page ms | ratio |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for db in dbs:
        for size in sizes:
            console.print(f"page depth on {db} {size}…")
            for row in page_depth(db, size):
                pages.append(row)
                lines.append(
                    f"| {db} | {size} | {row['listing']} | {row['rows_in_listing']:,} "
                    f"| {row['deep_page']:,} | {row['first_ms']:.2f} | {row['deep_ms']:.2f} "
                    f"| {row['ratio']:.2f} |"
                )
    report = "\n".join(lines) + "\n"
    data = {"command": command, "writes": writes, "pages": pages}
    (folder / "micro.json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    (folder / "micro.md").write_text(report)
    console.print(report, markup=False, highlight=False, soft_wrap=True)


def _server_configs(
    engines: list[str],
    caches: list[str],
    workers: int,
    redis: str | None,
    warm_recent: list[str] | None = None,
) -> list[Any]:
    from foyer.bench.server import ServerConfig

    def per_engine(values: list[str], option: str) -> list[str]:
        values = values * len(engines) if len(values) == 1 else values
        if len(values) != len(engines):
            raise typer.BadParameter(f"{option}: once or once per engine")
        return values

    caches = per_engine(caches, "--cache")
    if not set(caches) <= {"on", "off"}:
        raise typer.BadParameter("--cache: on or off")
    warms = per_engine(warm_recent or ["32"], "--warm-recent")
    if not all(w.isdigit() for w in warms):
        raise typer.BadParameter("--warm-recent: whole numbers")
    # Named after the engine, plus the cache and warming when they differ between them.
    configs = []
    for engine, on, warm in zip(engines, caches, warms, strict=True):
        name = engine
        if len(set(caches)) > 1 and on == "on":
            name += "+cache"
        if len(set(warms)) > 1 and on == "on" and warm == "0":
            name += "+nowarm"
        configs.append(
            ServerConfig(
                name,
                engine=engine,
                cache=on,
                workers=workers,
                redis_url=redis,
                extra_env={"FOYER_CACHE_WARM_RECENT": warm},
            )
        )
    if len({c.name for c in configs}) != len(configs):
        raise typer.BadParameter("two servers would have the same configuration")
    return configs


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@app.command()
def bench(
    quick: Annotated[
        bool, typer.Option(help="10k rows, 3 scenarios, 3 s cells (< 3 min).")
    ] = False,
    smoke: Annotated[bool, typer.Option(help="CI smoke: fail when a ratio regresses.")] = False,
    micro: Annotated[
        bool,
        typer.Option(
            help="In-process instead: aggregate write cost and keyset page depth "
            "(--db may list both databases)."
        ),
    ] = False,
    sizes: Annotated[str, typer.Option(help="Datasets: 10k,100k,1m,5m.")] = "10k,1m",
    db: Annotated[str, typer.Option(help="sqlite or postgresql.")] = "sqlite",
    engines: Annotated[
        str, typer.Option(help="Engines to compare, one server each.")
    ] = "reference",
    scenarios: Annotated[str, typer.Option(help="Scenario names (default all).")] = "",
    concurrency: Annotated[str, typer.Option(help="Concurrent clients.")] = "1,10,25,50",
    seconds: Annotated[float, typer.Option(min=0.5, help="Duration of one cell.")] = 10.0,
    rounds: Annotated[int, typer.Option(min=1, help="Alternating rounds.")] = 2,
    workers: Annotated[int, typer.Option(min=1, help="Server worker processes.")] = 1,
    cache: Annotated[
        str,
        typer.Option(
            help="FOYER_CACHE of the servers: on or off, or one per engine "
            "(--engines reference,optimized --cache off,on)."
        ),
    ] = "off",
    redis: Annotated[
        str | None, typer.Option(help="FOYER_REDIS_URL of the servers (unset: no Redis).")
    ] = None,
    warm_recent: Annotated[
        str,
        typer.Option(
            help="FOYER_CACHE_WARM_RECENT of the servers, or one per engine "
            "(--engines optimized,optimized --cache on --warm-recent 32,0)."
        ),
    ] = "32",
    generator: Annotated[str, typer.Option(help="wrk or python.")] = "wrk",
    out: Annotated[Path | None, typer.Option(help="Output folder.")] = None,
) -> None:
    """Benchmark foyer side by side (see docs/PERFORMANCE.md)."""
    import datetime as dt
    import sys

    import orjson

    from foyer.bench.load import have_wrk
    from foyer.bench.report import aggregate, charts, growth, markdown, ratios
    from foyer.bench.runner import Plan, run_plan
    from foyer.bench.scenarios import BUILDERS
    from foyer.bench.smoke import run_smoke

    if smoke:
        passed, rows = run_smoke(console)
        for row in rows:
            verdict = "ok" if row["ok"] else "REGRESSED"
            console.print(
                f"smoke {row['scenario']} c={row['concurrency']} {row['pair']}: throughput "
                f"ratio {row['throughput_ratio']:.2f} (floor {row['floor']:.2f}) {verdict}"
            )
        raise typer.Exit(0 if passed else 1)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = out or Path("bench-results") / stamp
    if micro:
        _micro(_csv(db), _csv(sizes), folder, "foyer " + " ".join(sys.argv[1:]))
        return
    plan = Plan(
        sizes=_csv(sizes),
        db=db,
        configs=_server_configs(_csv(engines), _csv(cache), workers, redis, _csv(warm_recent)),
        scenarios=_csv(scenarios) or list(BUILDERS),
        concurrency=[int(c) for c in _csv(concurrency)],
        seconds=seconds,
        rounds=rounds,
        generator=generator,
    )
    if quick:
        plan.sizes, plan.scenarios = ["10k"], ["summary", "drill_down", "mixed"]
        plan.concurrency, plan.seconds = [1, 10, 50], 3.0
    unknown = [s for s in plan.scenarios if s not in BUILDERS]
    if unknown:
        raise typer.BadParameter(f"unknown scenario(s) {unknown}; choose from {list(BUILDERS)}")
    if plan.generator == "wrk" and not have_wrk():
        raise typer.BadParameter(
            "wrk is not installed (apt-get install wrk), or use --generator python"
        )
    folder.mkdir(parents=True, exist_ok=True)
    data = run_plan(plan, console)
    cells = aggregate(data["results"])
    data["ratios"] = ratios(cells)
    data["growth"] = growth(cells)
    command = "foyer " + " ".join(sys.argv[1:])
    data["meta"]["command"] = command
    (folder / "results.json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    (folder / "report.md").write_text(markdown(data, cells, command))
    pictures = charts(cells, folder)
    console.print(f"wrote {folder}/results.json, report.md and {len(pictures)} charts")
