"""Following programs: the services, the Follow button's endpoint, the program page and the
calendar panel of the settings page."""

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from applicants.follows import followed_programs, is_following, program_follow, program_unfollow
from applicants.models import Follow, User
from programs.models import Program
from tests.factories import ProgramFactory, StageFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user() -> User:
    vendor: User = UserFactory(email="vendor@example.com")
    return vendor


@pytest.fixture
def program() -> Program:
    made: Program = ProgramFactory(slug="taipei-poc", title="Taipei POC")
    StageFactory(program=made, order=0)
    return made


@pytest.fixture
def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def follow_url(program: Program) -> str:
    return reverse("accounts:follow", kwargs={"slug": program.slug})


def follows() -> list[tuple[int, int]]:
    return list(Follow.objects.order_by("pk").values_list("user_id", "program_id"))


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- services ------------------------------------------------------------------------------------


def test_following_twice_keeps_one_follow(user: User, program: Program) -> None:
    first = program_follow(user=user, program=program)
    second = program_follow(user=user, program=program)

    assert first.pk == second.pk
    assert follows() == [(user.pk, program.pk)]
    assert is_following(user=user, program=program)


def test_unfollowing_twice_is_harmless(user: User, program: Program) -> None:
    program_follow(user=user, program=program)

    assert program_unfollow(user=user, program=program) is True
    assert program_unfollow(user=user, program=program) is False
    assert follows() == []
    assert not is_following(user=user, program=program)


@pytest.mark.parametrize(
    "status", [Program.Status.DRAFT, Program.Status.CLOSED, Program.Status.ARCHIVED]
)
def test_only_an_open_program_can_be_followed(user: User, status: str) -> None:
    program = ProgramFactory(status=status)

    with pytest.raises(ValidationError, match="not open"):
        program_follow(user=user, program=program)

    assert follows() == []


def test_followed_programs_are_the_users_published_ones_by_title(user: User) -> None:
    zeta = ProgramFactory(title="Zeta")
    alpha = ProgramFactory(title="Alpha")
    for followed in (zeta, alpha):
        program_follow(user=user, program=followed)
    program_follow(user=UserFactory(email="other@example.com"), program=ProgramFactory())
    withdrawn = ProgramFactory(title="Withdrawn")
    program_follow(user=user, program=withdrawn)
    Program.objects.filter(pk=withdrawn.pk).update(status=Program.Status.DRAFT)

    assert list(followed_programs(user=user)) == [alpha, zeta]


# --- the Follow endpoint -------------------------------------------------------------------------


def test_the_follow_button_follows_and_says_what_it_means(
    signed_in: Client, user: User, program: Program
) -> None:
    response = signed_in.post(follow_url(program), {"action": "follow"})

    assert response.status_code == 302
    assert response["Location"] == program.get_absolute_url()
    assert follows() == [(user.pk, program.pk)]
    (message,) = messages_of(response)
    assert message.startswith("You follow Taipei POC: its deadlines are in your calendar feed")


def test_an_explicit_action_sent_twice_changes_nothing_more(
    signed_in: Client, user: User, program: Program
) -> None:
    signed_in.post(follow_url(program), {"action": "follow"})
    signed_in.post(follow_url(program), {"action": "follow"})
    assert follows() == [(user.pk, program.pk)]

    signed_in.post(follow_url(program), {"action": "unfollow"})
    response = signed_in.post(follow_url(program), {"action": "unfollow"})
    assert follows() == []
    assert messages_of(response)[-1] == "You no longer follow Taipei POC."


def test_without_an_action_the_button_toggles(
    signed_in: Client, user: User, program: Program
) -> None:
    signed_in.post(follow_url(program))
    assert follows() == [(user.pk, program.pk)]

    signed_in.post(follow_url(program))
    assert follows() == []


def test_the_follow_goes_to_the_signed_in_user_whatever_the_form_says(
    signed_in: Client, user: User, program: Program
) -> None:
    other: User = UserFactory(email="other@example.com")

    signed_in.post(follow_url(program), {"action": "follow", "user": other.pk, "user_id": other.pk})

    assert follows() == [(user.pk, program.pk)]


def test_the_follow_button_returns_to_a_safe_next_page_only(
    signed_in: Client, program: Program
) -> None:
    back = signed_in.post(follow_url(program), {"action": "follow", "next": "/accounts/profile/"})
    away = signed_in.post(
        follow_url(program), {"action": "unfollow", "next": "https://evil.example/"}
    )

    assert back["Location"] == "/accounts/profile/"
    assert away["Location"] == program.get_absolute_url()


def test_an_unknown_action_is_refused_and_changes_nothing(
    signed_in: Client, user: User, program: Program
) -> None:
    program_follow(user=user, program=program)

    response = signed_in.post(follow_url(program), {"action": "delete-everything"})

    assert response.status_code == 400
    assert "send follow or unfollow" in response.content.decode()
    assert follows() == [(user.pk, program.pk)]


@pytest.mark.parametrize("status", [Program.Status.CLOSED, Program.Status.ARCHIVED])
def test_a_closed_program_cannot_be_followed_but_can_be_unfollowed(
    signed_in: Client, user: User, program: Program, status: str
) -> None:
    program_follow(user=user, program=program)
    closed = ProgramFactory(status=status, title="Old call")

    refused = signed_in.post(follow_url(closed), {"action": "follow"})
    Program.objects.filter(pk=program.pk).update(status=status)
    signed_in.post(follow_url(program), {"action": "unfollow"})

    assert refused.status_code == 302
    assert messages_of(refused) == ["Old call is not open: there are no deadlines to follow."]
    assert follows() == []


def test_a_draft_or_unknown_program_is_not_found_and_nothing_changes(
    signed_in: Client, user: User
) -> None:
    draft = ProgramFactory(status=Program.Status.DRAFT)

    assert signed_in.post(follow_url(draft), {"action": "follow"}).status_code == 404
    assert signed_in.post("/accounts/follow/nope/", {"action": "follow"}).status_code == 404
    assert follows() == []


def test_an_anonymous_visitor_is_sent_to_sign_in(client: Client, program: Program) -> None:
    response = client.post(follow_url(program), {"action": "follow"})

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('accounts:login')}?next=")
    assert follows() == []


def test_following_takes_a_post(signed_in: Client, program: Program) -> None:
    assert signed_in.get(follow_url(program)).status_code == 405
    assert follows() == []


def test_following_is_protected_from_cross_site_requests(user: User, program: Program) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(follow_url(program), {"action": "follow"})

    assert response.status_code == 403
    assert follows() == []


# --- the program page ----------------------------------------------------------------------------


def test_the_program_page_offers_to_follow_and_says_what_it_does(
    signed_in: Client, program: Program
) -> None:
    page = signed_in.get(program.get_absolute_url()).content.decode()

    assert f'action="{follow_url(program)}"' in page
    assert 'name="action" value="follow"' in page
    assert 'aria-pressed="false"' in page
    assert "csrfmiddlewaretoken" in page
    assert "Following puts this program's deadlines in your calendar feed" in page


def test_the_program_page_shows_a_followed_program_as_following(
    signed_in: Client, user: User, program: Program
) -> None:
    program_follow(user=user, program=program)

    page = signed_in.get(program.get_absolute_url()).content.decode()

    assert 'name="action" value="unfollow"' in page
    assert 'aria-pressed="true"' in page
    assert ">Following</button>" in page


def test_an_anonymous_visitor_sees_no_follow_button(client: Client, program: Program) -> None:
    page = client.get(program.get_absolute_url()).content.decode()

    assert follow_url(program) not in page


def test_a_closed_program_offers_no_follow_button_unless_followed(
    signed_in: Client, user: User
) -> None:
    closed = ProgramFactory(status=Program.Status.CLOSED)
    followed = ProgramFactory()
    program_follow(user=user, program=followed)
    Program.objects.filter(pk=followed.pk).update(status=Program.Status.CLOSED)

    assert follow_url(closed) not in signed_in.get(closed.get_absolute_url()).content.decode()
    assert 'value="unfollow"' in signed_in.get(followed.get_absolute_url()).content.decode()


def test_the_program_page_for_a_signed_in_user_makes_a_fixed_number_of_queries(
    signed_in: Client, demo: None, django_assert_num_queries: Any
) -> None:
    url = reverse("programs:detail", kwargs={"slug": "procure-renewable-buildings"})
    # the page's 9 as for anyone (see tests/programs/test_views.py: program with owner,
    # criteria, groups, requirements, buyers, sectors, stages, challenges with sector, sector
    # names), the session and its user, then whether the user follows the program
    with django_assert_num_queries(12):
        response = signed_in.get(url)

    assert 'value="follow"' in response.content.decode()


# --- the settings page's panel -------------------------------------------------------------------

PANEL = Template('{% include "accounts/includes/calendar_feed.html" %}')


def render_panel(user: User | None, *, path: str = "/accounts/notifications/") -> str:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get(path)
    request.user = user if user is not None else AnonymousUser()
    return PANEL.render(Context({"request": request, "csrf_token": "the-csrf-token"}))


def test_the_panel_shows_the_feed_address_made_on_first_view(user: User) -> None:
    html = render_panel(user)

    user.refresh_from_db()
    token = user.calendar_token
    assert token
    feed = f"http://testserver{reverse('accounts:calendar-feed', kwargs={'token': token})}"
    assert f'value="{feed}"' in html
    assert f'href="webcal://testserver/accounts/calendar/{token}.ics"' in html
    for app in ("Google Calendar", "Outlook", "Apple Calendar"):
        assert app in html
    assert f'action="{reverse("accounts:calendar-reset")}"' in html
    # the same address next time
    render_panel(user)
    assert User.objects.get(pk=user.pk).calendar_token == token


def test_the_panel_lists_followed_programs_with_unfollow_buttons(
    user: User, program: Program
) -> None:
    program_follow(user=user, program=program)

    html = render_panel(user, path="/accounts/notifications/?tab=calendar")

    assert "Taipei POC" in html
    assert f'action="{follow_url(program)}"' in html
    assert 'name="action" value="unfollow"' in html
    assert 'name="next" value="/accounts/notifications/?tab=calendar"' in html
    assert 'value="the-csrf-token"' in html


def test_the_panel_says_when_nothing_is_followed(user: User) -> None:
    html = render_panel(user)

    assert "You follow no program yet." in html


def test_the_panel_shows_nothing_to_an_anonymous_visitor() -> None:
    assert render_panel(None).strip() == ""


@pytest.mark.parametrize("followed", [1, 5])
def test_the_panel_makes_a_fixed_number_of_queries(
    user: User, followed: int, django_assert_num_queries: Any
) -> None:
    for number in range(followed):
        program_follow(user=user, program=ProgramFactory(title=f"Program {number}"))
    render_panel(user)  # the first view makes the token
    user.refresh_from_db()

    # the followed programs with their owner agencies
    with django_assert_num_queries(1):
        html = render_panel(user)

    assert html.count('value="unfollow"') == followed
