"""The stamp feed's memory: `(household, scope) -> stamp` as announced, bounded, exact.

`foyer.cache.feed.StampFeed` hears PostgreSQL's announcements of `data_stamp` changes and
hands them here (`heard`); a read that found a household or scope missing reads the
stamps from the database and offers them back (`learn`). The rule that keeps the map
exact lives here: announcements are applied in commit order and counted (`seq`); a read's
values are kept only when nothing was announced for that household since the read began
(its `Token`), because the read may have seen the database before that change. Bounded by
household (LRU): a household evicted may have carried a newer announcement than a read
still in flight, so evicting raises a floor under `learn`.

Why by hand: the bound is cachetools' `LRUCache`; the ordering rule is foyer's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from cachetools import LRUCache

log = logging.getLogger("foyer.cache")


@dataclass(slots=True)
class _Household:
    seq: int  # the announcement count when this household last changed (or was learned)
    stamps: dict[str, int] = field(default_factory=dict)


class _Households(LRUCache[int, _Household]):
    """The map, bounded by household; evicting one raises the floor under `learn`."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self.floor = 0  # the highest `seq` of a household dropped from the map

    def popitem(self) -> tuple[int, _Household]:
        key, evicted = super().popitem()
        self.floor = max(self.floor, evicted.seq)
        return key, evicted


@dataclass(frozen=True, slots=True)
class Token:
    """Taken before a fallback read: `learn` keeps its values only if still safe."""

    seq: int


class StampMap:
    """The announced stamps of up to `households` households (see the module)."""

    def __init__(self, households: int = 20_000) -> None:
        self._households = _Households(households)
        self.seq = 0  # announcements applied, in order, plus one per `forget`

    def __len__(self) -> int:
        return len(self._households)

    def stamps(self, household_id: int) -> dict[str, int] | None:
        """What is known of a household (tests and the capacity model look inside)."""
        entry = self._households.get(household_id)
        return None if entry is None else entry.stamps

    def get(self, household_id: int, scopes: Sequence[str]) -> dict[str, int] | Token:
        """The stamps of `scopes`, or a `Token` to read them with (then `learn` them)."""
        entry = self._households.get(household_id)
        if entry is not None:
            known = entry.stamps
            if all(scope in known for scope in scopes):
                return {scope: known[scope] for scope in scopes}
        return Token(self.seq)

    def learn(self, household_id: int, current: dict[str, int], token: Token) -> None:
        """Stamps read from the database after `token` was taken: keep them when nothing
        was announced for this household since (else they may be older than the map)."""
        entry = self._households.get(household_id)
        if entry is None:
            if self._households.floor > token.seq:
                return  # a household evicted since may have carried a newer announcement
            self._households[household_id] = _Household(token.seq, dict(current))
        elif entry.seq <= token.seq:
            for scope, stamp in current.items():
                entry.stamps.setdefault(scope, stamp)

    def forget(self) -> None:
        """Forget everything, and refuse what reads begun before now would teach: the
        announcements made meanwhile were not heard (a new connection, an unreadable one)."""
        self.seq += 1
        self._households.clear()
        self._households.floor = self.seq

    def heard(self, payload: str) -> None:
        """Apply one announcement: lines of "<household_id> <scope> <stamp>"."""
        try:
            changes = [_parse(line) for line in payload.splitlines()]
        except ValueError:
            # Not foyer's trigger speaking (someone else's NOTIFY on the channel): what it
            # meant is unknown, so nothing known can be trusted — start afresh.
            log.warning("stamp feed: unreadable announcement %r", payload[:200])
            self.forget()
            return
        self.seq += 1
        households, seq = self._households, self.seq
        for household_id, scope, stamp in changes:
            entry = households.get(household_id)
            if entry is None:
                entry = households[household_id] = _Household(seq)
            entry.seq = seq
            entry.stamps[scope] = stamp


def _parse(line: str) -> tuple[int, str, int]:
    """One line of an announcement: "<household_id> <scope> <stamp>"."""
    household, scope, stamp = line.split(" ")
    return int(household), scope, int(stamp)
