"""A program's dashboard in numbers: applications by stage (the funnel) and by status, stored
matches by eligibility and by score decile (the histogram), the deadlines ahead."""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, F, IntegerField
from django.db.models.functions import Cast, Floor

from applicants.models import Application
from matchmaker.models import Match
from programs.models import Program, Stage
from programs.staff_selectors import SHOWN_ELIGIBILITY


@dataclass(frozen=True, slots=True)
class FunnelStep:
    stage: Stage
    reached: int  # applications that got to this stage or further, whatever became of them
    here: int  # in progress at this stage now
    declined: int  # declined at this stage
    completed: int  # finished the program from this (the last) stage
    percent: int  # ``reached`` as a share of the first stage's, for the bar's length


@dataclass(frozen=True, slots=True)
class HistogramBin:
    low: int
    high: int
    eligible: int
    incomplete: int

    @property
    def total(self) -> int:
        return self.eligible + self.incomplete


@dataclass(frozen=True, slots=True)
class Dashboard:
    stages: list[Stage]
    funnel: list[FunnelStep]
    statuses: list[tuple[str, str, int]]  # (status, label, count), in the lifecycle's order
    applications_total: int
    eligibility: list[tuple[str, str, int]]  # (eligibility, label, count) of stored matches
    histogram: list[HistogramBin]
    unscored: int  # eligible or incomplete matches without a score (no award criteria)
    deadlines: list[Stage] = field(default_factory=list)


BINS = 10


def program_dashboard(program: Program, *, now: datetime.datetime) -> Dashboard:
    """The dashboard's numbers in three queries: the stages, the applications counted by stage
    and status, the matches counted by eligibility and score decile."""
    stages = list(Stage.objects.filter(program=program).order_by("order"))
    by_stage_status: Counter[tuple[int | None, str]] = Counter()
    for row in (
        Application.objects.filter(program=program, submitted_at__isnull=False)
        .order_by()
        .values("stage_id", "status")
        .annotate(count=Count("pk"))
    ):
        by_stage_status[(row["stage_id"], row["status"])] += row["count"]

    funnel: list[FunnelStep] = []
    order_of = {stage.pk: stage.order for stage in stages}
    for stage in stages:
        reached = sum(
            count
            for (stage_id, _status), count in by_stage_status.items()
            if stage_id is not None and order_of.get(stage_id, -1) >= stage.order
        )
        funnel.append(
            FunnelStep(
                stage=stage,
                reached=reached,
                here=by_stage_status[(stage.pk, Application.Status.SUBMITTED)],
                declined=by_stage_status[(stage.pk, Application.Status.DECLINED)],
                completed=by_stage_status[(stage.pk, Application.Status.COMPLETED)],
                percent=0,
            )
        )
    widest = max((step.reached for step in funnel), default=0)
    funnel = [
        FunnelStep(
            stage=step.stage,
            reached=step.reached,
            here=step.here,
            declined=step.declined,
            completed=step.completed,
            percent=round(100 * step.reached / widest) if widest else 0,
        )
        for step in funnel
    ]
    status_counts: Counter[str] = Counter()
    for (_stage_id, status), count in by_stage_status.items():
        status_counts[status] += count
    statuses = [
        (status.value, str(status.label), status_counts[status.value])
        for status in Application.Status
        if status != Application.Status.DRAFT
    ]

    decile = Cast(Floor(F("score") / 10), IntegerField())
    eligibility_counts: Counter[str] = Counter()
    bins: dict[int, Counter[str]] = {index: Counter() for index in range(BINS)}
    unscored = 0
    for match_row in (
        Match.objects.filter(program=program)
        .annotate(decile=decile)
        .order_by()
        .values("eligibility", "decile")
        .annotate(count=Count("pk"))
    ):
        eligibility_counts[match_row["eligibility"]] += match_row["count"]
        if match_row["eligibility"] not in SHOWN_ELIGIBILITY:
            continue
        if match_row["decile"] is None:
            unscored += match_row["count"]
        else:
            # A perfect 100 belongs to the last bin, 90-100.
            index = min(max(match_row["decile"], 0), BINS - 1)
            bins[index][match_row["eligibility"]] += match_row["count"]
    return Dashboard(
        stages=stages,
        funnel=funnel,
        statuses=statuses,
        applications_total=sum(status_counts.values()),
        eligibility=[
            (value.value, str(value.label), eligibility_counts[value.value])
            for value in Match.Eligibility
        ],
        histogram=[
            HistogramBin(
                low=index * 10,
                high=index * 10 + (10 if index == BINS - 1 else 9),
                eligible=bins[index][Match.Eligibility.ELIGIBLE],
                incomplete=bins[index][Match.Eligibility.INCOMPLETE],
            )
            for index in range(BINS)
        ],
        unscored=unscored,
        deadlines=[
            stage
            for stage in stages
            if (stage.closes_at is not None and stage.closes_at > now)
            or (stage.opens_at is not None and stage.opens_at > now)
        ],
    )
