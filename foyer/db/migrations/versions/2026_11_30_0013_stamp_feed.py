"""PostgreSQL: every data_stamp change announced on the channel foyer_stamps (NOTIFY)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 23:50:00

Issue 15: API processes keep the data stamps in memory, fed by these notifications
(foyer/cache/feed.py), instead of reading them over the network on every cache hit.
Triggers, not application code, so no path that writes data_stamp can forget to announce
it: the upsert of `foyer.services.stamps.renew` (INSERT ... ON CONFLICT DO UPDATE fires
both the INSERT and the UPDATE statement triggers), a household's deletion cascading to
its stamps (announced as 0, the stamp of a scope that has none), a restore's COPY.
Statement-level with transition tables: one trigger call per statement, not per row.
NOTIFY is transactional: listeners hear a change when, and only if, it commits, in
commit order. A payload holds lines "<household_id> <scope> <stamp>" and stays under
PostgreSQL's 8000-byte limit (a bulk import renewing hundreds of scopes sends several).
SQLite has no NOTIFY and no feed: nothing to do there.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION foyer_announce_stamps() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    payload text := '';
    line text;
BEGIN
    FOR line IN
        SELECT household_id || ' ' || scope || ' '
               || CASE WHEN TG_OP = 'DELETE' THEN 0 ELSE stamp END
        FROM changed_stamps
    LOOP
        IF length(payload) + length(line) > 7900 THEN
            PERFORM pg_notify('foyer_stamps', payload);
            payload := '';
        END IF;
        payload := payload || line || E'\\n';
    END LOOP;
    IF payload <> '' THEN
        PERFORM pg_notify('foyer_stamps', payload);
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGERS = {
    "insert": "NEW TABLE AS changed_stamps",
    "update": "NEW TABLE AS changed_stamps",
    "delete": "OLD TABLE AS changed_stamps",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    for event, transition in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER data_stamp_announce_{event} AFTER {event.upper()} ON data_stamp "
            f"REFERENCING {transition} FOR EACH STATEMENT "
            "EXECUTE FUNCTION foyer_announce_stamps()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for event in TRIGGERS:
        op.execute(f"DROP TRIGGER data_stamp_announce_{event} ON data_stamp")
    op.execute("DROP FUNCTION foyer_announce_stamps()")
