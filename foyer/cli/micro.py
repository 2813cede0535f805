"""`foyer bench --micro`: run the in-process micro-benchmarks and write their report.

Aggregate write cost, keyset page depth and (PostgreSQL) writes contending for one
month's aggregate rows, measured by `foyer.bench.micro`; this module
only runs them over the chosen databases and sizes and writes micro.json and micro.md.
"""

from __future__ import annotations

from pathlib import Path

from foyer.cli.common import console


def run_micro(dbs: list[str], sizes: list[str], folder: Path, command: str) -> None:
    import orjson

    from foyer.bench.micro import contended_writes, page_depth, write_cost

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
    contended = [contended_writes(db) for db in dbs if db == "postgresql"]
    if contended:
        lines += [
            "",
            "## Writes into one month, the COMMIT joined to the aggregates (PostgreSQL)",
            "",
            "8 threads, one row per unit of work into the same month (the same aggregate "
            "rows), one more thread keeping the interpreter busy; `foyer.db.tail` against "
            "the COMMIT sent alone, alternating, medians of 3 runs of 3 s.",
            "",
            "| writes/s joined | writes/s separate | ratio | p50 ms joined / separate "
            "| p95 ms joined / separate |",
            "|---:|---:|---:|---:|---:|",
        ]
        for row in contended:
            joined, separate = row["joined"], row["separate"]
            lines.append(
                f"| {joined['writes_per_s']:,.0f} | {separate['writes_per_s']:,.0f} "
                f"| {row['writes_per_s_ratio']:.2f} "
                f"| {joined['p50_ms']:.1f} / {separate['p50_ms']:.1f} "
                f"| {joined['p95_ms']:.1f} / {separate['p95_ms']:.1f} |"
            )
    report = "\n".join(lines) + "\n"
    data = {"command": command, "writes": writes, "pages": pages, "contended": contended}
    (folder / "micro.json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    (folder / "micro.md").write_text(report)
    console.print(report, markup=False, highlight=False, soft_wrap=True)
