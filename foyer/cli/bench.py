"""`foyer bench`: side-by-side load benchmarks of the dashboard's readers (docs/PERFORMANCE.md),
and with `--micro`, `--imports` or `--web` the write-cost, bank-import and web-dashboard
(headless Chromium) benchmarks instead; with `--soak`, a long run of the mixed session that
watches the server's memory and open files (foyer/bench/soak.py).

A "reader" here is the dashboard read path a server runs (`FOYER_READER`: reference or
optimized), not the SQLAlchemy engine. One server per configuration; `--cache`,
`--warm-recent` give one value for all servers or one per reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from foyer.cli.common import console, csv_list

if TYPE_CHECKING:
    from foyer.bench.server import ServerConfig


def server_configs(
    readers: list[str],
    caches: list[str],
    workers: int,
    redis: str | None,
    warm_recent: list[str] | None = None,
    monitoring: list[str] | None = None,
    stamp_feed: list[str] | None = None,
    trees: list[str] | None = None,
) -> list[ServerConfig]:
    """One server configuration per reader, named by what differs between them."""
    from foyer.bench.report import NO_MONITORING, TREE
    from foyer.bench.server import ServerConfig

    def per_reader(values: list[str], option: str) -> list[str]:
        values = values * len(readers) if len(values) == 1 else values
        if len(values) != len(readers):
            raise typer.BadParameter(f"{option}: once or once per reader")
        return values

    caches = per_reader(caches, "--cache")
    if not set(caches) <= {"on", "off"}:
        raise typer.BadParameter("--cache: on or off")
    warms = per_reader(warm_recent or ["32"], "--warm-recent")
    if not all(w.isdigit() for w in warms):
        raise typer.BadParameter("--warm-recent: whole numbers")
    monitors = per_reader(monitoring or ["on"], "--monitoring")
    if not set(monitors) <= {"on", "off"}:
        raise typer.BadParameter("--monitoring: on or off")
    feeds = per_reader(stamp_feed or ["on"], "--stamp-feed")
    if not set(feeds) <= {"on", "off"}:
        raise typer.BadParameter("--stamp-feed: on or off")
    code = per_reader(trees or ["."], "--tree")
    for tree in code:
        if tree != "." and not (Path(tree) / "foyer" / "app.py").is_file():
            raise typer.BadParameter(f"--tree: {tree} holds no foyer checkout (foyer/app.py)")
    # Named after the reader, plus the cache, warming, monitoring and feed when they differ.
    configs = []
    for reader, on, warm, watched, fed, tree in zip(
        readers, caches, warms, monitors, feeds, code, strict=True
    ):
        name = reader
        if len(set(caches)) > 1 and on == "on":
            name += "+cache"
        if len(set(warms)) > 1 and on == "on" and warm == "0":
            name += "+nowarm"
        if len(set(monitors)) > 1 and watched == "off":
            name += NO_MONITORING
        if len(set(feeds)) > 1 and fed == "off":
            name += "+nofeed"
        elsewhere = None if tree == "." else str(Path(tree).resolve())
        if elsewhere is not None:
            name += TREE + Path(elsewhere).name
        configs.append(
            ServerConfig(
                name,
                reader=reader,
                cache=on,
                workers=workers,
                redis_url=redis,
                extra_env={
                    "FOYER_CACHE_WARM_RECENT": warm,
                    "FOYER_MONITORING": watched,
                    "FOYER_STAMP_FEED": fed,
                },
                tree=elsewhere,
            )
        )
    if len({c.name for c in configs}) != len(configs):
        raise typer.BadParameter("two servers would have the same configuration")
    return configs


def bench(
    quick: Annotated[
        bool, typer.Option(help="10k rows, 3 scenarios, 3 s cells (< 3 min).")
    ] = False,
    smoke: Annotated[bool, typer.Option(help="CI smoke: fail when a ratio regresses.")] = False,
    micro: Annotated[
        bool,
        typer.Option(
            help="In-process instead: aggregate write cost, keyset page depth and, on "
            "PostgreSQL, writes contending for one month (--db may list both databases)."
        ),
    ] = False,
    imports: Annotated[
        bool,
        typer.Option(
            help="Instead: bank imports through the API against insert_rows alone, side by "
            "side (--db may list both; --sizes in rows, e.g. 100k,1m)."
        ),
    ] = False,
    file_rows: Annotated[
        int, typer.Option(min=4, help="--imports: rows per uploaded file.")
    ] = 100_000,
    web: Annotated[
        bool,
        typer.Option(
            help="Instead: the web dashboard in headless Chromium (first paint cold and "
            "warm, drill-down, edit, bytes transferred) beside the API's warm hits "
            "(--db may list both; writes web.json and web.md, by default to docs/bench/web)."
        ),
    ] = False,
    cold: Annotated[
        int, typer.Option(min=1, help="--web: cold loads of each kind (fresh server, new month).")
    ] = 5,
    warm: Annotated[
        int, typer.Option(min=1, help="--web: warm loads, drill-downs and edits.")
    ] = 10,
    screenshots: Annotated[
        Path | None,
        typer.Option(
            help="--web: instead of timing, write the documentation's screenshots to this "
            "folder (first --db and --sizes; scripts/screenshots)."
        ),
    ] = None,
    soak: Annotated[
        bool,
        typer.Option(
            help="Instead: --clients clients replaying the mixed session for --minutes "
            "against one server (optimized reader, cache on; the first of --sizes, --db, "
            "--workers, --redis), its RSS and open files sampled; exit 1 unless 0 errors "
            "and both flat within 10 % after --warmup (writes soak.json and soak.md)."
        ),
    ] = False,
    clients: Annotated[int, typer.Option(min=1, help="--soak: concurrent clients.")] = 50,
    minutes: Annotated[float, typer.Option(min=0.01, help="--soak: duration.")] = 10.0,
    warmup: Annotated[
        float, typer.Option(min=0.0, help="--soak: seconds of warm-up, left out of the verdict.")
    ] = 60.0,
    sizes: Annotated[str, typer.Option(help="Datasets: 10k,100k,1m,5m.")] = "10k,1m",
    db: Annotated[str, typer.Option(help="sqlite or postgresql.")] = "sqlite",
    readers: Annotated[
        str, typer.Option(help="Readers (FOYER_READER) to compare, one server each.")
    ] = "reference",
    scenarios: Annotated[str, typer.Option(help="Scenario names (default all).")] = "",
    concurrency: Annotated[str, typer.Option(help="Concurrent clients.")] = "1,10,25,50",
    seconds: Annotated[float, typer.Option(min=0.5, help="Duration of one cell.")] = 10.0,
    rounds: Annotated[int, typer.Option(min=1, help="Alternating rounds.")] = 2,
    workers: Annotated[int, typer.Option(min=1, help="Server worker processes.")] = 1,
    cache: Annotated[
        str,
        typer.Option(
            help="FOYER_CACHE of the servers: on or off, or one per reader "
            "(--readers reference,optimized --cache off,on)."
        ),
    ] = "off",
    redis: Annotated[
        str | None, typer.Option(help="FOYER_REDIS_URL of the servers (unset: no Redis).")
    ] = None,
    warm_recent: Annotated[
        str,
        typer.Option(
            help="FOYER_CACHE_WARM_RECENT of the servers, or one per reader "
            "(--readers optimized,optimized --cache on --warm-recent 32,0)."
        ),
    ] = "32",
    monitoring: Annotated[
        str,
        typer.Option(
            help="FOYER_MONITORING of the servers, or one per reader: what operations cost "
            "(--readers optimized,optimized --cache on --monitoring on,off)."
        ),
    ] = "on",
    stamp_feed: Annotated[
        str,
        typer.Option(
            help="FOYER_STAMP_FEED of the servers (PostgreSQL), or one per reader "
            "(--readers optimized,optimized --cache on --stamp-feed on,off)."
        ),
    ] = "on",
    tree: Annotated[
        str,
        typer.Option(
            help="The code each server runs: `.` this checkout, or another one's folder, once "
            "or once per reader — a change against the code before it, side by side "
            "(`git worktree add /tmp/before HEAD~1`; --readers optimized,optimized --cache on "
            "--tree .,/tmp/before: the target `optimized@before`)."
        ),
    ] = ".",
    generator: Annotated[str, typer.Option(help="wrk or python.")] = "wrk",
    bare: Annotated[
        bool,
        typer.Option(
            help="Also replay each read-only scenario's answers from a bare FastAPI app in "
            "its own process (the target `bare`; ratios `X / bare`)."
        ),
    ] = True,
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
    from foyer.cli.bench_imports import run_import_bench
    from foyer.cli.bench_web import run_web_bench
    from foyer.cli.micro import run_micro

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
        run_micro(csv_list(db), csv_list(sizes), folder, "foyer " + " ".join(sys.argv[1:]))
        return
    if imports:
        command = "foyer " + " ".join(sys.argv[1:])
        run_import_bench(csv_list(db), csv_list(sizes), file_rows, folder, command)
        return
    if web:
        command = "foyer " + " ".join(sys.argv[1:])
        run_web_bench(csv_list(db), csv_list(sizes), cold, warm, out, screenshots, command)
        return
    if soak:
        from foyer.bench.soak import SoakPlan, soak_command

        raise typer.Exit(
            soak_command(
                SoakPlan(clients, minutes * 60, csv_list(sizes)[0], db, workers, redis, warmup),
                folder,
                console,
            )
        )
    plan = Plan(
        sizes=csv_list(sizes),
        db=db,
        configs=server_configs(
            csv_list(readers),
            csv_list(cache),
            workers,
            redis,
            csv_list(warm_recent),
            csv_list(monitoring),
            csv_list(stamp_feed),
            csv_list(tree),
        ),
        scenarios=csv_list(scenarios) or list(BUILDERS),
        concurrency=[int(c) for c in csv_list(concurrency)],
        seconds=seconds,
        rounds=rounds,
        generator=generator,
        bare=bare,
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
