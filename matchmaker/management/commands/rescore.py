"""``manage.py rescore``: score companies against open programs, showing progress."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from applicants.models import Company
from matchmaker import services
from matchmaker.models import ScoringRun
from programs.models import Program

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Rescore every company against every open program (the default), one program "
        "(--program SLUG) or one company (--company ID). Runs are fanned out in chunks to the "
        "Celery workers and their progress is shown; --inline scores in this process instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--program", metavar="SLUG", help="Rescore one program.")
        target.add_argument("--company", metavar="ID", type=int, help="Rescore one company.")
        parser.add_argument(
            "--inline", action="store_true", help="Score here instead of on the workers."
        )
        parser.add_argument(
            "--no-wait", action="store_true", help="Enqueue the run and return at once."
        )
        parser.add_argument(
            "--timeout", type=float, default=3600, help="Seconds to wait for the workers."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["company"] is not None:
            self._company(options["company"])
            return
        program_id = None
        if options["program"]:
            program = Program.objects.filter(slug=options["program"]).first()
            if program is None:
                raise CommandError(f"No program has the slug {options['program']!r}.")
            if program.status != Program.Status.OPEN:
                removed = services.program_matches_clear(program_id=program.pk)
                self.stdout.write(f"{program.slug} is not open: removed {removed} matches.")
                return
            program_id = program.pk
        started = services.run_start(program_id=program_id, enqueue=not options["inline"])
        run = started.run
        self.stdout.write(
            f"Run {run.pk}: {run.chunks_total} chunks of up to {services.chunk_size()} companies."
        )
        if options["inline"]:
            for chunk in started.chunks:
                services.chunk_score(chunk_id=chunk.pk)
                run.refresh_from_db()
                self._progress(run)
        elif options["no_wait"]:
            return
        else:
            self._watch(run, timeout=options["timeout"])
        run.refresh_from_db()
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {run.pairs_scored} pairs scored in {run.chunks_done} chunks."
            )
        )

    def _company(self, company_id: int) -> None:
        if not Company.objects.filter(pk=company_id).exists():
            raise CommandError(f"No company has the id {company_id}.")
        result = services.companies_score(company_ids=[company_id])
        self.stdout.write(
            self.style.SUCCESS(
                f"Company {company_id}: {result.programs} open programs scored, "
                f"{result.stored} matches kept, {result.removed} removed."
            )
        )

    def _watch(self, run: ScoringRun, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            run.refresh_from_db()
            self._progress(run)
            if run.is_finished:
                return
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Run {run.pk} is not finished after {timeout:.0f} s "
                    f"({run.chunks_done}/{run.chunks_total} chunks). Are workers running? "
                    "Reconcile will finish it once they are."
                )
            time.sleep(0.5)

    def _progress(self, run: ScoringRun) -> None:
        total = max(run.chunks_total, 1)
        filled = round(BAR_WIDTH * run.chunks_done / total)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(
            f"\r[{bar}] {run.chunks_done}/{run.chunks_total} chunks, {run.pairs_scored} pairs",
            ending="",
        )
        self.stdout.flush()
