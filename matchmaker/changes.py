"""What changed in a company's matches since a member last looked at them.

A member's last look is a snapshot, ``{program id: [eligibility, score]}``, stored on their
membership (``CompanyMembership.matches_seen``) when the "My matches" page is shown. Comparing
it with the current matches says, per program, whether it is new, became eligible, stopped being
eligible or moved in score, and which programs dropped out of the list. Pure: no ORM, no clock.
"""

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ELIGIBLE = "eligible"

# program id → (eligibility, score or None)
Standing = tuple[str, float | None]


class ChangeKind(enum.StrEnum):
    NEW = "new"
    NOW_ELIGIBLE = "now-eligible"
    NO_LONGER_ELIGIBLE = "no-longer-eligible"
    SCORE_UP = "score-up"
    SCORE_DOWN = "score-down"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    # The score shown last time (whole, as the page shows it), for "score up from 64".
    previous_score: int | None = None


@dataclass(frozen=True, slots=True)
class MatchChanges:
    by_program: dict[int, Change] = field(default_factory=dict)
    # Programs listed last time and not now (closed, or no longer within one condition).
    dropped: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.by_program or self.dropped)


def shown_score(score: float) -> int:
    """A score as the page shows it (``floatformat:0`` rounds half up, not to even)."""
    return int(Decimal(repr(score)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def snapshot(current: Mapping[int, Standing]) -> dict[str, list[Any]]:
    """The JSON to store as what the member has now seen (JSON object keys are strings)."""
    return {
        str(program_id): [eligibility, score]
        for program_id, (eligibility, score) in current.items()
    }


def _seen_standings(seen: Any) -> dict[int, Standing]:
    """The stored snapshot, read defensively: an entry in any other shape counts as unseen."""
    standings: dict[int, Standing] = {}
    if not isinstance(seen, Mapping):
        return standings
    for key, value in seen.items():
        if not (str(key).isdigit() and isinstance(value, list | tuple) and len(value) == 2):
            continue
        eligibility, score = value
        if isinstance(eligibility, str) and (score is None or isinstance(score, int | float)):
            standings[int(key)] = (eligibility, None if score is None else float(score))
    return standings


def compare(seen: Any, current: Mapping[int, Standing]) -> MatchChanges:
    """How ``current`` differs from the ``seen`` snapshot. On a first visit (nothing seen) every
    program is new. Scores are compared as shown, so a change the page cannot show is none."""
    before = _seen_standings(seen)
    by_program: dict[int, Change] = {}
    for program_id, (eligibility, score) in current.items():
        if program_id not in before:
            by_program[program_id] = Change(ChangeKind.NEW)
            continue
        was_eligibility, was_score = before[program_id]
        if eligibility == ELIGIBLE and was_eligibility != ELIGIBLE:
            by_program[program_id] = Change(ChangeKind.NOW_ELIGIBLE)
        elif was_eligibility == ELIGIBLE and eligibility != ELIGIBLE:
            by_program[program_id] = Change(ChangeKind.NO_LONGER_ELIGIBLE)
        elif score is not None and was_score is not None:
            now_shown, was_shown = shown_score(score), shown_score(was_score)
            if now_shown != was_shown:
                kind = ChangeKind.SCORE_UP if now_shown > was_shown else ChangeKind.SCORE_DOWN
                by_program[program_id] = Change(kind, previous_score=was_shown)
    dropped = tuple(sorted(program_id for program_id in before if program_id not in current))
    return MatchChanges(by_program=by_program, dropped=dropped)
