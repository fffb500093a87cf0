"""Following programs: how a user asks to hear about a program.

A followed program's stage deadlines appear in the user's calendar feed (``applicants.calendar``),
and its deadline reminders are mailed to them while one of their companies is matched eligible
and has not applied (``programs.send_reminders``). Following and unfollowing are idempotent, so a
double-clicked button or a stale page never flips the state back.
"""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from applicants.models import Follow, User
from programs.models import Program


def program_follow(*, user: User, program: Program) -> Follow:
    """``user`` follows ``program``; following again returns the existing row.

    Only open programs may be followed: a draft is not public, and a closed or archived
    program has no deadline left to remind anyone of. Raises ``ValidationError`` otherwise.
    """
    if program.status != Program.Status.OPEN:
        raise ValidationError(
            _("%(program)s is not open: there are no deadlines to follow.")
            % {"program": program.title},
            code="not_open",
        )
    # get_or_create leans on the (user, program) unique constraint: two concurrent requests
    # both end with the one row, the loser reading the winner's.
    follow, _created = Follow.objects.get_or_create(user=user, program=program)
    return follow


def program_unfollow(*, user: User, program: Program) -> bool:
    """``user`` stops following ``program``, whatever its status; False if they did not."""
    deleted, _per_model = Follow.objects.filter(user=user, program=program).delete()
    return deleted > 0


def is_following(*, user: User, program: Program) -> bool:
    return Follow.objects.filter(user=user, program=program).exists()


def followed_programs(*, user: User) -> QuerySet[Program]:
    """The published programs ``user`` follows, by title, with their owner agency (one query).

    Closed and archived ones are kept, so the user can see and unfollow them.
    """
    return (
        Program.objects.published()
        .filter(followers__user=user)
        .select_related("owner")
        .order_by("title", "pk")
    )
