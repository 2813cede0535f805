"""No `async` function of foyer opens a unit of work or a read connection itself.

An `async` route runs on the event loop: a write that waits for SQLite's writer lock or a
PostgreSQL row lock there holds up every request of the process, hits included. Such
work goes to the thread pool (`foyer.api.threaded.in_unit_of_work`, `json_in_thread`,
`run_in_threadpool`) or the route is a plain `def` (FastAPI runs it there). Functions
nested in an `async` one (the work handed to the thread pool) are allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import foyer

PACKAGE = Path(foyer.__file__).parent
OPENERS = {"unit_of_work", "read"}


def loop_opens(source: str) -> list[tuple[str, int]]:
    """(async function, line) of every `<x>.database.unit_of_work` / `.read` reached
    directly from an `async def` body (nested functions and lambdas left out)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.AsyncFunctionDef):
            continue
        stack: list[ast.AST] = list(node.body)
        while stack:
            item = stack.pop()
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if (
                isinstance(item, ast.Attribute)
                and item.attr in OPENERS
                and isinstance(item.value, ast.Attribute)
                and item.value.attr == "database"
            ):
                found.append((node.name, item.lineno))
            stack.extend(ast.iter_child_nodes(item))
    return found


def test_no_async_function_opens_the_database_on_the_event_loop() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line} ({name})"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name, line in loop_opens(path.read_text())
    ]
    assert offenders == []


def test_the_check_finds_what_it_looks_for() -> None:
    # The checker can fail: the shape the three web routes had before.
    bad = (
        "async def route(state):\n"
        "    with state.database.unit_of_work() as conn:\n"
        "        write(conn)\n"
    )
    good = (
        "async def route(state):\n"
        "    def work():\n"
        "        with state.database.read() as conn:\n"
        "            return read(conn)\n"
        "    return await run_in_threadpool(work)\n"
    )
    assert loop_opens(bad) == [("route", 2)]
    assert loop_opens(good) == []
