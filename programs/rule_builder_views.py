"""The rule builder: agency admins edit a program's gates and award criteria.

Views are thin. The workspace's ``program_view(admin=True)`` decides access as on every staff
page (anonymous visitors sign in; vendors and reviewers get 403, other agencies' staff 404, then
an unknown method 405); the view finds the criterion, option or requirement within that program
(404 otherwise). A form page then does one
of three things, by the button pressed: "Update the inputs" re-renders the form for the fact just
chosen; "Preview impact" validates the change and evaluates it with ``impact_preview`` against
every company, saving nothing; "Save" calls one service of ``programs.rule_builder`` and goes
back to the rules. ``rule_builder.js`` posts the preview in the background and asks for the
impact panel alone (``X-Rule-Preview``).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from matchmaker.engine import (
    CriterionKind,
    CriterionSpec,
    GroupSpec,
    RequirementSpec,
    describe_criterion,
    describe_requirement,
)
from programs import rule_builder
from programs.models import Criterion, Program, Requirement, RequirementGroup
from programs.rule_builder import Impact, RuleDraft, impact_preview, with_rules
from programs.rule_builder_forms import (
    CriterionForm,
    RequirementForm,
    builder_config,
    value_templates,
)
from programs.rules import ruleset_for, sector_names, wording
from programs.staff_views.access import READ, READ_WRITE, program_view

REQUIREMENT_PREFIX = "requirement"


def _action(request: HttpRequest) -> str:
    action = request.POST.get("action", "save")
    return action if action in {"save", "preview", "refresh"} else "save"


def _list_url(program: Program) -> str:
    return reverse("rules:list", kwargs={"slug": program.slug})


def _saved(request: HttpRequest, program: Program, version: int | None) -> HttpResponse:
    if version is None:
        messages.info(request, _("Nothing changed, so nothing was saved."))
    elif program.status == Program.Status.OPEN:
        messages.success(
            request,
            _(
                "Saved. The rules are now at version %(version)s; every company's match is "
                "being recomputed."
            )
            % {"version": version},
        )
    else:
        messages.success(
            request, _("Saved. The rules are now at version %(version)s.") % {"version": version}
        )
    return redirect(_list_url(program))


# --- the rules page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementLine:
    pk: int
    text: str
    hint: str


@dataclass(frozen=True)
class GroupLine:
    pk: int
    requirements: list[RequirementLine]


@dataclass(frozen=True)
class CriterionLine:
    pk: int
    label: str
    is_gate: bool
    weight: float
    share: int  # percent of the award weight; 0 for gates
    help_text: str
    text: str
    groups: list[GroupLine]


def _outline(program: Program) -> tuple[list[CriterionLine], list[CriterionLine]]:
    """Gates and awards in plain words, with the ids their edit links need. No queries beyond
    the prefetched rules and the sector names."""
    words = wording()
    specs = ruleset_for(program).criteria
    awards_weight = sum(spec.weight for spec in specs if spec.kind == CriterionKind.AWARD)
    gates: list[CriterionLine] = []
    awards: list[CriterionLine] = []
    for row, spec in zip(program.criteria.all(), specs, strict=True):
        is_gate = spec.kind == CriterionKind.GATE
        line = CriterionLine(
            pk=row.pk,
            label=spec.label,
            is_gate=is_gate,
            weight=spec.weight,
            share=0 if is_gate or not awards_weight else round(100 * spec.weight / awards_weight),
            help_text=spec.help_text,
            text=describe_criterion(spec, words),
            groups=[
                GroupLine(
                    pk=group.pk,
                    requirements=[
                        RequirementLine(requirement.pk, describe_requirement(r, words), r.hint)
                        for requirement, r in zip(
                            group.requirements.all(), group_spec.requirements, strict=True
                        )
                    ],
                )
                for group, group_spec in zip(row.groups.all(), spec.groups, strict=True)
            ],
        )
        (gates if is_gate else awards).append(line)
    return gates, awards


@program_view(methods=READ, admin=True)
def rule_list(request: HttpRequest, program: Program) -> HttpResponse:
    program = with_rules(program)
    gates, awards = _outline(program)
    return render(
        request,
        "staff/rule_list.html",
        {
            "program": program,
            "gates": gates,
            "awards": awards,
            "rescoring": program.status == Program.Status.OPEN
            and program.scored_rules_version < program.rules_version,
        },
    )


# --- form pages ----------------------------------------------------------------------------------


@dataclass
class FormPage:
    """What a rule form page shows; ``criterion_form`` and ``requirement_form`` are optional."""

    program: Program
    title: str
    criterion_form: CriterionForm | None = None
    requirement_form: RequirementForm | None = None
    context_line: str = ""  # the criterion or option being changed, in words
    impact: Impact | None = None
    previewed: bool = False  # a preview was asked for (so a missing impact means errors)

    @property
    def forms(self) -> list[CriterionForm | RequirementForm]:
        return [form for form in (self.criterion_form, self.requirement_form) if form is not None]

    def error_links(self) -> list[tuple[str, str]]:
        """``(anchor, message)`` for the summary at the top: each error links to its input."""
        links: list[tuple[str, str]] = []
        for form in self.forms:
            if not form.is_bound:
                continue
            for name, errors in form.errors.items():
                if name == NON_FIELD_ERRORS:
                    links.extend(("rule-form", str(message)) for message in errors)
                    continue
                bound = form[name]
                anchor = f"{bound.auto_id}_0" if bound.use_fieldset else bound.auto_id
                links.extend((anchor, f"{bound.label}: {message}") for message in errors)
        return links


def _render_form(
    request: HttpRequest, page: FormPage, sectors: Sequence[tuple[str, str]]
) -> HttpResponse:
    if request.headers.get("X-Rule-Preview") == "1":
        # The script's background preview: the impact panel alone, with the problems that
        # keep it from showing (the errors next to the fields are not redrawn).
        return render(
            request,
            "staff/rule_impact.html",
            {
                "program": page.program,
                "impact": page.impact,
                "previewed": page.previewed,
                "problems": [message for _anchor, message in page.error_links()],
            },
        )
    requirement = page.requirement_form
    return render(
        request,
        "staff/rule_form.html",
        {
            "page": page,
            "program": page.program,
            "builder_config": builder_config() if requirement is not None else None,
            "value_templates": value_templates(prefix=REQUIREMENT_PREFIX, sectors=sectors)
            if requirement is not None
            else [],
        },
    )


def _handle(
    request: HttpRequest,
    page: FormPage,
    *,
    sectors: Sequence[tuple[str, str]],
    proposal: Callable[[], Sequence[CriterionSpec]],
    save: Callable[[], int | None],
) -> HttpResponse:
    """Runs the button pressed on a bound form page: refresh, preview or save."""
    action = _action(request)
    if action == "refresh":
        if page.criterion_form is not None:
            page.criterion_form = page.criterion_form.refreshed()
        if page.requirement_form is not None:
            page.requirement_form = page.requirement_form.refreshed()
        return _render_form(request, page, sectors)
    if all([form.is_valid() for form in page.forms]):  # every form, to show all errors
        if action == "preview":
            page.impact = impact_preview(program=page.program, criteria_specs=proposal())
        else:
            try:
                version = save()
            except ValidationError as error:
                for index, form in enumerate(page.forms):
                    form.add_service_error(error, non_field=index == 0)
            else:
                return _saved(request, page.program, version)
    page.previewed = action == "preview"
    return _render_form(request, page, sectors)


def _sectors() -> list[tuple[str, str]]:
    return sorted(sector_names().items(), key=lambda item: item[1])


def _requirement_spec(form: RequirementForm) -> RequirementSpec:
    assert form.spec is not None  # set by a valid form
    return form.spec


@program_view(methods=READ_WRITE, admin=True)
def criterion_add(request: HttpRequest, program: Program) -> HttpResponse:
    program = with_rules(program)
    sectors = _sectors()
    kind = request.GET.get("kind", Criterion.Kind.GATE)
    criterion_form = CriterionForm(
        request.POST or None,
        initial={"kind": kind if kind in Criterion.Kind.values else Criterion.Kind.GATE},
    )
    requirement_form = RequirementForm(
        request.POST or None,
        kind=criterion_form.chosen_kind,
        sectors=sectors,
        prefix=REQUIREMENT_PREFIX,
    )
    page = FormPage(
        program,
        _("Add a criterion"),
        criterion_form=criterion_form,
        requirement_form=requirement_form,
    )
    if request.method != "POST":
        return _render_form(request, page, sectors)

    def fields() -> dict[str, Any]:
        data = criterion_form.cleaned_data
        return {
            "kind": data["kind"],
            "label": data["label"],
            "weight": data["weight"],
            "help_text": data["help_text"],
            "requirement": _requirement_spec(requirement_form),
        }

    return _handle(
        request,
        page,
        sectors=sectors,
        proposal=lambda: RuleDraft(program).add_criterion(**fields()).criteria(),
        save=lambda: rule_builder.criterion_create(program=program, **fields()),
    )


def _criterion(program: Program, pk: int) -> Criterion:
    for criterion in program.criteria.all():  # prefetched: no query
        if criterion.pk == pk:
            return criterion
    raise _not_found()


def _group(program: Program, pk: int) -> RequirementGroup:
    for criterion in program.criteria.all():
        for group in criterion.groups.all():
            if group.pk == pk:
                return group
    raise _not_found()


def _requirement(program: Program, pk: int) -> Requirement:
    for criterion in program.criteria.all():
        for group in criterion.groups.all():
            for requirement in group.requirements.all():
                if requirement.pk == pk:
                    return requirement
    raise _not_found()


def _not_found() -> Http404:
    return Http404(_("No such rule in this program."))


def _criterion_spec(program: Program, criterion: Criterion) -> CriterionSpec:
    return RuleDraft(program).criterion(str(criterion.pk))


@program_view(methods=READ_WRITE, admin=True)
def criterion_edit(request: HttpRequest, program: Program, criterion_pk: int) -> HttpResponse:
    program = with_rules(program)
    criterion = _criterion(program, criterion_pk)
    names = sector_names()
    form = CriterionForm(
        request.POST or None,
        groups=_criterion_spec(program, criterion).groups,
        names=names,
        initial={
            "kind": criterion.kind,
            "label": criterion.label,
            "weight": criterion.weight,
            "help_text": criterion.help_text,
        },
    )
    page = FormPage(
        program,
        _("Edit “%(label)s”") % {"label": criterion.label},
        criterion_form=form,
        context_line=describe_criterion(_criterion_spec(program, criterion), wording(names)),
    )
    sectors = sorted(names.items(), key=lambda item: item[1])
    if request.method != "POST":
        return _render_form(request, page, sectors)

    def fields() -> dict[str, Any]:
        data = form.cleaned_data
        return {
            "kind": data["kind"],
            "label": data["label"],
            "weight": data["weight"],
            "help_text": data["help_text"],
        }

    return _handle(
        request,
        page,
        sectors=sectors,
        proposal=lambda: RuleDraft(program).update_criterion(criterion.pk, **fields()).criteria(),
        save=lambda: rule_builder.criterion_update(criterion=criterion, **fields()),
    )


def _requirement_page(
    request: HttpRequest,
    program: Program,
    *,
    title: str,
    kind: str,
    context_line: str,
    initial: dict[str, Any] | None,
    proposal: Callable[[RequirementSpec], RuleDraft],
    save: Callable[[RequirementSpec], int | None],
) -> HttpResponse:
    sectors = _sectors()
    form = RequirementForm(
        request.POST or None,
        kind=kind,
        sectors=sectors,
        initial=initial,
        prefix=REQUIREMENT_PREFIX,
    )
    page = FormPage(program, title, requirement_form=form, context_line=context_line)
    if request.method != "POST":
        return _render_form(request, page, sectors)
    return _handle(
        request,
        page,
        sectors=sectors,
        proposal=lambda: proposal(_requirement_spec(form)).criteria(),
        save=lambda: save(_requirement_spec(form)),
    )


@program_view(methods=READ_WRITE, admin=True)
def group_add(request: HttpRequest, program: Program, criterion_pk: int) -> HttpResponse:
    program = with_rules(program)
    criterion = _criterion(program, criterion_pk)
    return _requirement_page(
        request,
        program,
        title=_("Add another option to “%(label)s”") % {"label": criterion.label},
        kind=criterion.kind,
        context_line=describe_criterion(_criterion_spec(program, criterion), wording()),
        initial=None,
        proposal=lambda spec: RuleDraft(program).add_group(criterion.pk, spec),
        save=lambda spec: rule_builder.group_add(criterion=criterion, requirement=spec),
    )


@program_view(methods=READ_WRITE, admin=True)
def requirement_add(request: HttpRequest, program: Program, group_pk: int) -> HttpResponse:
    program = with_rules(program)
    group = _group(program, group_pk)
    criterion = group.criterion
    return _requirement_page(
        request,
        program,
        title=_("Add a requirement to “%(label)s”") % {"label": criterion.label},
        kind=criterion.kind,
        context_line=_group_text(group),
        initial=None,
        proposal=lambda spec: RuleDraft(program).add_requirement(group.pk, spec),
        save=lambda spec: rule_builder.requirement_add(group=group, requirement=spec),
    )


def _group_text(group: RequirementGroup) -> str:
    """An option's requirements in one sentence ("TRL at least 5 and has a working demo")."""
    requirements = tuple(
        RequirementSpec(r.fact, r.operator, r.value, r.hint) for r in group.requirements.all()
    )
    alone = CriterionSpec(
        key="", label="", kind=CriterionKind.GATE, weight=0, groups=(GroupSpec(requirements),)
    )
    return describe_criterion(alone, wording())


@program_view(methods=READ_WRITE, admin=True)
def requirement_edit(request: HttpRequest, program: Program, requirement_pk: int) -> HttpResponse:
    program = with_rules(program)
    requirement = _requirement(program, requirement_pk)
    criterion = requirement.group.criterion
    spec = RequirementSpec(
        requirement.fact, requirement.operator, requirement.value, requirement.hint
    )
    return _requirement_page(
        request,
        program,
        title=_("Edit a requirement of “%(label)s”") % {"label": criterion.label},
        kind=criterion.kind,
        context_line=describe_requirement(spec, wording()),
        initial=RequirementForm.initial_for(spec),
        proposal=lambda new: RuleDraft(program).update_requirement(requirement.pk, new),
        save=lambda new: rule_builder.requirement_update(requirement=requirement, spec=new),
    )


# --- removals ------------------------------------------------------------------------------------


def _confirm(
    request: HttpRequest,
    program: Program,
    *,
    title: str,
    what: str,
    refusal: str,
    proposal: Callable[[], RuleDraft],
    remove: Callable[[], int],
) -> HttpResponse:
    """A removal's confirmation page with its impact; POST removes. ``refusal`` explains why
    this one cannot be removed (then there is no button, and a POST is refused the same way)."""
    error = ""
    if request.method == "POST":
        try:
            version = remove()
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return _saved(request, program, version)
    refused = error or refusal
    return render(
        request,
        "staff/rule_confirm_delete.html",
        {
            "program": program,
            "title": title,
            "what": what,
            "refusal": refused,
            "impact": None
            if refused
            else impact_preview(program=program, criteria_specs=proposal().criteria()),
        },
    )


@program_view(methods=READ_WRITE, admin=True)
def criterion_delete(request: HttpRequest, program: Program, criterion_pk: int) -> HttpResponse:
    program = with_rules(program)
    criterion = _criterion(program, criterion_pk)
    return _confirm(
        request,
        program,
        title=_("Remove “%(label)s”?") % {"label": criterion.label},
        what=describe_criterion(_criterion_spec(program, criterion), wording()),
        refusal="",
        proposal=lambda: RuleDraft(program).remove_criterion(criterion.pk),
        remove=lambda: rule_builder.criterion_delete(criterion=criterion),
    )


@program_view(methods=READ_WRITE, admin=True)
def group_delete(request: HttpRequest, program: Program, group_pk: int) -> HttpResponse:
    program = with_rules(program)
    group = _group(program, group_pk)
    criterion = group.criterion
    only = len(criterion.groups.all()) == 1
    return _confirm(
        request,
        program,
        title=_("Remove this option of “%(label)s”?") % {"label": criterion.label},
        what=_group_text(group),
        refusal=_("This is the criterion's only option. Remove the criterion instead.")
        if only
        else "",
        proposal=lambda: RuleDraft(program).remove_group(group.pk),
        remove=lambda: rule_builder.group_delete(group=group),
    )


@program_view(methods=READ_WRITE, admin=True)
def requirement_delete(request: HttpRequest, program: Program, requirement_pk: int) -> HttpResponse:
    program = with_rules(program)
    requirement = _requirement(program, requirement_pk)
    only = len(requirement.group.requirements.all()) == 1
    spec = RequirementSpec(
        requirement.fact, requirement.operator, requirement.value, requirement.hint
    )
    return _confirm(
        request,
        program,
        title=_("Remove this requirement of “%(label)s”?")
        % {"label": requirement.group.criterion.label},
        what=describe_requirement(spec, wording()),
        refusal=_("This is the option's only requirement. Remove the option instead.")
        if only
        else "",
        proposal=lambda: RuleDraft(program).remove_requirement(requirement.pk),
        remove=lambda: rule_builder.requirement_delete(requirement=requirement),
    )
