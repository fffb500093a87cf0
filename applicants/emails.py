"""Mails to vendors about other companies: what they say, in each recipient's language."""

from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from applicants.models import PartnershipRequest, User


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    body: str
    html: str


def _render(event: str, context: dict[str, Any], *, recipient: User) -> Mail:
    """``templates/emails/<event>-{subject.txt,body.txt,body.html}`` in the recipient's own
    language, whatever language the request that caused the mail was in."""
    with translation.override(recipient.language):
        subject = render_to_string(f"emails/{event}-subject.txt", context)
        body = render_to_string(f"emails/{event}-body.txt", context)
        html = render_to_string(f"emails/{event}-body.html", context)
    return Mail(to=recipient.email, subject=" ".join(subject.split()), body=body, html=html)


def partnership_request_mails(
    partnership: PartnershipRequest, *, owners: list[User], base_url: str
) -> list[Mail]:
    """One mail per owner of the company asked, with a link to its partnership requests."""
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
    return [_render("partnership-request", context, recipient=owner) for owner in owners]
