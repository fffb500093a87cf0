"""The new-matches digest: open programs one of a user's companies is matched eligible for,
that no earlier digest told them of — daily or weekly as the user chose, never when off.

Each user's digest is one transaction: the outbox row, the announcements that keep the
programs out of later digests, and ``digest_sent_at``. The outbox key names the user and the
period (the day, or the week's Monday), so two ticks at once send one digest; the one that
finds the key taken writes nothing, and its programs wait for the next period.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone, translation

from applicants.models import CompanyMembership, User
from matchmaker.models import EmailOptOut, Match, Notification, ProgramAnnouncement
from matchmaker.outbox import enqueue, notification_key
from programs.models import Program, Stage
from programs.reminders.timing import DeadlineText, deadline_text, reader_zone

Kind = Notification.Kind

PERIODS = {
    User.Digest.DAILY: datetime.timedelta(days=1),
    User.Digest.WEEKLY: datetime.timedelta(days=7),
}


@dataclass
class DigestReport:
    users: int = 0  # users whose digest was due
    queued: int = 0
    programs: int = 0  # programs announced, over all digests
    already_sent: int = 0


@dataclass(frozen=True, slots=True)
class NewMatch:
    program: Program
    company: str
    score: float | None
    deadline: DeadlineText | None
    link: str


def period_start(digest: str, now: datetime.datetime) -> datetime.date:
    """The day (daily) or the week's Monday (weekly), in UTC, that names a digest's period."""
    today = now.astimezone(datetime.UTC).date()
    if digest == User.Digest.WEEKLY:
        return today - datetime.timedelta(days=today.weekday())
    return today


def due_users(now: datetime.datetime) -> list[User]:
    """Users whose digest is due: daily or weekly, the last one a period ago or never, who can
    read our mail and did not switch these mails off (one query)."""
    due = Q()
    for digest, period in PERIODS.items():
        due |= Q(digest=digest) & (
            Q(digest_sent_at__isnull=True) | Q(digest_sent_at__lte=now - period)
        )
    return list(
        User.objects.filter(due, is_active=True, email_verified_at__isnull=False)
        .exclude(Exists(EmailOptOut.objects.filter(user=OuterRef("pk"), kind=Kind.NEW_MATCHES)))
        .order_by("pk")
    )


def _new_matches(users: list[User]) -> dict[int, dict[int, Match]]:
    """user → program → the user's best eligible match there, for open programs not announced
    to that user yet (one query for every user at once)."""
    memberships = CompanyMembership.objects.filter(
        user_id__in=[user.pk for user in users], company_id=OuterRef("company_id")
    )
    rows = (
        Match.objects.filter(
            Exists(memberships),
            eligibility=Match.Eligibility.ELIGIBLE,
            program__status=Program.Status.OPEN,
        )
        .select_related("company")
        .order_by("pk")
    )
    # The membership join is done in Python: a match counts for every member of its company.
    matches = list(rows)
    members: dict[int, list[int]] = defaultdict(list)
    for user_id, company_id in CompanyMembership.objects.filter(
        user_id__in=[user.pk for user in users],
        company_id__in={match.company_id for match in matches},
    ).values_list("user_id", "company_id"):
        members[company_id].append(user_id)
    announced = set(
        ProgramAnnouncement.objects.filter(
            user_id__in=[user.pk for user in users],
            program_id__in={match.program_id for match in matches},
        ).values_list("user_id", "program_id")
    )
    best: dict[int, dict[int, Match]] = defaultdict(dict)
    for match in matches:
        for user_id in members[match.company_id]:
            if (user_id, match.program_id) in announced:
                continue
            current = best[user_id].get(match.program_id)
            if current is None or (match.score or 0) > (current.score or 0):
                best[user_id][match.program_id] = match
    return best


def _programs(program_ids: set[int], now: datetime.datetime) -> dict[int, Program]:
    """The programs with their owner agency and ``next_deadline`` (one query)."""
    next_closing = Stage.objects.filter(program=OuterRef("pk"), closes_at__gt=now).order_by(
        "closes_at"
    )
    return {
        program.pk: program
        for program in Program.objects.filter(pk__in=program_ids)
        .select_related("owner")
        .annotate(next_deadline=Subquery(next_closing.values("closes_at")[:1]))
    }


def _digest(
    user: User,
    matches: dict[int, Match],
    programs: dict[int, Program],
    now: datetime.datetime,
    report: DigestReport,
) -> None:
    chosen = [(programs[pid], match) for pid, match in matches.items() if pid in programs]
    chosen.sort(key=lambda pair: (-(pair[1].score or 0), pair[0].title))
    if not chosen:
        return
    with translation.override(user.language):
        reader = reader_zone(user.time_zone)
        items = [
            NewMatch(
                program=program,
                company=match.company.legal_name,
                score=match.score,
                deadline=(
                    deadline_text(program.next_deadline, program.time_zone, reader)  # type: ignore[attr-defined]
                    if program.next_deadline  # type: ignore[attr-defined]
                    else None
                ),
                link=f"{settings.SITE_URL}{program.get_absolute_url()}",
            )
            for program, match in chosen
        ]
    period = period_start(user.digest, now)
    with transaction.atomic():
        notification = enqueue(
            kind=Kind.NEW_MATCHES,
            key=notification_key(Kind.NEW_MATCHES, user, period.isoformat()),
            template="new-matches",
            context={"matches": items, "period": user.digest},
            recipient=user,
        )
        if notification is None:
            # Another tick sent this period's digest; its announcements stand for it.
            report.already_sent += 1
            return
        ProgramAnnouncement.objects.bulk_create(
            [
                ProgramAnnouncement(user=user, program=program, announced_at=now)
                for program, _match in chosen
            ],
            ignore_conflicts=True,
        )
        User.objects.filter(pk=user.pk).update(digest_sent_at=now)
    report.queued += 1
    report.programs += len(chosen)


def send_digests(now: datetime.datetime | None = None) -> DigestReport:
    """One tick: queues every due user's digest of newly matching open programs."""
    now = now or timezone.now()
    users = due_users(now)
    report = DigestReport(users=len(users))
    if not users:
        return report
    best = _new_matches(users)
    programs = _programs({pid for matches in best.values() for pid in matches}, now)
    for user in users:
        matches = best.get(user.pk)
        if matches:
            _digest(user, matches, programs, now, report)
    return report
