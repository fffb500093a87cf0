"""Vendor accounts: sign-up, email verification, preferences and operator onboarding.

The services here are the one place that creates accounts, marks an address verified and sends
the verification mail. Views and the ``create_user`` command only validate input and call them.

Two limits protect the service and live in the cache (Redis when ``REDIS_URL`` is set): at most
``SIGN_UP_FAILURE_LIMIT`` invalid sign-up submissions per client address in
``SIGN_UP_COOLOFF``, and one verification mail per user per ``VERIFICATION_MAIL_INTERVAL``.
Failed log-ins are django-axes' business (see ``AXES_*`` in the settings).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate, ParamSpec
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from applicants.models import User
from matchmaker.models import Notification
from matchmaker.outbox import enqueue, notification_key
from programs.models import Agency, StaffMembership

# Invalid sign-up submissions from one address before the form answers 429, and for how long.
SIGN_UP_FAILURE_LIMIT = 10
SIGN_UP_COOLOFF = datetime.timedelta(minutes=15)
# A user may ask for a new verification mail this often (the sign-up mail counts).
VERIFICATION_MAIL_INTERVAL = datetime.timedelta(minutes=1)


class VerificationRateLimitedError(Exception):
    """A verification mail went to this user less than ``VERIFICATION_MAIL_INTERVAL`` ago."""


# --- Verification links -------------------------------------------------------------------


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for ``/accounts/verify/<uidb64>/<token>/``.

    The hash covers the address and ``email_verified_at``, so a link works once and stops
    working if the address changes. Links expire after ``PASSWORD_RESET_TIMEOUT``.
    """

    key_salt = "applicants.registration.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: AbstractBaseUser, timestamp: int) -> str:
        verified_at = getattr(user, "email_verified_at", None)
        # Microseconds and time zone are dropped, as Django does for last_login: some databases
        # do not keep them, and the hash must survive a round trip.
        verified = "" if verified_at is None else verified_at.replace(microsecond=0, tzinfo=None)
        return f"{user.pk}{getattr(user, 'email', '')}{verified}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()


def verification_path(user: User) -> str:
    """The site-relative verification link for ``user``, with a fresh token."""
    return reverse(
        "accounts:verify",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": email_verification_token.make_token(user),
        },
    )


def _user_from_uidb64(uidb64: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk).first()


# --- Services -----------------------------------------------------------------------------


def _supported_language(language: str) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def user_sign_up(
    *, email: str, password: str, language: str, base_url: str, time_zone: str = "UTC"
) -> User:
    """Creates an unverified account and sends it the verification mail.

    ``language`` is the one the visitor was browsing in and ``time_zone`` their browser's (the
    profile page changes both); ``base_url`` (``https://host``) prefixes the link in the mail.
    Raises ``ValidationError`` (on ``email``) if the address is taken.
    """
    user = User(
        email=email.strip().lower(), language=_supported_language(language), time_zone=time_zone
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two sign-ups with one address raced past the form's check.
        raise ValidationError(
            {"email": _("An account with this email address already exists.")},
            code="duplicate_email",
        ) from None
    user_send_verification(user=user, base_url=base_url)
    return user


def _verification_key(user: User) -> str:
    return f"accounts:verification-mail:{user.pk}"


def user_send_verification(*, user: User, base_url: str) -> bool:
    """Puts a verification link for ``user`` in the outbox, sent once the current transaction
    commits, in the language the user chose whatever the current request uses.

    Returns False, sending nothing, if the address is already verified. Raises
    ``VerificationRateLimitedError`` if a link went out less than a minute ago.
    """
    if user.is_verified:
        return False
    # add() is atomic: of two simultaneous requests, only one sends.
    if not cache.add(_verification_key(user), True, VERIFICATION_MAIL_INTERVAL.total_seconds()):
        raise VerificationRateLimitedError
    kind = Notification.Kind.VERIFY_EMAIL
    enqueue(
        kind=kind,
        # Each link asked for is a mail of its own (the rate limit above keeps them apart).
        key=notification_key(kind, user, timezone.now()),
        template="verify-email",
        context={
            "user": user,
            "verify_url": base_url.rstrip("/") + verification_path(user),
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // (24 * 3600)),
        },
        recipient=user,
    )
    return True


def user_verify_email(*, uidb64: str, token: str) -> User | None:
    """Marks the address verified if the link is valid; returns the user, or None."""
    user = _user_from_uidb64(uidb64)
    if user is None or not email_verification_token.check_token(user, token):
        return None
    now = timezone.now()
    # A conditional update: of two clicks at once, one verifies and the other gets None.
    updated = User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(
        email_verified_at=now
    )
    if not updated:
        return None
    user.email_verified_at = now
    return user


def user_update_preferences(
    *, user: User, first_name: str, last_name: str, language: str, time_zone: str
) -> User:
    """Saves the name, language and time zone the user chose on the profile page."""
    user.first_name = first_name
    user.last_name = last_name
    user.language = language
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name", "last_name", "language", "time_zone"])
    return user


@dataclass(frozen=True)
class Provisioned:
    user: User
    created: bool
    membership: StaffMembership | None


def user_provision(
    *,
    email: str,
    password: str,
    superuser: bool = False,
    agency_slug: str | None = None,
    role: str | None = None,
) -> Provisioned:
    """Creates or updates a verified account for an operator; safe to run again.

    Sets the password, marks the address verified, makes the user a superuser if asked (never
    takes it away), and with ``agency_slug`` and ``role`` adds or updates their membership of
    that agency's staff. Raises ``ValidationError`` with every problem found.
    """
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            _("“%(email)s” is not a valid email address.") % {"email": email}, code="invalid"
        ) from None
    if (agency_slug is None) != (role is None):
        raise ValidationError(_("An agency and a role go together."), code="agency_role")
    if role is not None and role not in StaffMembership.Role.values:
        raise ValidationError(
            _("The role must be one of: %(roles)s.")
            % {"roles": ", ".join(StaffMembership.Role.values)},
            code="invalid_role",
        )
    agency = None
    if agency_slug is not None:
        agency = Agency.objects.filter(slug=agency_slug).first()
        if agency is None:
            known = ", ".join(Agency.objects.order_by("slug").values_list("slug", flat=True))
            raise ValidationError(
                _("There is no agency “%(slug)s”. Known agencies: %(known)s.")
                % {"slug": agency_slug, "known": known or _("none")},
                code="unknown_agency",
            )

    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        created = user is None
        if user is None:
            # A new staff member works in the agency's time zone until they choose another.
            user = User(email=email, time_zone=agency.time_zone if agency else "UTC")
        # Validators such as "too similar to the email" need the user.
        password_validation.validate_password(password, user=user)
        user.set_password(password)
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
        if superuser:
            user.is_staff = True
            user.is_superuser = True
        user.full_clean(exclude=["password"])
        user.save()
        membership = None
        if agency is not None and role is not None:
            membership, _created = StaffMembership.objects.update_or_create(
                user=user, agency=agency, defaults={"role": role}
            )
    return Provisioned(user=user, created=created, membership=membership)


# --- Sign-up lock-out ----------------------------------------------------------------------


def _sign_up_failures_key(ip_address: str) -> str:
    return f"accounts:sign-up-failures:{ip_address}"


def sign_up_locked_out(*, ip_address: str) -> bool:
    """True once ``SIGN_UP_FAILURE_LIMIT`` invalid sign-ups came from this address."""
    failures: int = cache.get(_sign_up_failures_key(ip_address), 0)
    return failures >= SIGN_UP_FAILURE_LIMIT


def sign_up_failure_record(*, ip_address: str) -> int:
    """Counts an invalid sign-up from ``ip_address``; returns the count in the current window.

    The window starts at the first failure and lasts ``SIGN_UP_COOLOFF``; it is not extended.
    """
    key = _sign_up_failures_key(ip_address)
    cache.add(key, 0, SIGN_UP_COOLOFF.total_seconds())
    try:
        return cache.incr(key)
    except ValueError:  # the window closed between add() and incr()
        cache.set(key, 1, SIGN_UP_COOLOFF.total_seconds())
        return 1


# --- Guarding views -------------------------------------------------------------------------

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponseBase]


def _verification_redirect(request: HttpRequest) -> HttpResponseBase | None:
    """Where to send a request that may not go on; None if the user is signed in and verified."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if isinstance(user, User) and user.is_verified:
        return None
    query = urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(f"{reverse('accounts:verification-needed')}?{query}")


def verified_email_required(view: View[P]) -> View[P]:
    """Lets only signed-in users with a verified address through (e.g. to apply).

    Anonymous visitors go to the log-in page; unverified users to a page that explains why and
    offers a new link. Both come back to the view afterwards through ``next``.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        return _verification_redirect(request) or view(request, *args, **kwargs)

    return wrapper


class VerifiedEmailRequiredMixin:
    """``verified_email_required`` for class-based views; put it first among the bases."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        redirect = _verification_redirect(request)
        if redirect is not None:
            return redirect
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response
