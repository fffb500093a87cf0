"""The rule builder's pages: who reaches them, inputs that fit each fact, the engine's messages
next to the fields, the impact preview, and saves that bump the rules version once."""

import re
from typing import Any

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from applicants.models import Company, User
from programs.models import Agency, Criterion, Program, Requirement, RequirementGroup
from programs.models import StaffMembership as Membership
from tests.factories import AgencyFactory, ProgramFactory, add_criterion
from tests.urlconf import all_routes
from tests.vendors import database_snapshot, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency() -> Agency:
    return AgencyFactory(slug="mos", name="Moscow Agency of Innovations")


@pytest.fixture
def program(agency: Agency) -> Program:
    program = ProgramFactory(slug="pilots", title="Pilots", owner=agency)
    add_criterion(
        program,
        label="Russian company or a Russian partner",
        groups=[[("country", "in", ["RU"])], [("partner_countries", "contains", "RU")]],
    )
    add_criterion(program, label="Ready to pilot", groups=[[("trl", "gte", 5)]])
    add_criterion(
        program,
        label="Maturity",
        kind=Criterion.Kind.AWARD,
        weight=30,
        groups=[[("trl", "scale", [5, 9]), ("has_demo", "is_true", None)]],
    )
    add_criterion(
        program,
        label="Pilots before",
        kind=Criterion.Kind.AWARD,
        weight=10,
        groups=[[("prior_pilots", "gte", 1)]],
    )
    return program


def _member(email: str, agency: Agency, role: str) -> User:
    user = make_user(email)
    Membership.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def admin(agency: Agency) -> User:
    return _member("admin@mos.example", agency, Membership.Role.ADMIN)


@pytest.fixture
def admin_client(client: Client, admin: User) -> Client:
    client.force_login(admin)
    return client


def _version(program: Program) -> int:
    return Program.objects.values_list("rules_version", flat=True).get(pk=program.pk)


def _trl(program: Program) -> Requirement:
    return Requirement.objects.get(group__criterion__program=program, fact="trl", operator="gte")


def _url(name: str, program: Program, **kwargs: Any) -> str:
    return reverse(f"rules:{name}", kwargs={"slug": program.slug, **kwargs})


def _errors(response: Any) -> str:
    """The text of every error shown next to a field."""
    html = response.content.decode()
    return " ".join(re.findall(r'<div class="error" id="[^"]+">(.*?)</div>', html, re.S))


# --- who may use the rule builder ----------------------------------------------------------------

# Rule route → how to point it at a program's objects (see ``_arguments``).
RULE_ROUTES: dict[str, dict[str, str]] = {
    "rules:list": {},
    "rules:criterion-add": {},
    "rules:criterion-edit": {"criterion_pk": "criterion"},
    "rules:criterion-delete": {"criterion_pk": "criterion"},
    "rules:group-add": {"criterion_pk": "criterion"},
    "rules:group-delete": {"group_pk": "group"},
    "rules:requirement-add": {"group_pk": "group"},
    "rules:requirement-edit": {"requirement_pk": "requirement"},
    "rules:requirement-delete": {"requirement_pk": "requirement"},
}

# A valid, harmful post for every form: it would change the rules if it got through.
HOSTILE_POST = {
    "action": "save",
    "kind": "gate",
    "label": "Taken over",
    "weight": "1",
    "requirement-fact": "trl",
    "requirement-operator": "gte",
    "requirement-value": "9",
}


def _arguments(program: Program) -> dict[str, int]:
    # The first criterion has two options, so every removal is allowed.
    criterion = program.criteria.order_by("order").first()
    assert criterion is not None
    group = criterion.groups.order_by("order").first()
    assert group is not None
    requirement = Requirement.objects.get(group__criterion__program=program, fact="has_demo")
    return {"criterion": criterion.pk, "group": group.pk, "requirement": requirement.pk}


def _route_url(name: str, program: Program) -> str:
    objects = _arguments(program)
    kwargs = {argument: objects[what] for argument, what in RULE_ROUTES[name].items()}
    return reverse(name, kwargs={"slug": program.slug, **kwargs})


def test_every_rule_route_is_checked_here() -> None:
    routes = {name: route for name, route in all_routes().items() if name.startswith("rules:")}

    assert set(routes) == set(RULE_ROUTES)
    for name, route in routes.items():
        assert route.arguments == {"slug", *RULE_ROUTES[name]}


@pytest.mark.parametrize("name", sorted(RULE_ROUTES))
def test_an_agency_admin_reaches_every_rule_page(admin_client, program, name):
    response = admin_client.get(_route_url(name, program))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("role", "status"),
    [("reviewer", 403), ("other agency's admin", 404), ("vendor", 403), ("anonymous", 302)],
)
@pytest.mark.parametrize("name", sorted(RULE_ROUTES))
def test_nobody_else_reaches_a_rule_page_or_changes_anything(program, agency, name, role, status):
    client = Client()
    if role == "reviewer":
        client.force_login(_member("reviewer@mos.example", agency, Membership.Role.REVIEWER))
    elif role == "other agency's admin":
        client.force_login(_member("admin@tpe.example", AgencyFactory(), Membership.Role.ADMIN))
    elif role == "vendor":
        vendor = make_user("vendor@acme.example")
        Company.objects.create(legal_name="Acme", country="RU")
        client.force_login(vendor)
    url = _route_url(name, program)
    before = database_snapshot()

    responses = [client.get(url), client.post(url, HOSTILE_POST)]

    assert [response.status_code for response in responses] == [status, status]
    if role == "anonymous":
        login = resolve_url(settings.LOGIN_URL)
        assert all(r["Location"].startswith(f"{login}?next=") for r in responses)
    assert database_snapshot() == before
    assert _version(program) == 1


def test_a_joint_programs_buyer_agency_admin_may_edit_its_rules(client, program):
    buyer = AgencyFactory(slug="eilat", name="Eilat")
    program.buyers.add(buyer)
    client.force_login(_member("admin@eilat.example", buyer, Membership.Role.ADMIN))

    assert client.get(_url("list", program)).status_code == 200


def test_another_programs_rule_is_not_found_through_this_programs_url(admin_client, program):
    other = ProgramFactory(slug="other", owner=program.owner)
    foreign = add_criterion(other, label="Theirs", groups=[[("trl", "gte", 3)]])

    response = admin_client.post(
        _url("criterion-delete", program, criterion_pk=foreign.pk), HOSTILE_POST
    )

    assert response.status_code == 404
    assert Criterion.objects.filter(pk=foreign.pk).exists()


def test_a_method_the_page_does_not_take_is_refused_after_tenancy(admin_client, program):
    assert admin_client.delete(_url("list", program)).status_code == 405
    assert admin_client.put(_url("criterion-add", program)).status_code == 405


# --- the rules page ------------------------------------------------------------------------------


def test_the_rules_page_shows_gates_then_awards_in_plain_words(admin_client, program):
    response = admin_client.get(_url("list", program))
    html = response.content.decode()

    assert response.status_code == 200
    assert "Rules version 1" in html
    gates, awards = html.index("Eligibility gates"), html.index("Award criteria")
    assert gates < html.index("Ready to pilot") < awards < html.index("Maturity")
    assert "Registered in Russia, or a partner registered in Russia" in html
    assert "Option 2" in html
    assert "TRL at least 5" in html
    assert "Higher TRL scores more (from 5 to 9)" in html
    assert "75% of the score" in html  # 30 of 40
    assert "25% of the score" in html
    ready = Criterion.objects.get(label="Ready to pilot")
    trl = _trl(program)
    for url in (
        _url("criterion-add", program) + "?kind=gate",
        _url("criterion-add", program) + "?kind=award",
        _url("criterion-edit", program, criterion_pk=ready.pk),
        _url("criterion-delete", program, criterion_pk=ready.pk),
        _url("group-add", program, criterion_pk=ready.pk),
        _url("requirement-add", program, group_pk=trl.group_id),
        _url("requirement-edit", program, requirement_pk=trl.pk),
    ):
        assert f'href="{url}"' in html


def test_the_rules_page_says_when_matches_are_being_recomputed(admin_client, program):
    Program.objects.filter(pk=program.pk).update(rules_version=3, scored_rules_version=2)

    html = admin_client.get(_url("list", program)).content.decode()

    assert "being recomputed for version 3" in html


def test_removal_links_appear_only_where_a_removal_is_allowed(admin_client, program):
    html = admin_client.get(_url("list", program)).content.decode()
    trl = _trl(program)
    demo = Requirement.objects.get(fact="has_demo")

    # The TRL gate's requirement is its option's only one, and that option its only option.
    assert _url("requirement-delete", program, requirement_pk=trl.pk) not in html
    assert _url("group-delete", program, group_pk=trl.group_id) not in html
    assert _url("requirement-delete", program, requirement_pk=demo.pk) in html


@pytest.mark.parametrize("extra_criteria", [0, 6])
def test_the_rules_page_makes_a_fixed_number_of_queries(
    admin_client, program, django_assert_num_queries, extra_criteria
):
    for number in range(extra_criteria):
        add_criterion(
            program,
            label=f"Extra {number}",
            groups=[[("sectors", "overlaps", ["mobility"])], [("employees", "gte", number)]],
        )
    url = _url("list", program)

    # session, user; tenancy (staff_program_or_404): the user's roles in their agencies, the
    # program among theirs (an admin of its owner); the rules: criteria, groups, requirements;
    # the sector names.
    # The first request set the session flag of the workspace link, so none is written here.
    admin_client.get(url)
    with django_assert_num_queries(8):
        response = admin_client.get(url)

    assert response.status_code == 200


# --- inputs that fit each fact -------------------------------------------------------------------


def _refresh(client: Client, program: Program, **fields: str) -> str:
    data = {f"requirement-{name}": value for name, value in fields.items()}
    url = _url("requirement-add", program, group_pk=_trl(program).group_id)
    response = client.post(url, {**data, "action": "refresh"})
    assert response.status_code == 200
    return response.content.decode().split("<template", 1)[0]  # the form, not the templates


def test_a_country_fact_gets_a_country_picker(admin_client, program):
    html = _refresh(admin_client, program, fact="country", operator="eq")

    assert re.search(r'<select name="requirement-value"[^>]*>', html)
    assert '<option value="RU">Russia</option>' in html
    assert "multiple" not in re.search(r'<select name="requirement-value"[^>]*>', html).group(0)


@pytest.mark.parametrize(
    ("fact", "operator"),
    [("country", "in"), ("country", "not_in"), ("partner_countries", "overlaps")],
)
def test_a_list_of_countries_gets_a_multiple_country_picker(admin_client, program, fact, operator):
    html = _refresh(admin_client, program, fact=fact, operator=operator)

    select = re.search(r'<select name="requirement-value"[^>]*>', html)
    assert select is not None
    assert "multiple" in select.group(0)


def test_sectors_get_checkboxes_in_a_fieldset(admin_client, program):
    html = _refresh(admin_client, program, fact="sectors", operator="overlaps")

    assert "<legend>Sectors" in html
    assert 'type="checkbox" name="requirement-value" value="mobility"' in html


def test_a_number_gets_a_number_input_within_the_facts_bounds(admin_client, program):
    html = _refresh(admin_client, program, fact="trl", operator="lte")

    number = re.search(r'<input type="number" name="requirement-value"[^>]*>', html)
    assert number is not None
    assert 'min="1"' in number.group(0)
    assert 'max="9"' in number.group(0)
    assert "A whole number from 1 to 9." in html


def test_a_range_gets_two_labelled_number_inputs(admin_client, program):
    html = _refresh(admin_client, program, fact="employees", operator="between")

    assert '<label for="id_requirement-value_low">From</label>' in html
    assert '<label for="id_requirement-value_high">To</label>' in html
    assert "<legend>Range" in html


def test_a_yes_no_fact_gets_no_value_input(admin_client, program):
    html = _refresh(admin_client, program, fact="has_demo", operator="is_true")

    assert 'name="requirement-value' not in html
    assert "This condition takes no value." in html


def test_choosing_another_fact_offers_its_operators_and_drops_one_that_does_not_fit(
    admin_client, program
):
    html = _refresh(admin_client, program, fact="country", operator="gte", value="5")

    assert _operators(html) == ["eq", "ne", "in", "not_in", "present"]
    assert re.search(r'<option value="eq" selected>', html)
    assert "There is a problem" not in html


def test_a_gate_is_not_offered_award_only_operators_but_an_award_is(admin_client, program):
    gate = _refresh(admin_client, program, fact="trl", operator="gte")
    maturity = Requirement.objects.get(fact="has_demo").group
    award = admin_client.post(
        _url("requirement-add", program, group_pk=maturity.pk),
        {"requirement-fact": "trl", "requirement-operator": "gte", "action": "refresh"},
    ).content.decode()

    assert "scale" not in _operators(gate)
    assert "scale" in _operators(award)


def test_the_page_carries_inputs_for_every_fact_for_the_script(admin_client, program):
    response = admin_client.get(_url("requirement-add", program, group_pk=_trl(program).group_id))
    html = response.content.decode()

    keys = set(re.findall(r'<template data-value-template="([\w-]+)">', html))
    assert {"country", "countries", "sector", "sectors", "none", "trl-one", "trl-between"} <= keys
    assert 'id="rule-builder-config"' in html
    assert "js/rule_builder.js" in html


# --- saving --------------------------------------------------------------------------------------


def test_saving_a_requirement_stores_the_engines_json_and_bumps_the_version_once(
    admin_client, program
):
    group = _trl(program).group

    response = admin_client.post(
        _url("requirement-add", program, group_pk=group.pk),
        {
            "requirement-fact": "country",
            "requirement-operator": "not_in",
            "requirement-value": ["KP", "IR"],
            "requirement-hint": "Sanctions apply.",
            "action": "save",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == _url("list", program)
    added = group.requirements.get(fact="country")
    assert (added.operator, added.value, added.hint) == ("not_in", ["KP", "IR"], "Sanctions apply.")
    assert _version(program) == 2


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        ({"fact": "trl", "operator": "between", "value_low": "3", "value_high": "8"}, [3, 8]),
        ({"fact": "employees", "operator": "in", "value": "5, 10;20"}, [5, 10, 20]),
        ({"fact": "sectors", "operator": "contains", "value": "energy"}, "energy"),
        ({"fact": "sectors", "operator": "overlaps", "value": ["energy", "mobility"]}, None),
        ({"fact": "has_demo", "operator": "is_false"}, None),
    ],
)
def test_each_kind_of_value_is_assembled_into_the_engines_shape(
    admin_client, program, fields, stored
):
    trl = _trl(program)
    data = {f"requirement-{name}": value for name, value in fields.items()}

    response = admin_client.post(
        _url("requirement-edit", program, requirement_pk=trl.pk), {**data, "action": "save"}
    )

    assert response.status_code == 302, _errors(response)
    trl.refresh_from_db()
    expected = fields.get("value") if stored is None and "value" in fields else stored
    assert trl.value == expected


def test_the_edit_form_shows_the_saved_requirement(admin_client, program):
    html = admin_client.get(
        _url("requirement-edit", program, requirement_pk=_trl(program).pk)
    ).content.decode()

    assert 'value="gte" selected' in html
    assert re.search(r'<input type="number" name="requirement-value" value="5"', html)


def test_saving_without_a_change_says_so_and_bumps_nothing(admin_client, program):
    response = admin_client.post(
        _url("requirement-edit", program, requirement_pk=_trl(program).pk),
        {"requirement-fact": "trl", "requirement-operator": "gte", "requirement-value": "5"},
        follow=True,
    )

    assert "Nothing changed" in response.content.decode()
    assert _version(program) == 1


BAD_INPUT = [
    pytest.param({"fact": "revenue", "operator": "gte", "value": "5"}, "Unknown fact", id="fact"),
    pytest.param({"fact": "trl", "operator": "approx", "value": "5"}, "Unknown operator", id="op"),
    pytest.param(
        {"fact": "trl", "operator": "gte", "value": "12"}, "TRL must be between 1 and 9", id="trl"
    ),
    pytest.param(
        {"fact": "trl", "operator": "between", "value_low": "7", "value_high": "5"},
        "The lower bound (7) must not be above the upper bound (5).",
        id="low-above-high",
    ),
    pytest.param(
        {"fact": "country", "operator": "in", "value": ["RU", "XX"]},
        "“XX” is not a country code.",
        id="country",
    ),
    pytest.param(
        {"fact": "sectors", "operator": "overlaps", "value": ["space-mining"]},
        "“space-mining” is not a sector code.",
        id="sector",
    ),
    pytest.param(
        {"fact": "trl", "operator": "scale", "value_low": "5", "value_high": "9"},
        "only scores award criteria",
        id="award-only-on-a-gate",
    ),
    pytest.param(
        {"fact": "trl", "operator": "gte", "value": "five"},
        "Enter a whole number, not “five”.",
        id="not-a-number",
    ),
    pytest.param(
        {"fact": "employees", "operator": "in", "value": "5, x"},
        "Enter a whole number, not “x”.",
        id="not-a-number-in-a-list",
    ),
    pytest.param({"fact": "trl", "operator": "gte"}, "Enter a number.", id="missing-value"),
    pytest.param(
        {"fact": "sectors", "operator": "overlaps"}, "Choose at least one sector.", id="no-sector"
    ),
]


@pytest.mark.parametrize("action", ["save", "preview"])
@pytest.mark.parametrize(("fields", "message"), BAD_INPUT)
def test_bad_input_shows_the_engines_message_next_to_the_field_and_saves_nothing(
    admin_client, program, fields, message, action
):
    data = {f"requirement-{name}": value for name, value in fields.items()}
    before = database_snapshot()

    response = admin_client.post(
        _url("requirement-edit", program, requirement_pk=_trl(program).pk),
        {**data, "action": action},
    )

    assert response.status_code == 200
    assert message in _errors(response)
    assert "There is a problem: nothing was saved" in response.content.decode()
    assert response.context["page"].impact is None
    assert database_snapshot() == before
    assert _version(program) == 1


def test_a_negative_weight_is_refused_next_to_the_weight(admin_client, program):
    maturity = Criterion.objects.get(label="Maturity")

    response = admin_client.post(
        _url("criterion-edit", program, criterion_pk=maturity.pk),
        {"kind": "award", "label": "Maturity", "weight": "-5", "action": "save"},
    )

    assert "The weight must be zero or more." in _errors(response)
    assert Criterion.objects.get(pk=maturity.pk).weight == 30
    assert _version(program) == 1


def test_turning_an_award_with_a_scale_into_a_gate_is_refused_next_to_the_kind(
    admin_client, program
):
    maturity = Criterion.objects.get(label="Maturity")

    response = admin_client.post(
        _url("criterion-edit", program, criterion_pk=maturity.pk),
        {"kind": "gate", "label": "Maturity", "weight": "30", "action": "preview"},
    )

    assert "only scores award criteria" in _errors(response)
    assert response.context["page"].impact is None


def test_adding_a_criterion_with_its_first_requirement(admin_client, program):
    response = admin_client.post(
        _url("criterion-add", program),
        {
            "kind": "award",
            "label": "Size",
            "weight": "20",
            "help_text": "",
            "requirement-fact": "employees",
            "requirement-operator": "scale",
            "requirement-value_low": "5",
            "requirement-value_high": "50",
            "action": "save",
        },
    )

    assert response.status_code == 302
    size = Criterion.objects.get(label="Size")
    assert (size.kind, size.weight) == ("award", 20)
    assert Requirement.objects.get(group__criterion=size).value == [5, 50]
    assert _version(program) == 2


def _operators(html: str) -> list[str]:
    select = re.search(r'<select name="requirement-operator".*?</select>', html, re.S)
    assert select is not None
    return re.findall(r'value="(\w+)"', select.group(0))


@pytest.mark.parametrize(("kind", "offered"), [("gate", False), ("award", True)])
def test_the_add_form_offers_the_operators_of_the_kind_chosen(admin_client, program, kind, offered):
    url = _url("criterion-add", program)

    shown = admin_client.get(f"{url}?kind={kind}").content.decode()
    refreshed = admin_client.post(
        url, {"kind": kind, "requirement-fact": "sectors", "action": "refresh"}
    ).content.decode()

    assert re.search(rf'value="{kind}"[^>]*checked', shown)
    assert ("overlap_ratio" in _operators(refreshed)) is offered
    assert "There is a problem" not in refreshed


def test_adding_an_option_to_a_criterion(admin_client, program):
    ready = Criterion.objects.get(label="Ready to pilot")

    response = admin_client.post(
        _url("group-add", program, criterion_pk=ready.pk),
        {
            "requirement-fact": "prior_pilots",
            "requirement-operator": "gte",
            "requirement-value": "1",
            "action": "save",
        },
    )

    assert response.status_code == 302
    assert RequirementGroup.objects.filter(criterion=ready).count() == 2
    assert _version(program) == 2


# --- previews and removals -----------------------------------------------------------------------


def _companies() -> None:
    Company.objects.create(legal_name="Five", country="RU", trl=5, discoverable=True)
    Company.objects.create(legal_name="Eight", country="RU", trl=8)
    Company.objects.create(legal_name="Unknown", country="RU")


def test_preview_shows_the_impact_and_saves_nothing(admin_client, program):
    _companies()
    before = database_snapshot()

    response = admin_client.post(
        _url("requirement-edit", program, requirement_pk=_trl(program).pk),
        {
            "requirement-fact": "trl",
            "requirement-operator": "gte",
            "requirement-value": "7",
            "action": "preview",
        },
    )
    html = response.content.decode()

    assert "With this change <strong>1</strong> of 3 companies are eligible (now 2)." in html
    assert "Incomplete (a fact a gate asks about is missing): 1 (now 1)" in (html)
    assert "<strong>Five</strong>: Eligible → Ineligible" in html
    assert "Eight" not in html.split("Impact of this change")[1]
    assert database_snapshot() == before


def test_the_script_gets_the_impact_panel_alone(admin_client, program):
    _companies()

    response = admin_client.post(
        _url("requirement-edit", program, requirement_pk=_trl(program).pk),
        {
            "requirement-fact": "trl",
            "requirement-operator": "gte",
            "requirement-value": "7",
            "action": "preview",
        },
        headers={"X-Rule-Preview": "1"},
    )
    html = response.content.decode()

    assert html.lstrip().startswith('<section class="card impact" data-impact')
    assert "<html" not in html
    assert "(now 2)" in html


def test_the_removal_page_shows_its_impact_and_removing_bumps_once(admin_client, program):
    _companies()
    ready = Criterion.objects.get(label="Ready to pilot")
    url = _url("criterion-delete", program, criterion_pk=ready.pk)

    confirm = admin_client.get(url).content.decode()
    removed = admin_client.post(url)

    assert "With this change <strong>3</strong> of 3 companies are eligible (now 2)." in confirm
    assert removed.status_code == 302
    assert not Criterion.objects.filter(pk=ready.pk).exists()
    assert _version(program) == 2


def test_an_options_only_requirement_offers_no_removal_and_refuses_a_post(admin_client, program):
    url = _url("requirement-delete", program, requirement_pk=_trl(program).pk)
    before = database_snapshot()

    page = admin_client.get(url).content.decode()
    refused = admin_client.post(url)

    assert "Remove the option instead" in page
    assert 'type="submit"' not in page.split("<main", 1)[1]
    assert refused.status_code == 200
    assert "Remove the option instead" in refused.content.decode()
    assert database_snapshot() == before
    assert _version(program) == 1


def test_removing_an_option(admin_client, program):
    residency = Criterion.objects.get(label="Russian company or a Russian partner")
    partner = residency.groups.order_by("order").last()

    response = admin_client.post(_url("group-delete", program, group_pk=partner.pk))

    assert response.status_code == 302
    assert list(residency.groups.all()) == [residency.groups.order_by("order").first()]
    assert _version(program) == 2


def test_removing_a_requirement(admin_client, program):
    demo = Requirement.objects.get(fact="has_demo")

    response = admin_client.post(_url("requirement-delete", program, requirement_pk=demo.pk))

    assert response.status_code == 302
    assert not Requirement.objects.filter(pk=demo.pk).exists()
    assert _version(program) == 2
