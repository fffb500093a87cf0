"""The email outbox: every mail the product sends is first a ``Notification`` row, then sent.

``enqueue`` renders a mail in its recipient's language and stores it under a unique ``key``
(``notification_key``: recipient, event, object and, for reminders, deadline and offset), inside
the caller's transaction; after commit it wakes the ``matchmaker.send_outbox`` task, which runs
``send_due``. So a rolled-back transaction sends nothing, and two beats, a retried task or two
workers that would send the same mail find the row already there.

``send_due`` claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional update on
SQLite), sends them over one reused connection, marks each sent, and retries transient SMTP
errors with backoff. A worker that dies between sending and marking leaves its rows in
``sending``; once their lease is over they are sent again and logged as possible duplicates:
at most one extra copy, never a lost mail.

Users switch kinds of mail off on their notifications page or through the signed one-click
link in each mail (``optouts``); transactional mail (``Notification.TRANSACTIONAL``) ignores that.
"""

from matchmaker.outbox.compose import enqueue, notification_key
from matchmaker.outbox.optouts import (
    OPTIONAL_KINDS,
    UnsubscribeLink,
    email_opt_out,
    notification_preferences_update,
    opted_out_kinds,
    unsubscribe_link_read,
    unsubscribe_token,
)
from matchmaker.outbox.sender import SendReport, send_due

__all__ = [
    "OPTIONAL_KINDS",
    "SendReport",
    "UnsubscribeLink",
    "email_opt_out",
    "enqueue",
    "notification_key",
    "notification_preferences_update",
    "opted_out_kinds",
    "send_due",
    "unsubscribe_link_read",
    "unsubscribe_token",
]
