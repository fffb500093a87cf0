"""Stored results of matching: one row per (company, open program) worth showing, and runs."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Match(models.Model):
    """A company's standing in an open program, as the engine computed it.

    Only pairs someone needs are kept: eligible, incomplete, and near misses (ineligible on
    exactly one gate). Each row records the rules and profile versions it was computed from, so a
    stale or repeated computation never overwrites a newer one, and a reconcile sweep can find
    what is behind.
    """

    class Eligibility(models.TextChoices):
        ELIGIBLE = "eligible", _("Eligible")
        INCOMPLETE = "incomplete", _("Incomplete")
        INELIGIBLE = "ineligible", _("Ineligible")

    company = models.ForeignKey(
        "applicants.Company", on_delete=models.CASCADE, related_name="matches"
    )
    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="matches"
    )
    eligibility = models.CharField(_("eligibility"), max_length=12, choices=Eligibility.choices)
    # Lower ranks first: eligible 0, incomplete 1, ineligible 2 — an index-friendly sort key.
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.FloatField(_("score"), null=True, blank=True)
    failed_gates = models.PositiveSmallIntegerField(_("failed gates"), default=0)
    outcomes = models.JSONField(_("outcomes"), default=dict)
    rules_version = models.PositiveIntegerField(_("rules version"))
    profile_version = models.PositiveIntegerField(_("profile version"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["rank", models.F("score").desc(nulls_last=True), "program_id"]
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            models.UniqueConstraint(fields=["company", "program"], name="match_company_program"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="match_score_range",
            ),
            models.CheckConstraint(
                condition=Q(eligibility="eligible", rank=0)
                | Q(eligibility="incomplete", rank=1)
                | Q(eligibility="ineligible", rank=2, failed_gates=1),
                name="match_rank_follows_eligibility",
            ),
        ]
        indexes = [
            # Staff ranking of a program's matches. Within one program scores are all numbers or
            # all null (a program without award criteria), so no NULLS LAST is needed here.
            models.Index(fields=["program", "rank", "-score"], name="match_program_ranking"),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} × {self.program_id}: {self.eligibility}"


class ScoringRun(models.Model):
    """Progress of a fan-out of scoring chunks, for staff and the ``rescore`` command."""

    class Scope(models.TextChoices):
        COMPANY = "company", _("One company")
        PROGRAM = "program", _("One program")
        FULL = "full", _("Everything")

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    company = models.ForeignKey(
        "applicants.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    rules_version = models.PositiveIntegerField(_("rules version"), null=True, blank=True)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    chunks_failed = models.PositiveIntegerField(_("chunks failed"), default=0)
    pairs_scored = models.PositiveBigIntegerField(_("pairs scored"), default=0)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(chunks_done__lte=models.F("chunks_total")),
                name="scoring_run_done_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} ({self.chunks_done}/{self.chunks_total})"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class ScoringChunk(models.Model):
    """One range of companies of a run. Marked done in the transaction that stores its results,
    so progress counts each chunk once however often its message is delivered."""

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField(_("index"))
    first_company_id = models.BigIntegerField(_("first company id"))
    last_company_id = models.BigIntegerField(_("last company id"))
    enqueued_at = models.DateTimeField(_("enqueued"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["run_id", "index"]
        verbose_name = _("scoring chunk")
        verbose_name_plural = _("scoring chunks")
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="scoring_chunk_unique"),
            models.CheckConstraint(
                condition=Q(first_company_id__lte=models.F("last_company_id")),
                name="scoring_chunk_range_ordered",
            ),
        ]
        indexes = [
            models.Index(
                fields=["enqueued_at"],
                condition=Q(done_at__isnull=True),
                name="scoring_chunk_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index} [{self.first_company_id}..{self.last_company_id}]"
