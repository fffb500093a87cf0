"""Which mail a user gets: opt-outs per kind, the signed unsubscribe link, the settings page.

A row of ``EmailOptOut`` means "no more of these". The unsubscribe link in each mail carries the
user and the kind, signed with the site's secret key: it needs no log-in (a mail client posts to
it by itself, RFC 8058) and never expires, and it cannot be forged for another user or kind.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from applicants.models import User
from matchmaker.models import EmailOptOut, Notification

# The kinds a user may switch off, in the order the settings page lists them.
OPTIONAL_KINDS: tuple[Notification.Kind, ...] = tuple(
    kind for kind in Notification.Kind if kind not in Notification.TRANSACTIONAL
)

_UNSUBSCRIBE_SALT = "matchmaker.outbox.unsubscribe"


def unsubscribe_token(*, user: User, kind: str) -> str:
    """The signed part of ``/accounts/unsubscribe/<token>/`` for this user and kind."""
    return signing.Signer(salt=_UNSUBSCRIBE_SALT).sign_object({"u": user.pk, "k": str(kind)})


@dataclass(frozen=True)
class UnsubscribeLink:
    user: User
    kind: Notification.Kind


def unsubscribe_link_read(token: str) -> UnsubscribeLink | None:
    """Whom and what ``token`` unsubscribes; None when it is forged, damaged, names a kind that
    cannot be switched off, or an account that no longer exists."""
    try:
        payload: Any = signing.Signer(salt=_UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    user_id, kind = payload.get("u"), payload.get("k")
    if not isinstance(user_id, int) or kind not in OPTIONAL_KINDS:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    return UnsubscribeLink(user=user, kind=Notification.Kind(kind))


def opted_out_kinds(*, user: User) -> set[str]:
    """The kinds of mail ``user`` switched off."""
    return set(EmailOptOut.objects.filter(user=user).values_list("kind", flat=True))


def email_opt_out(*, user: User, kind: str) -> bool:
    """Switches ``kind`` off for ``user``; True if it was on. Clicking twice is harmless.
    Transactional mail cannot be switched off (``ValueError``)."""
    if kind not in OPTIONAL_KINDS:
        raise ValueError(f"{kind!r} cannot be switched off.")
    _opt_out, created = EmailOptOut.objects.get_or_create(user=user, kind=kind)
    return created


def notification_preferences_update(*, user: User, receive: Collection[str], digest: str) -> None:
    """Saves the settings page: ``receive`` lists the optional kinds the user wants (every other
    one is switched off), ``digest`` how often new matches are summed up. Raises
    ``ValidationError`` for an unknown kind or digest, changing nothing."""
    unknown = set(receive) - set(OPTIONAL_KINDS)
    if unknown:
        raise ValidationError(
            _("These kinds of email cannot be chosen: %(kinds)s.")
            % {"kinds": ", ".join(sorted(unknown))},
            code="kind",
        )
    if digest not in User.Digest.values:
        raise ValidationError({"digest": _("Choose how often to hear about new matches.")})
    off = set(OPTIONAL_KINDS) - set(receive)
    with transaction.atomic():
        EmailOptOut.objects.filter(user=user).exclude(kind__in=off).delete()
        EmailOptOut.objects.bulk_create(
            [EmailOptOut(user=user, kind=kind) for kind in sorted(off)], ignore_conflicts=True
        )
        User.objects.filter(pk=user.pk).update(digest=digest)
    user.digest = digest
