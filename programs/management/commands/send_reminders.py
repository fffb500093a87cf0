"""``manage.py send_reminders``: one tick of the deadline reminders, as beat runs it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from matchmaker.outbox import send_due
from programs.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Queue the deadline reminders due now (one tick of beat's schedule). Safe to run again: "
        "a reminder already queued is not queued twice. A running worker sends them; --send "
        "sends what the outbox holds from this process instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--send",
            action="store_true",
            help="Run the outbox sender here once the reminders are queued (no worker needed).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = send_reminders()
        noun = "reminder" if report.queued == 1 else "reminders"
        line = (
            f"{report.queued} {noun} queued ({report.drafts} drafts, {report.followers} "
            f"followers); {report.already_sent} already sent"
        )
        if report.unsubscribed:
            line += f"; {report.unsubscribed} not sent (unsubscribed)"
        self.stdout.write(f"{line}.")
        if options["send"]:
            sent = send_due()
            self.stdout.write(
                f"Outbox: {sent.sent} sent, {sent.retrying} to retry, {sent.failed} failed."
            )
