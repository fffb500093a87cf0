"""Accounts of vendors and staff; companies, partners and applications arrive with step 2."""

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from programs.models import validate_time_zone


class AccountManager(UserManager["User"]):
    """Users are identified by email address; there is no separate user name."""

    use_in_migrations = True

    def _create_user_with_email(
        self, email: str, password: str | None, **extra_fields: Any
    ) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user_with_email(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user_with_email(email, password, **extra_fields)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    email_verified_at = models.DateTimeField(_("email verified"), null=True, blank=True)

    class Digest(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        OFF = "off", _("Never")

    digest = models.CharField(
        _("new matching programs"),
        max_length=10,
        choices=Digest.choices,
        default=Digest.WEEKLY,
        help_text=_("How often to hear about newly opened programs your companies match."),
    )
    digest_sent_at = models.DateTimeField(_("last digest"), null=True, blank=True)
    # The secret part of the user's calendar feed address; empty until the feed is first used,
    # and replaced when the user asks for a new address.
    calendar_token = models.CharField(
        _("calendar token"), max_length=64, unique=True, null=True, blank=True, editable=False
    )

    objects = AccountManager()  # type: ignore[misc]

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None


class Company(models.Model):
    """One vendor profile, reused for every city's program."""

    class Trl(models.IntegerChoices):
        BASIC_PRINCIPLES = 1, _("1 — Basic principles observed")
        CONCEPT = 2, _("2 — Technology concept formulated")
        PROOF_OF_CONCEPT = 3, _("3 — Experimental proof of concept")
        LAB_VALIDATED = 4, _("4 — Technology validated in the lab")
        RELEVANT_ENVIRONMENT = 5, _("5 — Validated in a relevant environment")
        DEMONSTRATED = 6, _("6 — Demonstrated in a relevant environment")
        PROTOTYPE_OPERATIONAL = 7, _("7 — Prototype demonstrated in operation")
        QUALIFIED = 8, _("8 — System complete and qualified")
        PROVEN = 9, _("9 — Proven in operation")

    legal_name = models.CharField(_("legal name"), max_length=200)
    country = CountryField(_("country of registration"))
    registration_id = models.CharField(_("registration number"), max_length=64, blank=True)
    website = models.URLField(_("website"), blank=True)
    founded_year = models.PositiveSmallIntegerField(_("year founded"), null=True, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    sectors = models.ManyToManyField(
        "programs.Sector", blank=True, related_name="companies", verbose_name=_("sectors")
    )
    trl = models.PositiveSmallIntegerField(
        _("technology readiness level"), choices=Trl.choices, null=True, blank=True
    )
    has_demo = models.BooleanField(_("working demo available"), null=True, blank=True)
    demo_url = models.URLField(_("demo link"), blank=True)
    description = models.TextField(_("description"), blank=True)
    prior_pilots = models.PositiveIntegerField(_("past pilots"), null=True, blank=True)
    partners_declared = models.BooleanField(
        _("partners declared"),
        default=False,
        help_text=_(
            "Set once the vendor has saved the partners section, even with no partners: an "
            "empty list is then a known fact, not a missing one."
        ),
    )
    discoverable = models.BooleanField(
        _("visible to program staff"),
        default=False,
        help_text=_("Programs' staff may find this company before it applies."),
    )
    profile_version = models.PositiveIntegerField(_("profile version"), default=1, editable=False)
    # The profile version last scored against every open program; behind means a rescore is due.
    scored_profile_version = models.PositiveIntegerField(
        _("scored profile version"), default=0, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["legal_name", "id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(trl__isnull=True) | models.Q(trl__gte=1, trl__lte=9),
                name="company_trl_range",
            ),
            models.CheckConstraint(
                condition=models.Q(founded_year__isnull=True)
                | models.Q(founded_year__gte=1800, founded_year__lte=2100),
                name="company_founded_year_range",
            ),
            models.CheckConstraint(
                condition=models.Q(profile_version__gte=1), name="company_profile_version_positive"
            ),
        ]
        indexes = [
            # The few companies hidden from staff: every staff list of matches leaves them out,
            # so it looks them up here rather than reading every company.
            models.Index(
                fields=["id"], condition=models.Q(discoverable=False), name="company_hidden"
            )
        ]

    def __str__(self) -> str:
        return self.legal_name


class CompanyMembership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="company_memberships"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    # What this member saw on the "My matches" page last time, so the next visit can say what
    # changed: {program id: [eligibility, score]}. Per member, not per company: each person's
    # "new" is what they have not seen.
    matches_seen = models.JSONField(_("matches last seen"), default=dict, blank=True)
    matches_seen_at = models.DateTimeField(_("matches last seen at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["company_id", "user_id"]
        verbose_name = _("company membership")
        verbose_name_plural = _("company memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="company_membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "member"]),
                name="company_membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.get_role_display()})"


class Partner(models.Model):
    """A partner of a company: a registered company, or one named in free text."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="partners")
    name = models.CharField(_("name"), max_length=200)
    country = CountryField(_("country of registration"))
    linked_company = models.ForeignKey(
        Company,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_of",
        verbose_name=_("registered company"),
    )
    relationship = models.CharField(
        _("relationship"),
        max_length=200,
        blank=True,
        help_text=_("E.g. local integrator, reseller, research partner."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["company_id", "name", "id"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(linked_company=models.F("company")),
                name="partner_not_self",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def _document_path(document: "Document", filename: str) -> str:
    # Generated names only: the uploaded name is kept in a field, never used as a path.
    return f"companies/{document.company_id}/{uuid.uuid4().hex}.pdf"


class Document(models.Model):
    """A PDF a company shares with programs' staff (pitch deck, certificates)."""

    class Kind(models.TextChoices):
        PITCH_DECK = "pitch-deck", _("Pitch deck")
        CERTIFICATE = "certificate", _("Certificate")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=_document_path, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["company_id", "-created_at", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title


class Invitation(models.Model):
    """An invitation to join a company's team, accepted through a signed link."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(
        _("role"),
        max_length=10,
        choices=CompanyMembership.Role.choices,
        default=CompanyMembership.Role.MEMBER,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    class Meta:
        ordering = ["company_id", "-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.company}"


class PartnershipRequest(models.Model):
    """One company asking another to be partners, answered by the other's owners.

    Accepting adds a partner on both sides (see ``services.partnership_request_accept``). A
    request changes once, from pending to accepted or declined; ``responded_at`` records when.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        # A request's word, not an application's: Russian says it with another ending.
        ACCEPTED = "accepted", pgettext_lazy("partnership request", "Accepted")
        DECLINED = "declined", pgettext_lazy("partnership request", "Declined")

    from_company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        related_name="partnership_requests_sent",
        verbose_name=_("from"),
    )
    to_company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        related_name="partnership_requests_received",
        verbose_name=_("to"),
    )
    # The program whose rules prompted the request, shown to the other side as the reason.
    program = models.ForeignKey(
        "programs.Program",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("for the program"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("partnership request")
        verbose_name_plural = _("partnership requests")
        constraints = [
            models.UniqueConstraint(
                fields=["from_company", "to_company"],
                condition=models.Q(status="pending"),
                name="partnership_request_one_pending",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_company=models.F("to_company")),
                name="partnership_request_not_self",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending", responded_at__isnull=True)
                | models.Q(status__in=["accepted", "declined"], responded_at__isnull=False),
                name="partnership_request_answered_when_decided",
            ),
        ]
        indexes = [
            models.Index(fields=["to_company", "status"], name="partnership_request_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.from_company_id} → {self.to_company_id} ({self.status})"


class Application(models.Model):
    """A company's application to a program, moving through the program's stages."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        COMPLETED = "completed", _("Completed")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="applications")
    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="applications"
    )
    stage = models.ForeignKey(
        "programs.Stage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("current stage"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # The engine's verdict when the vendor submitted: eligibility, score, packed outcomes and
    # the rules and profile versions it came from.
    eligibility_at_submission = models.JSONField(
        _("eligibility at submission"), null=True, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(fields=["company", "program"], name="application_one_per_pair"),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["draft", "submitted", "declined", "withdrawn", "completed"]
                ),
                name="application_status_valid",
            ),
            # A draft can be withdrawn (discarded) without ever having been submitted.
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "withdrawn"])
                | models.Q(submitted_at__isnull=False),
                name="application_submitted_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status", "stage"], name="application_review"),
            # A program's submitted applications, newest first: the staff's list reads a page of
            # them without sorting them all.
            models.Index(
                fields=["program", "-submitted_at", "-id"],
                condition=models.Q(submitted_at__isnull=False),
                name="application_submitted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} → {self.program}"

    def get_additional_data(self) -> dict[str, int]:
        # django-auditlog tags this row's audit log entries with it (see programs/audit.py).
        return {"program": self.program_id}


class ApplicationEvent(models.Model):
    """One step in an application's history: who did what, when, from what to what."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Draft started")
        SUBMITTED = "submitted", _("Submitted")
        ADVANCED = "advanced", _("Moved to the next stage")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        COMPLETED = "completed", _("Completed")
        NOTE = "note", _("Note")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_status = models.CharField(_("from status"), max_length=12, blank=True)
    to_status = models.CharField(_("to status"), max_length=12, blank=True)
    from_stage = models.ForeignKey(
        "programs.Stage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(
        "programs.Stage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["application_id", "created_at", "id"]
        verbose_name = _("application event")
        verbose_name_plural = _("application events")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.kind}"


class Review(models.Model):
    """A reviewer's assessment of an application against the program's award criteria."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        SUBMITTED = "submitted", _("Submitted")
        ABSTAINED = "abstained", _("Abstained (conflict of interest)")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ASSIGNED
    )
    # Award criterion key -> score from 0 to 10.
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    created_at = models.DateTimeField(_("assigned"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["application_id", "created_at", "id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="review_one_per_reviewer"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["assigned", "submitted", "abstained"]),
                name="review_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.application_id}"


class Follow(models.Model):
    """A user who asked to hear about a program: its deadlines in their calendar feed and, when
    one of their companies is matched eligible, its deadline reminders."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(_("followed"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("followed program")
        verbose_name_plural = _("followed programs")
        constraints = [
            models.UniqueConstraint(fields=["user", "program"], name="follow_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.program_id}"
