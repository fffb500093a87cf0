"""The catalog: agencies, their programs, stages, challenges and eligibility rules as data."""

import datetime
import functools
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


@functools.cache
def known_time_zones() -> frozenset[str]:
    """The tz database's zone names, read once a process: ``available_timezones`` walks the
    zoneinfo directories on every call (about 5 ms)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    # A validator rather than field choices: the tz database changes between machines, and
    # choices would make every tzdata update a migration.
    if value not in known_time_zones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone, e.g. Europe/Moscow."),
            code="invalid_time_zone",
            params={"value": value},
        )


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Sector(TimeStamped):
    """A domain of activity. Codes are part of the API; the default taxonomy is a migration."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self) -> str:
        return self.name


class Agency(TimeStamped):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"))
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name


class StaffMembership(TimeStamped):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Agency admin")
        REVIEWER = "reviewer", _("Reviewer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_memberships"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["agency__name", "user_id"]
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="staff_membership_unique"),
            models.CheckConstraint(
                condition=Q(role__in=["admin", "reviewer"]), name="staff_membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency} ({self.get_role_display()})"

    def get_additional_data(self) -> dict[str, int]:
        # django-auditlog tags this row's audit log entries with it (see programs/audit.py).
        return {"agency": self.agency_id}


def default_reminder_offsets() -> list[int]:
    return [14, 3, 1]


MAX_REMINDER_DAYS = 90


class ProgramQuerySet(models.QuerySet["Program"]):
    def published(self) -> "ProgramQuerySet":
        """Programs the public may see: anything that is not a draft."""
        return self.exclude(status=Program.Status.DRAFT)

    def open(self) -> "ProgramQuerySet":
        return self.filter(status=Program.Status.OPEN)


class Program(TimeStamped):
    class Kind(models.TextChoices):
        PILOTING = "piloting", _("Piloting program")
        PRE_COMMERCIAL_PROCUREMENT = "pcp", _("Pre-commercial procurement")
        POC_TRACK = "poc-track", _("Proof-of-concept track")
        CHALLENGE_CALL = "challenge-call", _("Challenge call")

    class Intake(models.TextChoices):
        PROPOSAL_LED = "proposal-led", _("Proposal-led")
        NEED_LED = "need-led", _("Need-led")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        ARCHIVED = "archived", _("Archived")

    # Not a column: who asked for the program through ``tenancy.staff_program_or_404`` and their
    # role in it (user id, "admin"/"reviewer"), so the page needs no second membership query.
    staff_role: tuple[int | None, str | None]

    owner = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="owned_programs",
        verbose_name=_("owner agency"),
    )
    buyers = models.ManyToManyField(
        Agency,
        blank=True,
        related_name="joint_programs",
        verbose_name=_("buyer agencies"),
        help_text=_("Other agencies that run this program jointly with the owner."),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    intake = models.CharField(_("intake"), max_length=20, choices=Intake.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    sectors = models.ManyToManyField(Sector, blank=True, related_name="programs")
    budget_amount = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    budget_currency = models.CharField(
        _("currency"), max_length=3, blank=True, help_text=_("ISO 4217 code, e.g. EUR.")
    )
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        help_text=_('Languages the program accepts applications in, e.g. ["en", "ru"].'),
    )
    website = models.URLField(_("website"), blank=True)
    reminder_offsets = models.JSONField(
        _("reminder days"),
        default=default_reminder_offsets,
        blank=True,
        help_text=_("Days before each stage deadline to remind vendors, e.g. [14, 3, 1]."),
    )
    rules_version = models.PositiveIntegerField(_("rules version"), default=1, editable=False)
    # The rules version whose rescore of every company finished; behind means one is due.
    scored_rules_version = models.PositiveIntegerField(
        _("scored rules version"), default=0, editable=False
    )

    objects = ProgramQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True, budget_currency="")
                | Q(budget_amount__gte=0, budget_currency__regex=r"^[A-Z]{3}$"),
                name="program_budget_amount_with_currency",
                violation_error_message=_(
                    "A budget needs a non-negative amount and a three-letter currency code."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "open", "closed", "archived"]),
                name="program_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(rules_version__gte=1), name="program_rules_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programs:detail", kwargs={"slug": self.slug})

    @staticmethod
    def owner_or_buyer_q(lookup: str, value: Any) -> Q:
        """Matches programs whose owner or one of whose buyer agencies has ``lookup=value``."""
        return Q(**{f"owner__{lookup}": value}) | Q(**{f"buyers__{lookup}": value})

    @property
    def time_zone(self) -> zoneinfo.ZoneInfo:
        """The program's deadlines are set and shown in its owner agency's time zone."""
        return zoneinfo.ZoneInfo(self.owner.time_zone)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.budget_amount is not None and not self.budget_currency:
            errors["budget_currency"] = _("Give the currency of the budget.")
        if self.budget_currency and self.budget_amount is None:
            errors["budget_amount"] = _("Give the amount of the budget, or clear the currency.")
        self.budget_currency = self.budget_currency.upper()
        languages = self.languages
        if not isinstance(languages, list) or not all(
            isinstance(code, str) and 2 <= len(code) <= 10 for code in languages
        ):
            errors["languages"] = _('Give a list of language codes, e.g. ["en", "zh-hant"].')
        offsets = self.reminder_offsets
        if not isinstance(offsets, list) or not all(
            isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= MAX_REMINDER_DAYS
            for days in offsets
        ):
            errors["reminder_offsets"] = _(
                "Give whole numbers of days between 1 and %(max)d, e.g. [14, 3, 1]."
            ) % {"max": MAX_REMINDER_DAYS}
        else:
            self.reminder_offsets = sorted(set(offsets), reverse=True)
        if errors:
            raise ValidationError(errors)

    def get_additional_data(self) -> dict[str, int]:
        # django-auditlog tags this row's audit log entries with it (see programs/audit.py).
        return {"program": self.pk}


class Stage(TimeStamped):
    """One step of a program (application, pitch, pilot, ...) with its own window."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    budget_amount = models.DecimalField(
        _("budget"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    max_participants = models.PositiveIntegerField(
        _("maximum participants"),
        null=True,
        blank=True,
        help_text=_("How many applicants may go through to this stage, if limited."),
    )

    class Meta:
        ordering = ["program_id", "order"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(fields=["program", "order"], name="stage_order_unique"),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="stage_closes_after_opens",
                violation_error_message=_("A stage must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(budget_amount__gte=0),
                name="stage_budget_non_negative",
            ),
        ]
        # A program's next deadline (``selectors.next_closing``): one index probe per program
        # rather than reading its stages, for each program on a list.
        indexes = [
            models.Index(fields=["program", "closes_at", "order"], name="stage_program_closes")
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.name}"

    def get_additional_data(self) -> dict[str, int]:
        # django-auditlog tags this row's audit log entries with it (see programs/audit.py).
        return {"program": self.program_id}


class Challenge(TimeStamped):
    """A need stated by an agency inside a need-led program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="challenges")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    sector = models.ForeignKey(
        Sector, on_delete=models.PROTECT, null=True, blank=True, related_name="challenges"
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="challenges",
        help_text=_("The city department or agency that stated the need."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["program_id", "order", "id"]
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        constraints = [
            models.UniqueConstraint(fields=["program", "title"], name="challenge_title_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class Criterion(TimeStamped):
    """A gate (must pass to be eligible) or a weighted award criterion.

    A criterion passes when any of its requirement groups passes; a group passes when all its
    requirements pass.
    """

    class Kind(models.TextChoices):
        GATE = "gate", _("Eligibility gate")
        AWARD = "award", _("Award criterion")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="criteria")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=200)
    weight = models.DecimalField(
        _("weight"),
        max_digits=7,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
        help_text=_("Relative weight of an award criterion in the score. Ignored for gates."),
    )
    help_text = models.TextField(_("help text"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["program_id", "order", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0), name="criterion_weight_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["gate", "award"]), name="criterion_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def get_additional_data(self) -> dict[str, int]:
        # django-auditlog tags this row's audit log entries with it (see programs/audit.py).
        return {"program": self.program_id}


class RequirementGroup(TimeStamped):
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="groups")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["criterion_id", "order", "id"]
        verbose_name = _("requirement group")
        verbose_name_plural = _("requirement groups")

    def __str__(self) -> str:
        return _("%(criterion)s, option %(number)s") % {
            "criterion": self.criterion,
            "number": self.order + 1,
        }

    def get_additional_data(self) -> dict[str, int]:
        # django-auditlog tags this row's audit log entries with it (see programs/audit.py).
        return {"program": self.criterion.program_id}


class Requirement(TimeStamped):
    """One condition on one fact of a company profile, validated by the engine when saved."""

    group = models.ForeignKey(
        RequirementGroup, on_delete=models.CASCADE, related_name="requirements"
    )
    fact = models.CharField(_("fact"), max_length=40)
    operator = models.CharField(_("operator"), max_length=20)
    value = models.JSONField(_("value"), null=True, blank=True)
    hint = models.CharField(
        _("hint"),
        max_length=300,
        blank=True,
        help_text=_("Tells the vendor how to meet this requirement."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["group_id", "order", "id"]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")

    def __str__(self) -> str:
        return f"{self.fact} {self.operator} {self.value!r}"

    def clean(self) -> None:
        from programs.rules import requirement_errors

        kind = None
        if self.group_id is not None:
            kind = self.group.criterion.kind
        errors = requirement_errors(
            fact=self.fact, operator=self.operator, value=self.value, hint=self.hint, kind=kind
        )
        if errors:
            raise ValidationError(errors)

    def get_additional_data(self) -> dict[str, int]:
        # django-auditlog tags this row's audit log entries with it (see programs/audit.py).
        return {"program": self.group.criterion.program_id}


class Question(TimeStamped):
    """A question of a program's application form, defined by its staff."""

    class Kind(models.TextChoices):
        SHORT_TEXT = "short-text", _("Short text")
        LONG_TEXT = "long-text", _("Long text")
        NUMBER = "number", _("Number")
        CHOICE = "choice", _("Choice")
        FILE = "file", _("File (PDF)")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.TextField(_("help text"), blank=True)
    kind = models.CharField(_("kind of answer"), max_length=20, choices=Kind.choices)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_('For a choice question: the options, e.g. ["Yes", "No"].'),
    )
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ["program_id", "order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["short-text", "long-text", "number", "choice", "file"]),
                name="question_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        choices = self.choices
        if self.kind == self.Kind.CHOICE:
            if (
                not isinstance(choices, list)
                or len(choices) < 2
                or not all(isinstance(choice, str) and choice.strip() for choice in choices)
                or len(set(choices)) != len(choices)
            ):
                raise ValidationError(
                    {"choices": _("A choice question needs at least two different options.")}
                )
        elif choices:
            raise ValidationError({"choices": _("Only a choice question has options.")})

    def get_additional_data(self) -> dict[str, int]:
        # django-auditlog tags this row's audit log entries with it (see programs/audit.py).
        return {"program": self.program_id}


class ApplyInvitation(TimeStamped):
    """Program staff asking a matched company to apply, by email to the company's owners.

    Kept so that a company hears it at most once a week per program (``INTERVAL``), however many
    staff members click the button.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="apply_invitations")
    company = models.ForeignKey(
        "applicants.Company", on_delete=models.CASCADE, related_name="apply_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    recipients = models.PositiveSmallIntegerField(
        _("recipients"), default=0, help_text=_("How many of the company's owners were mailed.")
    )

    INTERVAL = datetime.timedelta(days=7)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation to apply")
        verbose_name_plural = _("invitations to apply")
        indexes = [
            models.Index(
                fields=["program", "company", "-created_at"], name="apply_invitation_recent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} → {self.program_id} ({self.created_at:%Y-%m-%d})"
