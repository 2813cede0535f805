"""`foyer scale`: the scale-out measurements of docs/SCALING.md (issue 15).

- `households`: a household among 10,000 (5M rows) against the same household alone —
  cold, warm and first reads, plus freshness (foyer/bench/tenancy.py);
- `capacity`: the unit costs the capacity model is built from — aggregate rows and bytes
  per household-month, cache bytes per active household (foyer/bench/capacity.py);
- `workers`: 1 against 2 API worker processes, side by side in one run
  (two servers at once, measured in turn: foyer/bench/runner.py).

Each writes results.json and report.md to --out. Typer app of its own, added to `foyer`
as `app.add_typer(bench_scale.app, name="scale")`; `foyer scale`
runs it on its own.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from foyer.cli.common import console, csv_list

app = typer.Typer(help="Scale-out measurements (docs/SCALING.md).", no_args_is_help=True)


@app.callback()
def scale() -> None:
    """Scale-out measurements: many households, unit costs, worker processes."""


def _command() -> str:
    return "foyer " + " ".join(sys.argv[1:])  # argv[1] is "scale"


def _write(out: Path, data: object, report: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    (out / "report.md").write_text(report)
    console.print(report)
    console.print(f"wrote {out}/results.json and report.md")


@app.command()
def households(
    many: Annotated[str, typer.Option(help="The many-household dataset kind.")] = "hh10k",
    one: Annotated[str, typer.Option(help="The one-household dataset kind.")] = "hh1",
    sample: Annotated[int, typer.Option(min=1, help="Random households read.")] = 200,
    concurrency: Annotated[str, typer.Option(help="wrk connections.")] = "1,10",
    seconds: Annotated[float, typer.Option(min=1, help="Duration of one cell.")] = 5.0,
    rounds: Annotated[int, typer.Option(min=1, help="Alternating rounds.")] = 2,
    pairs: Annotated[int, typer.Option(min=0, help="Freshness write → read pairs.")] = 300,
    redis: Annotated[str | None, typer.Option(help="FOYER_REDIS_URL of the servers.")] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("bench-results/tenancy"),
) -> None:
    """A household among many against the same household alone (PostgreSQL)."""
    from foyer.bench.tenancy import run_tenancy
    from foyer.bench.tenancy_plan import TenancyPlan
    from foyer.bench.tenancy_report import errors, markdown

    plan = TenancyPlan(
        many=many,
        one=one,
        sample=sample,
        concurrency=[int(c) for c in csv_list(concurrency)],
        seconds=seconds,
        rounds=rounds,
        pairs=pairs,
        redis_url=redis,
    )
    data = run_tenancy(plan, console)
    _write(out, data, markdown(data, _command()))
    if errors(data) or data["freshness"]["stale"]:
        raise typer.Exit(1)


@app.command()
def capacity(
    storage: Annotated[str, typer.Option(help="Datasets whose storage is read.")] = "hh10k,10k",
    kind: Annotated[str, typer.Option(help="Dataset the servers run on.")] = "hh10k",
    households: Annotated[
        int, typer.Option(min=1, help="Households sampled for cache bytes.")
    ] = 100,
    requests: Annotated[
        int, typer.Option(min=10, help="Requests in each CPU cell's list.")
    ] = 1_000,
    concurrency: Annotated[str, typer.Option(help="wrk connections.")] = "10",
    seconds: Annotated[float, typer.Option(min=1, help="Duration of one cell.")] = 10.0,
    rounds: Annotated[int, typer.Option(min=1, help="Alternating rounds.")] = 2,
    redis: Annotated[str | None, typer.Option(help="FOYER_REDIS_URL of the servers.")] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("bench-results/capacity"),
) -> None:
    """Unit costs: storage per household-month, cache bytes per household, CPU per request."""
    from foyer.bench.capacity_run import CapacityPlan, markdown, run_capacity

    plan = CapacityPlan(
        storage_kinds=csv_list(storage),
        kind=kind,
        households=households,
        requests=requests,
        concurrency=[int(c) for c in csv_list(concurrency)],
        seconds=seconds,
        rounds=rounds,
        redis_url=redis,
    )
    data = run_capacity(plan, console)
    _write(out, data, markdown(data, _command()))


@app.command()
def workers(
    size: Annotated[str, typer.Option(help="Dataset (foyer bench --sizes).")] = "10k",
    scenarios: Annotated[str, typer.Option(help="Scenarios.")] = "summary,mixed",
    concurrency: Annotated[str, typer.Option(help="Concurrent clients.")] = "10,25,50",
    seconds: Annotated[float, typer.Option(min=1, help="Duration of one cell.")] = 6.0,
    rounds: Annotated[int, typer.Option(min=1, help="Alternating rounds.")] = 2,
    counts: Annotated[str, typer.Option(help="Worker processes of each server.")] = "1,2",
    redis: Annotated[str | None, typer.Option(help="FOYER_REDIS_URL of the servers.")] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("bench-results/workers"),
) -> None:
    """1 against 2 API worker processes on PostgreSQL, side by side in one run."""
    from foyer.bench.load import have_wrk
    from foyer.bench.workers import markdown, run_workers, worker_plan

    if not have_wrk():
        raise typer.BadParameter("wrk is not installed (apt-get install wrk)")
    plan = worker_plan(
        size=size,
        redis_url=redis,
        scenarios=csv_list(scenarios),
        concurrency=[int(c) for c in csv_list(concurrency)],
        seconds=seconds,
        rounds=rounds,
        counts=tuple(int(n) for n in csv_list(counts)),
    )
    data = run_workers(plan, console)
    data["meta"]["command"] = _command()
    _write(out, data, markdown(data, _command()))


if __name__ == "__main__":
    app()
