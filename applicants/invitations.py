"""Links that invite a colleague onto a company's team.

A link carries a signed token rather than the invitation's id, so it cannot be guessed or
walked: the signature binds the invitation's id to the address it was sent to, and expires.
Whether it was already used is the database's business (``Invitation.accepted_at``).
"""

import datetime

from django.core import signing
from django.urls import reverse

from applicants.models import Invitation

_SALT = "applicants.invitation"
MAX_AGE = datetime.timedelta(days=14)


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"id": invitation.pk, "email": invitation.email}, salt=_SALT)


def invitation_path(invitation: Invitation) -> str:
    """The accept page of ``invitation``, relative to the site's root."""
    return reverse("companies:invitation-accept", kwargs={"token": invitation_token(invitation)})


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation a link points at, with its company; None for a forged, expired or stale
    link (one whose invitation was cancelled). Accepted invitations are returned: the page says
    so. One query."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), int):
        return None  # pragma: no cover - we only ever sign this shape
    return (
        Invitation.objects.select_related("company")
        .filter(pk=payload["id"], email=payload.get("email"))
        .first()
    )
