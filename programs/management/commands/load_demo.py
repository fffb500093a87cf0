from typing import Any

from django.core.management.base import BaseCommand

from programs.demo import demo_load


class Command(BaseCommand):
    help = (
        "Create or update the demo agencies and programs, with stage deadlines relative to "
        "today. Safe to run again: it updates, never duplicates."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {result.agencies} agencies, {result.programs} programs "
                f"({len(result.changed)} created or changed)."
            )
        )
