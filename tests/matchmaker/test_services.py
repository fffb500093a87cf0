import datetime
from unittest import mock

import pytest
from django.utils import timezone

from applicants.models import Company
from matchmaker import services
from matchmaker.models import Match, ScoringChunk, ScoringRun
from programs.models import Program
from programs.services import program_bump_rules_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent():
    """What would have gone to the broker, task name → list of argument tuples."""
    calls: dict[str, list[tuple]] = {}

    def recorder(name):
        def delay(*args):
            calls.setdefault(name, []).append(args)

        return delay

    from matchmaker import tasks

    with (
        mock.patch.object(tasks.score_companies_task, "delay", recorder("score_companies")),
        mock.patch.object(tasks.score_program_task, "delay", recorder("score_program")),
        mock.patch.object(tasks.score_chunk_task, "delay", recorder("score_chunk")),
        mock.patch.object(
            tasks.clear_program_matches_task, "delay", recorder("clear_program_matches")
        ),
    ):
        yield calls


def test_a_profile_change_enqueues_its_scoring_only_after_commit(
    make_company, sent, django_capture_on_commit_callbacks
):
    company = make_company()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.company_profile_changed(company_id=company.pk)
        assert sent == {}

    for callback in callbacks:
        callback()
    assert sent == {"score_companies": [([company.pk],)]}


def test_a_rules_change_enqueues_the_programs_rescore_after_commit(
    demo, sent, django_capture_on_commit_callbacks
):
    moscow = Program.objects.get(slug="moscow-pilots")

    with django_capture_on_commit_callbacks(execute=True):
        program_bump_rules_version(program_id=moscow.pk)

    assert sent == {"score_program": [(moscow.pk,)]}


def test_scoring_companies_records_the_profile_version_scored(demo, make_company):
    company = make_company()
    assert company.scored_profile_version == 0

    services.companies_score(company_ids=[company.pk])

    company.refresh_from_db()
    assert company.scored_profile_version == company.profile_version


def test_a_run_splits_companies_into_chunks_of_id_ranges(
    demo, make_company, sent, settings, django_capture_on_commit_callbacks
):
    settings.MATCHING_CHUNK_SIZE = 2
    companies = [make_company() for _ in range(5)]

    with django_capture_on_commit_callbacks(execute=True):
        started = services.run_start()

    ranges = [(chunk.first_company_id, chunk.last_company_id) for chunk in started.chunks]
    ids = [company.pk for company in companies]
    assert ranges == [(ids[0], ids[1]), (ids[2], ids[3]), (ids[4], ids[4])]
    assert started.run.chunks_total == 3
    assert sent["score_chunk"] == [(chunk.pk,) for chunk in started.chunks]


def test_a_chunk_delivered_twice_is_scored_and_counted_once(demo, make_company, settings):
    settings.MATCHING_CHUNK_SIZE = 10
    make_company(partners=["RU"])
    moscow = Program.objects.get(slug="moscow-pilots")
    with mock.patch("matchmaker.tasks.score_chunk_task.delay"):
        started = services.run_start(program_id=moscow.pk)
    chunk = started.chunks[0]

    first = services.chunk_score(chunk_id=chunk.pk)
    table = list(Match.objects.values_list("company_id", "program_id", "score", "computed_at"))
    second = services.chunk_score(chunk_id=chunk.pk)

    assert first is not None and second is None
    assert list(Match.objects.values_list("company_id", "program_id", "score", "computed_at")) == (
        table
    )
    run = ScoringRun.objects.get()
    assert (run.chunks_done, run.chunks_total, run.is_finished) == (1, 1, True)


def test_chunks_run_out_of_order_give_the_same_table_as_in_order(demo, make_company, settings):
    settings.MATCHING_CHUNK_SIZE = 2
    for index in range(6):
        make_company(trl=3 + index, partners=["RU"] if index % 2 else [])

    def run(order):
        Match.objects.all().delete()
        with mock.patch("matchmaker.tasks.score_chunk_task.delay"):
            chunks = services.run_start().chunks
        for index in order:
            services.chunk_score(chunk_id=chunks[index].pk)
        return list(
            Match.objects.order_by("company_id", "program_id").values_list(
                "company_id", "program_id", "eligibility", "score", "outcomes"
            )
        )

    assert run([0, 1, 2]) == run([2, 0, 1]) == run([1, 2, 0, 1])


def test_a_finished_program_run_marks_the_program_scored_at_its_version(
    demo, make_company, settings
):
    make_company()
    moscow = Program.objects.get(slug="moscow-pilots")
    with mock.patch("matchmaker.tasks.score_chunk_task.delay"):
        started = services.run_start(program_id=moscow.pk)

    for chunk in started.chunks:
        services.chunk_score(chunk_id=chunk.pk)

    moscow.refresh_from_db()
    assert moscow.scored_rules_version == moscow.rules_version


def test_a_run_whose_rules_moved_on_does_not_mark_the_program_scored(demo, make_company):
    make_company()
    moscow = Program.objects.get(slug="moscow-pilots")
    with mock.patch("matchmaker.tasks.score_chunk_task.delay"):
        started = services.run_start(program_id=moscow.pk)
    with mock.patch("matchmaker.tasks.score_program_task.delay"):
        program_bump_rules_version(program_id=moscow.pk)

    for chunk in started.chunks:
        services.chunk_score(chunk_id=chunk.pk)

    moscow.refresh_from_db()
    assert moscow.scored_rules_version < moscow.rules_version


def test_closing_a_program_clears_its_matches(demo, make_company):
    company = make_company(partners=["RU"])
    services.companies_score(company_ids=[company.pk])
    moscow = Program.objects.get(slug="moscow-pilots")
    Program.objects.filter(pk=moscow.pk).update(status=Program.Status.CLOSED)

    removed = services.program_matches_clear(program_id=moscow.pk)

    assert removed == 1
    assert not Match.objects.filter(program=moscow).exists()


class TestReconcile:
    def test_finds_nothing_when_everything_is_scored(
        self, demo, make_company, sent, django_capture_on_commit_callbacks
    ):
        company = make_company()
        services.companies_score(company_ids=[company.pk])
        Program.objects.update(scored_rules_version=1)

        with django_capture_on_commit_callbacks(execute=True):
            result = services.matching_reconcile(now=timezone.now() + datetime.timedelta(hours=1))

        assert result == services.Reconciled([], [], [], [])
        assert sent == {}

    def test_re_enqueues_a_company_whose_changed_profile_was_never_scored(
        self, demo, make_company, sent, django_capture_on_commit_callbacks
    ):
        company = make_company()
        Program.objects.update(scored_rules_version=1)
        later = timezone.now() + datetime.timedelta(minutes=5)

        with django_capture_on_commit_callbacks(execute=True):
            result = services.matching_reconcile(now=later)

        assert result.companies == [company.pk]
        assert sent == {"score_companies": [([company.pk],)]}

    def test_leaves_a_just_saved_profile_to_its_own_task(self, demo, make_company):
        make_company()
        Program.objects.update(scored_rules_version=1)

        result = services.matching_reconcile(now=timezone.now())

        assert result.companies == []

    def test_re_enqueues_an_open_program_whose_rescore_never_finished(
        self, demo, sent, django_capture_on_commit_callbacks
    ):
        later = timezone.now() + datetime.timedelta(minutes=5)

        with django_capture_on_commit_callbacks(execute=True):
            result = services.matching_reconcile(now=later)

        assert sorted(result.programs) == sorted(Program.objects.values_list("pk", flat=True))

    def test_leaves_a_program_whose_run_is_in_progress(self, demo, make_company, sent):
        make_company()
        moscow = Program.objects.get(slug="moscow-pilots")
        with mock.patch("matchmaker.tasks.score_chunk_task.delay"):
            services.run_start(program_id=moscow.pk)

        result = services.matching_reconcile(now=timezone.now() + datetime.timedelta(minutes=5))

        assert moscow.pk not in result.programs

    def test_re_enqueues_chunks_pending_longer_than_a_chunk_may_take(
        self, demo, make_company, sent, settings, django_capture_on_commit_callbacks
    ):
        settings.MATCHING_CHUNK_TIMEOUT = 60
        make_company()
        with mock.patch("matchmaker.tasks.score_chunk_task.delay"):
            started = services.run_start()
        chunk = started.chunks[0]

        soon = services.matching_reconcile(now=timezone.now() + datetime.timedelta(seconds=30))
        with django_capture_on_commit_callbacks(execute=True):
            late = services.matching_reconcile(now=timezone.now() + datetime.timedelta(minutes=2))

        assert soon.chunks == []
        assert late.chunks == [chunk.pk]
        assert sent["score_chunk"] == [(chunk.pk,)]
        assert ScoringChunk.objects.get().enqueued_at > chunk.enqueued_at

    def test_clears_matches_of_programs_that_are_no_longer_open(
        self, demo, make_company, sent, django_capture_on_commit_callbacks
    ):
        company = make_company(partners=["RU"])
        services.companies_score(company_ids=[company.pk])
        Program.objects.filter(slug="moscow-pilots").update(status=Program.Status.ARCHIVED)

        with django_capture_on_commit_callbacks(execute=True):
            result = services.matching_reconcile()

        assert result.closed_programs == [Program.objects.get(slug="moscow-pilots").pk]

    def test_re_enqueues_companies_with_a_match_behind_a_finished_rescore(
        self, demo, make_company, sent, django_capture_on_commit_callbacks
    ):
        # given a program whose rescore finished at version 2 but one row still says version 1
        company = make_company(partners=["RU"])
        services.companies_score(company_ids=[company.pk])
        Program.objects.filter(slug="moscow-pilots").update(rules_version=2, scored_rules_version=2)
        Program.objects.exclude(slug="moscow-pilots").update(scored_rules_version=1)

        with django_capture_on_commit_callbacks(execute=True):
            result = services.matching_reconcile(now=timezone.now())

        assert result.companies == [company.pk]


def test_a_new_demo_program_is_scored_once_loaded(db, sent, django_capture_on_commit_callbacks):
    from programs.demo import demo_load

    with django_capture_on_commit_callbacks(execute=True):
        demo_load()

    assert len(sent["score_program"]) == 5
    assert Company.objects.count() == 0
