"""`foyer bench --imports`: run the import benchmark over databases and sizes, write its report.

The measuring is `foyer.bench.imports`; this module only runs it for each database and
size (sizes in rows: `100k`, `1m`) and writes imports.json and imports.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from foyer.cli.common import console


def _row(result: dict[str, Any]) -> str:
    base, api, preview, rss = (
        result["insert_rows"],
        result["api"],
        result["preview"],
        result["rss_mib"],
    )
    return (
        f"| {result['db']} | {result['rows']:,} | {result['files']} × "
        f"{result['file_rows']:,} ({result['file_mib_max']:.1f} MiB) "
        f"| {base['rows_per_s']:,.0f} | {api['rows_per_s']:,.0f} | **{result['ratio']:.2f}** "
        f"| {api['wall_rows_per_s']:,.0f} | {result['wall_ratio']:.2f} "
        f"| {preview['median_s']:.2f} / {preview['max_s']:.2f} | {preview['all_duplicates_s']:.2f} "
        f"| {rss['start']:.0f} / {rss['peak']:.0f} / {rss['growth']:.0f} "
        f"| {_heap(rss)} | {_per_file(rss['heap_peak_each_file'])} |"
    )


def _heap(rss: dict[str, Any]) -> str:
    if "heap_start" not in rss:
        return "–"
    return f"{rss['heap_start']:.0f} / {rss['heap_peak']:.0f} / **{rss['heap_growth']:.0f}**"


def _per_file(peaks: list[float]) -> str:
    if not peaks:
        return "–"
    return f"{peaks[0]:.0f} / {peaks[-1]:.0f}"


def report(results: list[dict[str, Any]], command: str) -> str:
    lines = [
        "# foyer import benchmark",
        "",
        f"- command: `{command}`",
        "",
        "Rows per second over the whole run: `insert_rows` alone (one unit of work per file) "
        "and the import through the API (preview request + the commit job's own run; wall: "
        "from each upload to the job seen succeeded, queue pickup and polling included). "
        "Ratio = import rows/s ÷ insert_rows rows/s. Preview: seconds from the POST to the "
        "201, median / max over the files; then a file already imported uploaded again "
        "(every row a duplicate). Memory: the server process's resident MiB after a "
        "warm-up import / peak during the run / growth, in all (SQLite's mmap of the "
        "database file included) and of its heap alone (RssAnon, sampled every 20 ms); "
        "and the heap's peak while importing the first file / the last.",
        "",
        "| database | rows | files | insert_rows rows/s | import rows/s | ratio "
        "| import rows/s (wall) | wall ratio | preview s | all-duplicates preview s "
        "| RSS start / peak / growth | heap start / peak / growth | heap peak, file 1 / last |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(_row(result) for result in results),
    ]
    return "\n".join(lines) + "\n"


def run_import_bench(
    dbs: list[str], sizes: list[str], file_rows: int, folder: Path, command: str
) -> None:
    import tempfile

    import orjson

    from foyer.bench.imports import parse_size, run_one

    folder.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="foyer-bench-imports-") as tmp:
        for db in dbs:
            for size in sizes:
                rows = parse_size(size)
                console.print(f"imports on {db}, {rows:,} rows in files of {file_rows:,}…")
                workdir = Path(tmp) / f"{db}-{size}"
                results.append(run_one(db, rows, file_rows, workdir, console))
    text = report(results, command)
    data = {"command": command, "results": results}
    (folder / "imports.json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    (folder / "imports.md").write_text(text)
    console.print(text, markup=False, highlight=False, soft_wrap=True)
