"""Writing mail down: the key that names what a mail is about, and ``enqueue``."""

import datetime
import hashlib
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from applicants.models import User
from matchmaker.models import EmailOptOut, Notification
from matchmaker.outbox.optouts import unsubscribe_token

KEY_MAX = 300
_DIGEST_LENGTH = 64  # a SHA-256 in hex stands in for the tail of an over-long key
_BLANK_LINES = re.compile(r"\n{3,}")


def _key_part(part: object) -> str:
    if isinstance(part, models.Model):
        if part.pk is None:
            raise ValueError(f"An unsaved {part._meta.model_name} cannot name a notification.")
        return f"{part._meta.model_name}:{part.pk}"
    if isinstance(part, datetime.datetime):
        if timezone.is_naive(part):
            raise ValueError(f"A notification key needs an aware datetime, not {part!r}.")
        return part.astimezone(datetime.UTC).isoformat()
    return str(part)


def notification_key(kind: str, to: User | str, *parts: object) -> str:
    """``"deadline-reminder:user:42:stage:7:2026-12-01T09:00:00+00:00:3"``: the kind, the
    recipient (``user:<pk>``, or the lower-cased address when there is no account), then
    ``parts`` (model instances as ``<model>:<pk>``, datetimes in UTC ISO format, the rest as
    ``str()``). Two calls with the same arguments give the same key. A key longer than the
    column keeps its head and ends in a hash of the whole, so it stays unique."""
    recipient = to.strip().lower() if isinstance(to, str) else _key_part(to)
    key = ":".join([str(kind), recipient, *(_key_part(part) for part in parts)])
    if len(key) <= KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: KEY_MAX - _DIGEST_LENGTH - 1]}:{digest}"


def _tidy(text: str) -> str:
    """Plain-text bodies as a plain-text client shows them: no trailing spaces, never more than
    one blank line in a row (template tags on lines of their own leave empty lines behind)."""
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return _BLANK_LINES.sub("\n\n", lines) + "\n"


def _wake_sender() -> None:
    from matchmaker.tasks import send_outbox  # the tasks module imports this package

    send_outbox.delay()


def enqueue(
    *,
    kind: str,
    key: str,
    template: str,
    context: dict[str, Any],
    recipient: User | None = None,
    to_email: str | None = None,
) -> Notification | None:
    """Renders ``templates/emails/<template>-{subject.txt,body.txt,body.html}`` and stores the
    mail as a pending outbox row; once the current transaction commits, the sender is woken.

    The mail speaks the recipient's language and time zone (without a recipient, the current
    ones) and gets ``recipient``, ``site_url``, ``preferences_url``, ``unsubscribe_url`` and
    ``kind_label`` in its context. Mail a user may switch off (every kind not in
    ``Notification.TRANSACTIONAL``) carries a signed one-click unsubscribe link and the
    ``List-Unsubscribe`` headers of RFC 8058.

    Returns None, storing nothing, when the recipient switched this kind off or a row with this
    key exists already (also when another transaction is inserting it at this moment: the unique
    key decides). A rolled-back transaction leaves no row and wakes nobody.
    """
    kind = Notification.Kind(kind)
    if recipient is None and not to_email:
        raise ValueError("A notification needs a recipient or an address.")
    if len(key) > KEY_MAX:
        raise ValueError(
            f"A notification key has at most {KEY_MAX} characters; build it with "
            "notification_key()."
        )
    optional = kind not in Notification.TRANSACTIONAL
    if (
        recipient is not None
        and optional
        and EmailOptOut.objects.filter(user=recipient, kind=kind).exists()
    ):
        return None
    # The usual repeat (a second beat, a retried task) stops here, before any rendering.
    if Notification.objects.filter(key=key).exists():
        return None

    site_url = settings.SITE_URL
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {
        "recipient": recipient,
        "site_url": site_url,
        "preferences_url": "",
        "unsubscribe_url": "",
        "kind_label": kind.label,
    }
    if recipient is not None and optional:
        token = unsubscribe_token(user=recipient, kind=kind)
        extra["preferences_url"] = site_url + reverse("accounts:notifications")
        extra["unsubscribe_url"] = site_url + reverse("accounts:unsubscribe", args=[token])
        headers = {
            "List-Unsubscribe": f"<{extra['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    full = {**context, **extra}
    language = recipient.language if recipient is not None else translation.get_language()
    zone = recipient.time_zone if recipient is not None else timezone.get_current_timezone()
    with translation.override(language or settings.LANGUAGE_CODE), timezone.override(zone):
        subject = render_to_string(f"emails/{template}-subject.txt", full)
        body_text = render_to_string(f"emails/{template}-body.txt", full)
        body_html = render_to_string(f"emails/{template}-body.html", full)

    notification = Notification(
        key=key,
        kind=kind,
        recipient=recipient,
        to_email=to_email or (recipient.email if recipient is not None else ""),
        subject=" ".join(subject.split()),
        body_text=_tidy(body_text),
        body_html=body_html,
        headers=headers,
    )
    notification.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        # Another transaction stored this key between the check above and the insert.
        if Notification.objects.filter(key=key).exists():
            return None
        raise
    # Robust: the row is committed whatever happens to the wake-up call; if the broker is
    # unreachable, the beat's sweep sends the mail instead.
    transaction.on_commit(_wake_sender, robust=True)
    return notification
