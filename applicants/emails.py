"""Mails to vendors about other companies, put in the outbox in each recipient's language."""

from django.urls import reverse

from applicants.models import PartnershipRequest, User
from matchmaker.models import Notification
from matchmaker.outbox import enqueue, notification_key


def partnership_request_enqueue(
    partnership: PartnershipRequest, *, owners: list[User], base_url: str
) -> list[Notification]:
    """One mail per owner of the company asked, with a link to answer the request; call it in
    the transaction that saves the request. Returns the mails stored (an owner who switched
    these off gets none)."""
    link = base_url.rstrip("/") + reverse(
        "companies:partnership-respond", args=[partnership.to_company_id, partnership.pk]
    )
    context = {
        "asker": partnership.from_company,
        "asked": partnership.to_company,
        "requested_by": partnership.requested_by,
        "program": partnership.program,
        "link": link,
    }
    kind = Notification.Kind.PARTNERSHIP_REQUEST
    stored = (
        enqueue(
            kind=kind,
            key=notification_key(kind, owner, partnership),
            template="partnership-request",
            context=context,
            recipient=owner,
        )
        for owner in owners
    )
    return [notification for notification in stored if notification is not None]
