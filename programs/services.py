"""Writes to the catalog. The one place that changes programs and their rules."""

from django.db import transaction
from django.db.models import F

from programs.models import Program


def program_bump_rules_version(*, program_id: int) -> int:
    """Record that a program's rules changed, so results computed from older rules are stale.

    Returns the new version. The increment happens in the database, so concurrent edits never
    lose a bump.
    """
    with transaction.atomic():
        Program.objects.filter(pk=program_id).update(rules_version=F("rules_version") + 1)
        version: int = Program.objects.values_list("rules_version", flat=True).get(pk=program_id)
    return version
