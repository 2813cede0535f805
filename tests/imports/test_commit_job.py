"""The commit job's steps: the file is parsed before the write transaction (progress 0.5),
and a parse made with a detection that changed since (a PATCH in between) is not used."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Engine, select

from foyer.db.engine import Database
from foyer.db.schema import bank_transaction
from foyer.imports import ColumnMapping
from foyer.jobs import JobContext
from foyer.jobs.kinds import commit_import
from foyer.read.imports import parse_file
from foyer.services import imports
from tests.factories import make_households, unit_of_work

CONTENT = b"Date;Libelle;Montant;Frais\n05/02/2024;ABONNEMENT;-10,00;-1,00\n"


def stage(engine: Engine, household: int) -> imports.Staged:
    with unit_of_work(engine) as conn:
        return imports.create_import(
            conn, household_id=household, file_name="r.csv", content=CONTENT, account="joint"
        )


def test_the_job_reports_progress_once_the_file_is_parsed(engine: Engine) -> None:
    household, _ = make_households(engine)
    staged = stage(engine, household)
    seen: list[float] = []
    ctx = JobContext(
        database=Database(engine),
        job_id=0,
        household_id=household,
        payload={"import_id": staged.import_id},
        attempt=1,
        progress=seen.append,
    )

    result: dict[str, Any] = commit_import(ctx)

    assert seen == [0.5, 1.0]
    assert result == {"rows": 1, "inserted": 1, "duplicates": 0, "errors": 0}


def test_a_parse_made_before_a_patch_is_not_used(engine: Engine) -> None:
    household, _ = make_households(engine)
    staged = stage(engine, household)
    early = parse_file(CONTENT, staged.detection)  # read with "Montant"
    fees = ColumnMapping(date="Date", label="Libelle", amount="Frais")
    with unit_of_work(engine) as conn:
        imports.update_import(
            conn, household_id=household, import_id=staged.import_id, dialect=None, mapping=fees
        )

    with unit_of_work(engine) as conn:
        imports.commit_import(
            conn, household_id=household, import_id=staged.import_id, parsed=early
        )

    with engine.connect() as conn:
        amounts = conn.execute(
            select(bank_transaction.c.amount_cents).where(
                bank_transaction.c.household_id == household
            )
        ).scalars()
        assert list(amounts) == [-100]  # the fee column, as the PATCH said
    assert dataclasses.replace(early.detection, mapping=fees) != early.detection
