"""Matching services: what triggers scoring, how runs fan out, and how the system heals.

The database is the source of truth and the queue only a hint. Versions on companies
(``profile_version`` / ``scored_profile_version``), programs (``rules_version`` /
``scored_rules_version``) and each Match row, plus a ``ScoringChunk`` per range of a run, let
``matching_reconcile`` find whatever a lost message, a killed worker or a restarted broker left
undone, and enqueue it again. Every task is idempotent, so doing something twice is harmless.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from applicants.models import Company
from matchmaker.models import Match, ScoringChunk, ScoringRun
from matchmaker.scoring import PassResult, score_companies
from programs.models import Program

logger = logging.getLogger(__name__)


def chunk_size() -> int:
    return int(settings.MATCHING_CHUNK_SIZE)


def _mark_companies_scored(versions: dict[int, int]) -> None:
    """Records the profile versions just scored, unless the profile moved on meanwhile."""
    by_version: dict[int, list[int]] = defaultdict(list)
    for company_id, version in versions.items():
        by_version[version].append(company_id)
    for version, ids in by_version.items():
        Company.objects.filter(
            pk__in=ids, profile_version=version, scored_profile_version__lt=version
        ).update(scored_profile_version=version)


def companies_score(*, company_ids: Sequence[int]) -> PassResult:
    """Scores these companies against every open program and records them as scored."""
    with transaction.atomic():
        result = score_companies(Company.objects.filter(pk__in=company_ids))
        _mark_companies_scored(result.profile_versions)
    return result


def company_profile_changed(*, company_id: int) -> None:
    """Call inside the transaction that changed a profile's facts: scores it after commit."""
    from matchmaker.tasks import score_companies_task

    transaction.on_commit(lambda: score_companies_task.delay([company_id]))


def program_rules_changed(*, program_id: int) -> None:
    """Call inside the transaction that bumped a program's rules version (rules, stages or
    status changed): rescores that program for every company after commit."""
    from matchmaker.tasks import score_program_task

    transaction.on_commit(lambda: score_program_task.delay(program_id))


def _company_ranges(size: int) -> list[tuple[int, int]]:
    ids = list(Company.objects.order_by("pk").values_list("pk", flat=True))
    return [
        (ids[start], ids[min(start + size, len(ids)) - 1]) for start in range(0, len(ids), size)
    ]


@dataclass(frozen=True, slots=True)
class RunStarted:
    run: ScoringRun
    chunks: list[ScoringChunk]


def run_start(*, program_id: int | None = None, enqueue: bool = True) -> RunStarted:
    """Creates a run over every company — for one program, or for all open programs — split into
    chunks of company-id ranges, and enqueues the chunks after commit (unless the caller will
    score them itself)."""
    from matchmaker.tasks import score_chunk_task

    now = timezone.now()
    with transaction.atomic():
        program = Program.objects.get(pk=program_id) if program_id is not None else None
        ranges = _company_ranges(chunk_size())
        run = ScoringRun.objects.create(
            scope=ScoringRun.Scope.PROGRAM if program else ScoringRun.Scope.FULL,
            program=program,
            rules_version=program.rules_version if program else None,
            chunks_total=len(ranges),
            finished_at=now if not ranges else None,
        )
        chunks = ScoringChunk.objects.bulk_create(
            ScoringChunk(
                run=run,
                index=index,
                first_company_id=first,
                last_company_id=last,
                enqueued_at=now,
            )
            for index, (first, last) in enumerate(ranges)
        )
        if not ranges:
            _run_finished(run)
        chunk_ids = [chunk.pk for chunk in chunks]
        transaction.on_commit(lambda: [score_chunk_task.delay(chunk_id) for chunk_id in chunk_ids])
    return RunStarted(run=run, chunks=chunks)


def chunk_score(*, chunk_id: int) -> PassResult | None:
    """Scores one chunk and marks it done in the same transaction; a chunk already done is
    skipped, so a redelivered message changes nothing."""
    with transaction.atomic():
        chunk = (
            ScoringChunk.objects.select_for_update().select_related("run").filter(pk=chunk_id)
        ).first()
        if chunk is None or chunk.done_at is not None:
            return None
        run = chunk.run
        companies = Company.objects.filter(
            pk__gte=chunk.first_company_id, pk__lte=chunk.last_company_id
        )
        program_ids = [run.program_id] if run.program_id is not None else None
        result = score_companies(companies, program_ids=program_ids)
        if program_ids is None:
            _mark_companies_scored(result.profile_versions)
        chunk.done_at = timezone.now()
        chunk.save(update_fields=["done_at"])
        ScoringRun.objects.filter(pk=run.pk).update(
            chunks_done=F("chunks_done") + 1, pairs_scored=F("pairs_scored") + result.pairs
        )
        run.refresh_from_db()
        if run.chunks_done == run.chunks_total and run.finished_at is None:
            _run_finished(run)
    return result


def _run_finished(run: ScoringRun) -> None:
    finished = ScoringRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
        finished_at=timezone.now()
    )
    if finished and run.program_id is not None and run.rules_version is not None:
        # The program is scored through this version, unless its rules moved on meanwhile.
        Program.objects.filter(
            pk=run.program_id,
            rules_version=run.rules_version,
            scored_rules_version__lt=run.rules_version,
        ).update(scored_rules_version=run.rules_version)


def program_matches_clear(*, program_id: int) -> int:
    """Removes the matches of a program that is not open (closed, archived, back to draft)."""
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program_id)
        if program.status == Program.Status.OPEN:
            return 0
        removed, _detail = Match.objects.filter(program=program).delete()
        Program.objects.filter(pk=program.pk).update(scored_rules_version=program.rules_version)
    return removed


@dataclass(frozen=True, slots=True)
class Reconciled:
    programs: list[int]
    closed_programs: list[int]
    companies: list[int]
    chunks: list[int]


def matching_reconcile(*, now: datetime.datetime | None = None) -> Reconciled:
    """Finds scoring that is missing or stale and enqueues it again.

    - open programs whose last finished rescore is behind their rules version, and that have no
      run in progress at that version (a run in progress is left to its chunks);
    - programs that are not open but still have matches;
    - companies whose profile changed more than a grace period ago and was not scored since;
    - chunks of unfinished runs enqueued longer ago than a chunk may take (lost or killed);
    - companies with a stored match computed from an older profile or older rules than a
      program scored since (a lost write).
    """
    from matchmaker.tasks import (
        clear_program_matches_task,
        score_chunk_task,
        score_companies_task,
        score_program_task,
    )

    now = now or timezone.now()
    grace = datetime.timedelta(seconds=settings.MATCHING_RECONCILE_GRACE)
    chunk_timeout = datetime.timedelta(seconds=settings.MATCHING_CHUNK_TIMEOUT)

    running = ScoringRun.objects.filter(
        program=OuterRef("pk"), rules_version=OuterRef("rules_version"), finished_at__isnull=True
    )
    programs = list(
        Program.objects.open()
        .filter(scored_rules_version__lt=F("rules_version"), updated_at__lt=now - grace)
        .exclude(Exists(running))
        .values_list("pk", flat=True)
    )
    closed = list(
        Program.objects.exclude(status=Program.Status.OPEN)
        .filter(Exists(Match.objects.filter(program=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    stale_rows = Match.objects.filter(
        Q(profile_version__lt=F("company__profile_version"))
        & Q(company__scored_profile_version=F("company__profile_version"))
        | Q(rules_version__lt=F("program__rules_version"))
        & Q(program__scored_rules_version=F("program__rules_version"))
    )
    companies = sorted(
        set(
            Company.objects.filter(
                scored_profile_version__lt=F("profile_version"), updated_at__lt=now - grace
            ).values_list("pk", flat=True)
        )
        | set(stale_rows.values_list("company_id", flat=True))
    )
    chunks = list(
        ScoringChunk.objects.filter(
            done_at__isnull=True,
            enqueued_at__lt=now - chunk_timeout,
            run__finished_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    if chunks:
        ScoringChunk.objects.filter(pk__in=chunks).update(enqueued_at=now)

    def enqueue() -> None:
        for program_id in programs:
            score_program_task.delay(program_id)
        for program_id in closed:
            clear_program_matches_task.delay(program_id)
        size = chunk_size()
        for start in range(0, len(companies), size):
            score_companies_task.delay(companies[start : start + size])
        for chunk_id in chunks:
            score_chunk_task.delay(chunk_id)

    transaction.on_commit(enqueue)
    if programs or closed or companies or chunks:
        logger.info(
            "reconcile: %d programs, %d closed programs, %d companies, %d chunks re-enqueued",
            len(programs),
            len(closed),
            len(companies),
            len(chunks),
        )
    return Reconciled(programs=programs, closed_programs=closed, companies=companies, chunks=chunks)
