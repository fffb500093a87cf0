"""Mail about deadlines and new matches, written to the outbox (``matchmaker.outbox``).

- ``send_reminders`` (beat, and ``manage.py send_reminders``): reminders of an application
  deadline at the program's offsets, to companies with a draft and to followers matched
  eligible who have not applied;
- ``notify_deadline_changed``: a moved application deadline, to companies with a draft;
- ``send_digests`` (beat): newly matching open programs, daily or weekly per user.
"""

from programs.reminders.deadlines import ReminderReport, notify_deadline_changed, send_reminders
from programs.reminders.digests import DigestReport, send_digests

__all__ = [
    "DigestReport",
    "ReminderReport",
    "notify_deadline_changed",
    "send_digests",
    "send_reminders",
]
