"""How rows get their categories: the household's rules, the mappings it confirmed for its
bank files, and the log of its own recategorisations (SPEC §8)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from foyer.db.schema.base import BigId, household_fk, metadata

# Rules (foyer.services.rules): `conditions` and `actions` are the JSON of the wire's
# `match` and `set` (foyer.domain.categorisation checks them). Applied in (priority, id)
# order, which is one range of the index.
rule = Table(
    "rule",
    metadata,
    Column("id", BigId, primary_key=True),
    household_fk(),
    Column("name", String(100), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("conditions", Text, nullable=False),
    Column("actions", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "household_id", "priority", "id"),
)

# A column mapping (and dialect) the household confirmed for a bank file, under the file's
# header signature (foyer.imports.signature): proposed first for the next file with the
# same header. `detection` is the JSON foyer.read.imports.detection_json writes.
import_mapping = Table(
    "import_mapping",
    metadata,
    household_fk(),
    Column("signature", String(64), nullable=False),
    Column("detection", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("household_id", "signature"),
)

# Every recategorisation a member made (a PATCH that changed a row's category), keyed by
# the row's folded label: the rule suggestions (foyer.read.rules) count them.
recategorisation = Table(
    "recategorisation",
    metadata,
    Column("id", BigId, primary_key=True),
    household_fk(),
    Column("label_key", String(500), nullable=False),
    Column("label", String(500), nullable=False),
    Column("category", String(100), nullable=False),
    Column("category_parent", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "household_id", "label_key"),
)
