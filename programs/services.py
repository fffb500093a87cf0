"""Writes to the catalog. The one place that changes programs and their rules."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from matchmaker.services import program_rules_changed
from programs.audit import record_update
from programs.models import Program


def program_bump_rules_version(*, program_id: int) -> int:
    """Record that a program's rules changed, so results computed from older rules are stale.

    Returns the new version. The increment happens in the database, so concurrent edits never
    lose a bump; the program is rescored for every company after commit.
    """
    with transaction.atomic():
        Program.objects.filter(pk=program_id).update(
            rules_version=F("rules_version") + 1, updated_at=timezone.now()
        )
        program = Program.objects.only("title", "rules_version").get(pk=program_id)
        version: int = program.rules_version
        # The increment holds the row's lock until commit: the version before it is ours - 1.
        record_update(program, {"rules_version": (version - 1, version)})
        program_rules_changed(program_id=program_id)
    return version
