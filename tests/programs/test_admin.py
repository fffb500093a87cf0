import pytest
from django.urls import reverse

from programs.models import Agency, Criterion, Program, Requirement, RequirementGroup, Sector
from tests.factories import ProgramFactory, add_criterion

pytestmark = pytest.mark.django_db


@pytest.fixture
def group() -> RequirementGroup:
    program = ProgramFactory()
    criterion = add_criterion(program, label="Ready", groups=[[("trl", "gte", 5)]])
    return criterion.groups.get()


def _group_form(group: RequirementGroup, **requirement: object) -> dict[str, object]:
    existing = group.requirements.get()
    data: dict[str, object] = {
        "criterion": group.criterion_id,
        "order": 0,
        "requirements-TOTAL_FORMS": 2,
        "requirements-INITIAL_FORMS": 1,
        "requirements-MIN_NUM_FORMS": 0,
        "requirements-MAX_NUM_FORMS": 1000,
        "requirements-0-id": existing.pk,
        "requirements-0-group": group.pk,
        "requirements-0-order": 0,
        "requirements-0-fact": "trl",
        "requirements-0-operator": "gte",
        "requirements-0-value": "5",
        "requirements-0-hint": "",
        "requirements-1-group": group.pk,
        "requirements-1-order": 1,
        "requirements-1-hint": "",
    }
    data.update({f"requirements-1-{key}": value for key, value in requirement.items()})
    return data


def test_an_operator_adding_a_bad_requirement_sees_the_engines_message_and_nothing_is_saved(
    admin_client, group
):
    url = reverse("admin:programs_requirementgroup_change", args=[group.pk])
    version = group.criterion.program.rules_version

    response = admin_client.post(url, _group_form(group, fact="country", operator="gte", value="5"))

    assert response.status_code == 200
    errors = str(response.context["inline_admin_formsets"][0].formset.errors)
    assert "does not fit" in errors
    assert Requirement.objects.count() == 1
    assert Program.objects.get().rules_version == version


def test_an_operator_adding_a_valid_requirement_bumps_the_rules_version(admin_client, group):
    url = reverse("admin:programs_requirementgroup_change", args=[group.pk])

    response = admin_client.post(
        url, _group_form(group, fact="has_demo", operator="is_true", value="null")
    )

    assert response.status_code == 302
    assert Requirement.objects.count() == 2
    assert Program.objects.get().rules_version == 2


@pytest.mark.parametrize("model", ["sector", "agency", "program", "criterion", "requirementgroup"])
def test_every_catalog_admin_list_opens(admin_client, demo, model):
    response = admin_client.get(reverse(f"admin:programs_{model}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", ["sector", "agency", "program", "criterion", "requirementgroup"])
def test_every_catalog_admin_form_opens(admin_client, demo, model):
    obj = {
        "sector": Sector,
        "agency": Agency,
        "program": Program,
        "criterion": Criterion,
        "requirementgroup": RequirementGroup,
    }[model].objects.first()

    response = admin_client.get(reverse(f"admin:programs_{model}_change", args=[obj.pk]))

    assert response.status_code == 200


def test_an_operator_edits_a_programs_texts_in_every_language_side_by_side(admin_client, demo):
    program = Program.objects.get(slug="moscow-pilots")
    url = reverse("admin:programs_program_change", args=[program.pk])

    html = admin_client.get(url).content.decode()

    # the title and a stage's name, in English, Traditional Chinese and Russian
    for language in ("en", "zh_hant", "ru"):
        assert f'name="title_{language}"' in html
        assert f'name="stages-0-name_{language}"' in html
    assert 'name="title"' not in html
    assert program.title_ru and f'value="{program.title_ru}"' in html
