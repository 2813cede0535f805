"""Revoked tokens (SPEC §7): logout refuses one token, a password change every earlier one.

Stored in the database, so every process and machine sees them:

- logout: a `revoked_token` row (the token's `jti`, its user, its `exp`);
- password change: `user_account.token_generation` + 1 (tokens carry the generation they
  were issued at, `gen`), and a `revoked_token` row named `generation:<user id>` that lives
  FOYER_TOKEN_TTL_MINUTES: the tokens it refuses expire by then (TokenReader refuses any
  token issued to live longer than that setting), so the generations worth knowing are
  exactly those with a live row, found through the `expires_at` index like the logouts.
  Rows whose `expires_at` passed are purged by the daily housekeeping (`purge_expired`).

Checked on every request, on the event loop and in the fast path, so never with I/O:
each process holds a `RevocationView` — the revoked jtis and the renewed generations — in
memory. The process that revokes updates its view at once; the others re-read the table
in a background thread when their copy is older than FOYER_TOKEN_REVOCATION_REFRESH_SECONDS,
so a token revoked elsewhere is refused everywhere within that delay (docs/DECISIONS.md).
The read is one indexed query over the revocations still alive: cheap at any user count.
Why by hand: no library keeps a database-backed deny list in memory this way, and the
token library (PyJWT) leaves revocation to the application.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from foyer.auth.security import TokenClaims
from foyer.db.engine import Database
from foyer.db.schema import revoked_token, user_account

log = logging.getLogger("foyer.auth")

GENERATION_ROW = "generation:"  # + user id; real jtis are URL-safe base64, never with ':'


@dataclass(frozen=True, slots=True)
class _Revoked:
    """One view of the revocations: replaced whole, never changed (read without a lock)."""

    jtis: frozenset[str] = frozenset()
    generations: Mapping[int, int] = field(default_factory=dict)

    def plus(
        self, *, jti: str | None = None, user_generation: tuple[int, int] | None = None
    ) -> _Revoked:
        jtis, generations = self.jtis, self.generations
        if jti is not None:
            jtis = jtis | {jti}
        if user_generation is not None:
            user_id, generation = user_generation
            if generation > generations.get(user_id, 0):
                generations = {**generations, user_id: generation}
        return _Revoked(jtis, generations)


@dataclass(frozen=True, slots=True)
class _Note:
    """A revocation this process made, kept until a re-read is sure to include it."""

    sequence: int
    jti: str | None = None
    user_generation: tuple[int, int] | None = None


class RevocationView:
    """This process's copy of the revocations (see the module docstring).

    `clock` is a parameter so tests move time instead of waiting for it.
    """

    def __init__(
        self,
        database: Database,
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._notes: list[_Note] = []
        self._sequence = 0
        self._refreshing: threading.Thread | None = None
        self._revoked = _Revoked()
        self._next_refresh = 0.0
        self.refresh()  # at start-up, before the first request: never an empty view

    def refuses(self, claims: TokenClaims) -> bool:
        """True when `claims` belong to a revoked token. No I/O: at most it starts a
        background re-read when this copy is due one."""
        if self._clock() >= self._next_refresh:
            self._refresh_in_background()
        revoked = self._revoked
        return claims.jti in revoked.jtis or claims.generation < revoked.generations.get(
            claims.user_id, 0
        )

    def note_revoked(self, jti: str) -> None:
        """This process revoked `jti` (its unit of work committed): refused from now on."""
        self._note(_Note(0, jti=jti))

    def note_generation(self, user_id: int, generation: int) -> None:
        """This process renewed `user_id`'s generation: earlier tokens refused from now on."""
        self._note(_Note(0, user_generation=(user_id, generation)))

    def _note(self, change: _Note) -> None:
        with self._lock:
            self._sequence += 1
            note = _Note(self._sequence, change.jti, change.user_generation)
            self._notes.append(note)
            self._revoked = self._revoked.plus(jti=note.jti, user_generation=note.user_generation)

    def refresh(self) -> None:
        """Re-read the live revocations now; raises SQLAlchemyError when the database
        does not answer."""
        started = self._clock()
        with self._lock:
            seen = self._sequence  # notes up to here committed before the query below
        loaded = load_revoked(self._database)
        with self._lock:
            # A note made while the query ran may be missing from its result: keep it.
            self._notes = [note for note in self._notes if note.sequence > seen]
            for note in self._notes:
                loaded = loaded.plus(jti=note.jti, user_generation=note.user_generation)
            self._revoked = loaded
            self._next_refresh = started + self._refresh_seconds

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing is not None:
                return
            self._next_refresh = self._clock() + self._refresh_seconds  # one try per period
            thread = threading.Thread(target=self._background, name="foyer-revocations")
            thread.daemon = True
            self._refreshing = thread
        thread.start()

    def _background(self) -> None:
        try:
            self.refresh()
        except SQLAlchemyError as exc:
            # Kept: the previous copy, and this process's own revocations. Tried again
            # after the period; a request's own query reports the database as down.
            log.warning("could not re-read the revoked tokens: %s", exc.__class__.__name__)
        finally:
            with self._lock:
                self._refreshing = None

    def wait(self) -> None:
        """Until a background re-read under way has finished (tests)."""
        thread = self._refreshing
        if thread is not None:
            thread.join()

    def forget(self) -> None:
        """Drop this process's notes and re-read, as a new process would start (tests)."""
        self.wait()
        with self._lock:
            self._notes.clear()
        self.refresh()


def load_revoked(database: Database) -> _Revoked:
    """The revocations whose rows have not expired, with the generation of their users."""
    query = (
        select(revoked_token.c.jti, revoked_token.c.user_id, user_account.c.token_generation)
        .join(user_account, user_account.c.id == revoked_token.c.user_id)
        .where(revoked_token.c.expires_at > dt.datetime.now(dt.UTC))
    )
    with database.read() as conn:
        rows = conn.execute(query).all()
    jtis = frozenset(row.jti for row in rows if not row.jti.startswith(GENERATION_ROW))
    generations = {
        row.user_id: row.token_generation for row in rows if row.jti.startswith(GENERATION_ROW)
    }
    return _Revoked(jtis, generations)


def revoke_token(conn: Connection, claims: TokenClaims) -> None:
    """Refuse the token of `claims` from now on (logout). Twice is the same as once."""
    _insert_row(
        conn,
        jti=claims.jti,
        user_id=claims.user_id,
        expires_at=dt.datetime.fromtimestamp(claims.expires_at, dt.UTC),
    )


def renew_generation(conn: Connection, *, user_id: int, token_lifetime: dt.timedelta) -> int:
    """Refuse every token `user_id` holds now (password change); the new generation.

    The UPDATE takes the user's row lock first, so two renewals of one user queue instead
    of racing on the generation row below."""
    generation = int(
        conn.execute(
            update(user_account)
            .where(user_account.c.id == user_id)
            .values(token_generation=user_account.c.token_generation + 1)
            .returning(user_account.c.token_generation)
        ).scalar_one()
    )
    marker = f"{GENERATION_ROW}{user_id}"
    conn.execute(delete(revoked_token).where(revoked_token.c.jti == marker))
    _insert_row(
        conn, jti=marker, user_id=user_id, expires_at=dt.datetime.now(dt.UTC) + token_lifetime
    )
    return generation


def _insert_row(conn: Connection, *, jti: str, user_id: int, expires_at: dt.datetime) -> None:
    # ON CONFLICT DO NOTHING: two logouts of one token at once both succeed.
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        insert(revoked_token)
        .values(jti=jti, user_id=user_id, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=[revoked_token.c.jti])
    )


def purge_expired(conn: Connection, *, now: dt.datetime) -> int:
    """Delete the revocations whose tokens have all expired (daily housekeeping); how many."""
    purged = int(
        conn.execute(delete(revoked_token).where(revoked_token.c.expires_at <= now)).rowcount
    )
    if purged:
        log.info("housekeeping: purged %s expired token revocation(s)", purged)
    return purged
