"""Stored results of matching (one row per company and open program worth showing), scoring runs,
and the email outbox with what each user chose to receive."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
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

    # Both foreign keys lead an index below (the unique pair and the ranking), so neither needs
    # one of its own: fewer indexes to maintain on every rescore.
    company = models.ForeignKey(
        "applicants.Company", on_delete=models.CASCADE, related_name="matches", db_index=False
    )
    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="matches", db_index=False
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


class ProgramMatchCount(models.Model):
    """How many companies fit a program: its eligible and incomplete matches (rank 0 or 1), the
    "Companies that fit" of the staff's workspace, which would otherwise count thousands of
    matches per program on every view of it.

    Kept by database triggers on ``Match`` (migration ``0005_program_match_counts``), so every
    write counts, whatever makes it: the scoring's merge, a program's clear, a company deleted
    with its matches. PostgreSQL adds up each statement's changes per program, in program order
    (the order its rows are locked in), and touches only the programs whose count changed;
    SQLite counts row by row. A program without a row has no match that fits. The program is
    not a database foreign key: its matches are deleted after it is, in the same transaction,
    and their trigger leaves its row behind, unread.
    """

    program = models.OneToOneField(
        "programs.Program",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="+",
    )
    fitting = models.IntegerField(_("companies that fit"), default=0)

    class Meta:
        verbose_name = _("program's match count")
        verbose_name_plural = _("programs' match counts")

    def __str__(self) -> str:
        return f"{self.program_id}: {self.fitting} fit"


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


class Notification(models.Model):
    """One email of the outbox: written down first (rendered, in the recipient's language),
    then sent by the sender task. ``key`` names what the mail is about — recipient, event,
    object and, for reminders, deadline and offset — so a second beat, a retried task or a
    second worker that would send the same mail finds the row already there."""

    class Kind(models.TextChoices):
        VERIFY_EMAIL = "verify-email", _("Email address verification")
        COMPANY_INVITATION = "company-invitation", _("Invitations to join a company")
        PARTNERSHIP_REQUEST = "partnership-request", _("Partnership requests")
        APPLY_INVITATION = "apply-invitation", _("Invitations to apply")
        APPLICATION_SUBMITTED = "application-submitted", _("Applications submitted")
        APPLICATION_DECISION = "application-decision", _("Decisions on applications")
        DEADLINE_REMINDER = "deadline-reminder", _("Deadline reminders")
        DEADLINE_CHANGED = "deadline-changed", _("Deadlines moved")
        NEW_MATCHES = "new-matches", _("New matching programs")

    # Mail a user cannot switch off: it answers something they just did.
    TRANSACTIONAL = frozenset({Kind.VERIFY_EMAIL})

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Not sent (unsubscribed)")

    key = models.CharField(_("key"), max_length=300, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        help_text=_("Empty when the address has no account yet (an invitation)."),
    )
    to_email = models.EmailField(_("to"))
    subject = models.TextField(_("subject"))
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notification_due",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="notification_claimed",
            ),
            models.Index(fields=["recipient", "kind"], name="notification_recipient_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_email} ({self.status})"


class EmailOptOut(models.Model):
    """A user's "no more of these": one row per switched-off kind of mail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_opt_outs"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Notification.Kind.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("email opt-out")
        verbose_name_plural = _("email opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="email_opt_out_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: no {self.kind}"


class ProgramAnnouncement(models.Model):
    """A program a user has been told matches one of their companies (the new-matches digest),
    so that no digest repeats it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="program_announcements"
    )
    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="announcements"
    )
    announced_at = models.DateTimeField(_("announced"), default=timezone.now)

    class Meta:
        verbose_name = _("program announcement")
        verbose_name_plural = _("program announcements")
        constraints = [
            models.UniqueConstraint(fields=["user", "program"], name="program_announcement_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} told of {self.program_id}"


class WorkerHeartbeat(models.Model):
    """The latest sign of life of each Celery worker, written by the worker itself every few
    seconds (``matchmaker.heartbeat``) and read by ``/health/``."""

    hostname = models.CharField(_("worker"), max_length=255, unique=True)
    started_at = models.DateTimeField(_("started"))
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        ordering = ["-seen_at"]
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
