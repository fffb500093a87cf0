from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from matchmaker.models import Match, ScoringRun
from programs.models import Program

pytestmark = pytest.mark.django_db


def _rescore(*args: str) -> str:
    out = StringIO()
    call_command("rescore", *args, stdout=out)
    return out.getvalue()


def test_an_inline_full_rescore_scores_every_company_and_shows_progress(
    demo, make_company, settings
):
    settings.MATCHING_CHUNK_SIZE = 2
    for _ in range(5):
        make_company(partners=["RU"])

    output = _rescore("--inline")

    assert "[" + "#" * 30 + "] 3/3 chunks, 25 pairs" in output
    assert "Done: 25 pairs scored in 3 chunks." in output
    assert Match.objects.filter(program__slug="moscow-pilots").count() == 5
    assert ScoringRun.objects.get().is_finished


def test_one_program_can_be_rescored(demo, make_company):
    make_company(partners=["RU"])

    output = _rescore("--program", "moscow-pilots", "--inline")

    assert "Done: 1 pairs scored in 1 chunks." in output
    assert list(Match.objects.values_list("program__slug", flat=True)) == ["moscow-pilots"]


def test_one_company_is_scored_at_once(demo, make_company):
    company = make_company(partners=["RU"])

    output = _rescore("--company", str(company.pk))

    assert f"Company {company.pk}: 5 open programs scored, 5 matches kept" in output


def test_without_inline_the_run_goes_to_the_workers(demo, make_company):
    make_company()

    with mock.patch("matchmaker.tasks.score_chunk_task.delay") as delay:
        _rescore("--no-wait")

    # enqueued after commit; the test transaction never commits, so the callback is pending
    assert ScoringRun.objects.get().chunks_total == 1
    delay.assert_not_called()


def test_waiting_for_absent_workers_gives_up_with_advice(demo, make_company):
    make_company()

    with pytest.raises(CommandError, match=r"Are workers running\?"):
        _rescore("--timeout", "0")


def test_an_unknown_program_or_company_is_a_clear_error(demo):
    with pytest.raises(CommandError, match="No program has the slug 'nope'"):
        _rescore("--program", "nope")
    with pytest.raises(CommandError, match="No company has the id 999"):
        _rescore("--company", "999")


def test_a_program_that_is_not_open_has_its_matches_cleared(demo, make_company):
    make_company(partners=["RU"])
    _rescore("--inline")
    Program.objects.filter(slug="moscow-pilots").update(status=Program.Status.CLOSED)

    output = _rescore("--program", "moscow-pilots")

    assert "moscow-pilots is not open: removed 1 matches." in output
