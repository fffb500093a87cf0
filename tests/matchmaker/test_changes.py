"""matchmaker.changes: what changed in a company's matches since a member last looked."""

from matchmaker.changes import Change, ChangeKind, compare, shown_score, snapshot


def test_on_a_first_visit_every_program_is_new() -> None:
    changes = compare({}, {1: ("eligible", 80.0), 2: ("ineligible", None)})

    assert changes.by_program == {1: Change(ChangeKind.NEW), 2: Change(ChangeKind.NEW)}
    assert changes.dropped == ()


def test_a_program_that_became_eligible_is_now_eligible() -> None:
    seen = snapshot({1: ("ineligible", 71.88)})

    changes = compare(seen, {1: ("eligible", 71.88)})

    assert changes.by_program == {1: Change(ChangeKind.NOW_ELIGIBLE)}


def test_a_program_that_stopped_being_eligible_is_no_longer_eligible() -> None:
    changes = compare(snapshot({1: ("eligible", 50.0)}), {1: ("incomplete", 50.0)})

    assert changes.by_program == {1: Change(ChangeKind.NO_LONGER_ELIGIBLE)}


def test_a_score_change_names_the_score_shown_last_time() -> None:
    seen = snapshot({1: ("eligible", 64.4), 2: ("ineligible", 80.0)})

    changes = compare(seen, {1: ("eligible", 71.88), 2: ("ineligible", 59.5)})

    assert changes.by_program == {
        1: Change(ChangeKind.SCORE_UP, previous_score=64),
        2: Change(ChangeKind.SCORE_DOWN, previous_score=80),
    }


def test_a_score_change_the_page_cannot_show_is_no_change() -> None:
    # both read "72 of 100"
    assert not compare(snapshot({1: ("eligible", 71.6)}), {1: ("eligible", 72.4)})


def test_eligibility_moving_between_incomplete_and_near_miss_is_not_flagged() -> None:
    assert not compare(snapshot({1: ("incomplete", None)}), {1: ("ineligible", None)})


def test_programs_seen_last_time_and_gone_now_are_dropped() -> None:
    changes = compare(snapshot({3: ("eligible", None), 1: ("ineligible", 10.0)}), {})

    assert changes.dropped == (1, 3)
    assert changes


def test_a_snapshot_in_an_unexpected_shape_counts_as_unseen() -> None:
    seen = {"1": "eligible", "x": ["eligible", None], "2": ["eligible", "high"], "3": [1, 2]}

    changes = compare(seen, {1: ("eligible", None)})

    assert changes.by_program == {1: Change(ChangeKind.NEW)}
    assert changes.dropped == ()
    assert compare(None, {}).dropped == ()


def test_a_snapshot_round_trips_through_json() -> None:
    import json

    current = {7: ("eligible", 71.88), 9: ("incomplete", None)}

    assert not compare(json.loads(json.dumps(snapshot(current))), current)


def test_scores_are_rounded_as_the_page_shows_them() -> None:
    assert [shown_score(score) for score in (71.5, 72.5, 0.49, 100.0)] == [72, 73, 0, 100]
