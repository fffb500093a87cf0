"""Matching with real workers on the configured database and broker (DESIGN §5, §12)."""

import datetime
import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from applicants.models import Company, CompanyMembership, Partner, User
from applicants.services import company_create, partner_add
from matchmaker import services
from matchmaker.models import Match, ScoringChunk, ScoringRun
from matchmaker.scoring import evaluate_pairs, load_company_facts, load_open_programs
from matchmaker.tasks import rescore_all_task
from programs.models import Program, Sector
from tests.integration.conftest import wait_until

# Also run on SQLite with the filesystem broker in CI: the bare machine's own path.
pytestmark = [pytest.mark.integration, pytest.mark.bare_machine]

SECTORS = ["mobility", "energy", "buildings", "health", "logistics", "telecom", "retail"]
COUNTRIES = ["TW", "RU", "DE", "IL", "GB", "ES"]


@pytest.fixture
def demo_programs(transactional_db, default_sectors):
    # Loaded before any worker starts, and marked scored, so only what a test does is queued.
    call_command("load_demo", verbosity=0)
    Program.objects.update(scored_rules_version=1)


def _companies(count: int, *, seed: int = 7) -> list[int]:
    """Companies with varied facts, created directly (no scoring is enqueued for them)."""
    rng = random.Random(seed)
    sectors = {sector.code: sector for sector in Sector.objects.filter(code__in=SECTORS)}
    companies = Company.objects.bulk_create(
        Company(
            legal_name=f"Company {index}",
            country=rng.choice(COUNTRIES),
            trl=rng.choice([None, *range(1, 10)]),
            has_demo=rng.choice([None, True, False]),
            employees=rng.randint(1, 200),
            prior_pilots=rng.randint(0, 3),
            partners_declared=rng.random() < 0.8,
        )
        for index in range(count)
    )
    Company.sectors.through.objects.bulk_create(
        Company.sectors.through(company_id=company.pk, sector_id=sectors[code].pk)
        for company in companies
        for code in rng.sample(SECTORS, rng.randint(1, 3))
    )
    Partner.objects.bulk_create(
        Partner(company=company, name="Partner", country=rng.choice(COUNTRIES))
        for company in companies
        if company.partners_declared and rng.random() < 0.5
    )
    return [company.pk for company in companies]


def _expected_table() -> set[tuple[int, int, str, float | None]]:
    """What the stored table must be: the same engine, run in this process."""
    facts = load_company_facts(Company.objects.all())
    rows = evaluate_pairs(facts, load_open_programs(), now=timezone.now())
    return {(row.company_id, row.program_id, row.eligibility, row.score) for row in rows}


def _stored_table() -> set[tuple[int, int, str, float | None]]:
    return set(Match.objects.values_list("company_id", "program_id", "eligibility", "score"))


def test_a_saved_profile_shows_up_in_matches_and_a_russian_partner_opens_moscow(
    demo_programs, start_worker
):
    # given a running worker and a vendor
    worker = start_worker()
    user = User.objects.create_user(email="vendor@example.org", password="x-Long-passw0rd")
    moscow = Program.objects.get(slug="moscow-pilots")

    # when the vendor saves a profile
    company = company_create(
        user=user,
        legal_name="Taipei Mobility Co.",
        country="TW",
        trl=8,
        sectors=Sector.objects.filter(code="mobility"),
    )

    # then its matches appear without anyone running a command
    def scored() -> bool:
        """the company's matches to be stored"""
        return Match.objects.filter(company=company, program__slug="taipei-bottom-up-poc").exists()

    wait_until(scored, worker=worker)
    assert not Match.objects.filter(company=company, program=moscow, eligibility="eligible")

    # and adding a partner registered in Russia turns moscow-pilots eligible
    partner_add(company=company, user=user, name="Moscow Partner LLC", country="RU")

    def eligible() -> bool:
        """moscow-pilots to turn eligible"""
        return Match.objects.filter(
            company=company, program=moscow, eligibility="eligible"
        ).exists()

    wait_until(eligible, worker=worker)
    company.refresh_from_db()
    assert company.scored_profile_version == company.profile_version
    assert CompanyMembership.objects.filter(user=user, company=company).exists()


def test_two_workers_share_a_full_rescore(demo_programs, start_worker, settings):
    # given 400 companies in chunks of 20 and two workers
    _companies(400)
    first = start_worker("w1", MATCHING_CHUNK_SIZE="20")
    second = start_worker("w2", MATCHING_CHUNK_SIZE="20")

    # when a full rescore is requested
    rescore_all_task.delay()

    # then the run finishes, both workers took part, and the table is exactly the engine's
    def finished() -> bool:
        """the full rescore to finish"""
        return ScoringRun.objects.filter(scope="full", finished_at__isnull=False).exists()

    wait_until(finished, timeout=120)
    run = ScoringRun.objects.get(scope="full")
    assert (run.chunks_done, run.chunks_total) == (20, 20)
    for worker in (first, second):
        assert "matchmaker.score_chunk" in worker.output()
        assert "succeeded" in worker.output()
    assert _stored_table() == _expected_table()


def test_killing_a_worker_mid_rescore_loses_and_duplicates_nothing(demo_programs, start_worker):
    # given 3,000 companies in chunks of 20 and a worker with two pool processes
    ids = _companies(3000, seed=11)
    worker = start_worker("doomed", concurrency=2, MATCHING_CHUNK_SIZE="20")
    rescore_all_task.delay()

    # when it is killed (pool processes and main process, SIGKILL) part-way through
    def started() -> bool:
        """a few chunks to be done"""
        return ScoringChunk.objects.filter(done_at__isnull=False).count() >= 3

    wait_until(started, timeout=120, every=0.02)
    worker.kill()
    done_at_kill = ScoringChunk.objects.filter(done_at__isnull=False).count()
    total = ScoringChunk.objects.count()
    assert done_at_kill < total, "the run finished before the kill; make it longer"

    # and a new worker starts, and the reconcile sweep runs (as beat would, some time later)
    start_worker("rescuer", concurrency=2, MATCHING_CHUNK_SIZE="20")
    services.matching_reconcile(now=timezone.now() + datetime.timedelta(hours=1))

    # then every chunk is done once, every pair is scored, one row per pair, nothing pending
    def finished() -> bool:
        """the interrupted run to finish"""
        return ScoringRun.objects.filter(scope="full", finished_at__isnull=False).exists()

    wait_until(finished, timeout=180)
    run = ScoringRun.objects.get(scope="full")
    assert run.chunks_done == run.chunks_total == total == len(range(0, len(ids), 20))
    assert not ScoringChunk.objects.filter(done_at__isnull=True).exists()
    assert _stored_table() == _expected_table()
    assert Match.objects.count() == len(_expected_table())
