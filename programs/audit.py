"""The audit log: who changed which rule, stage, deadline, decision or team membership, when,
from what to what. Agency admins read it on a program's history page and their team's.

django-auditlog records the changes. ``register`` (called once from ``ProgramsConfig.ready``)
tells it which models and fields to watch: its signals log every ``save()`` and ``delete()`` of
them, and ``AuditlogMiddleware`` names the signed-in user of the request as the actor; a change
made by a Celery task or a command has no actor and reads as "System". Each model's
``get_additional_data`` tags its entries with the program (or, for a membership, the agency)
they concern, so the history keeps entries of rows deleted since.

A conditional ``QuerySet.update()`` — a state transition guarded against races, a rules-version
bump — sends no signal. Its service calls ``record_update`` right after it, with what it changed.

An application is its vendor's own until it is submitted (staff never see drafts), so nothing is
logged about an application that was never submitted.
"""

import datetime
import json
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import models
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from applicants.models import Application, User
from programs.models import (
    Agency,
    Criterion,
    Program,
    Question,
    Requirement,
    RequirementGroup,
    StaffMembership,
    Stage,
)

PAGE_SIZE: Final = 25

# The fields whose changes are kept, per model. Timestamps, the scoring bookkeeping
# (``scored_rules_version``), answers and autosaves are left out; so are the foreign keys that
# tie a row to its program, criterion or group (the entry is tagged with its program instead).
AUDITED_FIELDS: Final[dict[type[models.Model], list[str]]] = {
    Program: [
        "title",
        "slug",
        "owner",
        "summary",
        "kind",
        "intake",
        "status",
        "budget_amount",
        "budget_currency",
        "languages",
        "website",
        "reminder_offsets",
        "rules_version",
    ],
    Stage: [
        "order",
        "name",
        "description",
        "opens_at",
        "closes_at",
        "budget_amount",
        "max_participants",
    ],
    Criterion: ["kind", "label", "weight", "help_text", "order"],
    RequirementGroup: ["order"],
    Requirement: ["fact", "operator", "value", "hint", "order"],
    Question: ["order", "label", "help_text", "kind", "choices", "required"],
    StaffMembership: ["role"],
    Application: ["status", "stage"],
}


def _is_private(instance: models.Model) -> bool:
    """An application never submitted is its vendor's own: staff see nothing of it."""
    return isinstance(instance, Application) and instance.submitted_at is None


def _skip_private(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> bool:
    # django-auditlog's pre_log hook: returning False drops the entry.
    return not _is_private(instance)


def register() -> None:
    """Has django-auditlog watch the audited models. Idempotent."""
    for model, fields in AUDITED_FIELDS.items():
        auditlog.register(model, include_fields=fields)
    pre_log.connect(_skip_private, sender=Application, dispatch_uid="programs.audit.private")


# --- recording what a conditional update changed -------------------------------------------------


def _stored(value: Any) -> Any:
    """A value as django-auditlog keeps it in ``changes`` (AUDITLOG_STORE_JSON_CHANGES): a row
    by its primary key, primitives as they are."""
    return value.pk if isinstance(value, models.Model) else value


def record_update(
    instance: models.Model,
    changes: Mapping[str, tuple[Any, Any]],
    *,
    actor: User | None = None,
) -> LogEntry | None:
    """Logs what a ``QuerySet.update()`` changed on ``instance``'s row: ``{field: (before,
    after)}``, rows given as instances or primary keys. Call it in the update's transaction,
    after the update matched. Without ``actor``, the request's user is the actor (as for
    ``save()``), or nobody outside a request. Unchanged fields are left out; nothing is logged
    when none changed, or about a private application."""
    kept = {
        name: [_stored(before), _stored(after)]
        for name, (before, after) in changes.items()
        if _stored(before) != _stored(after)
    }
    if not kept or _is_private(instance):
        return None
    extra: dict[str, Any] = {}
    if actor is not None:
        extra = {"actor": actor, "actor_email": actor.email}
    entry: LogEntry | None = LogEntry.objects.log_create(
        instance, action=LogEntry.Action.UPDATE, changes=kept, **extra
    )
    return entry


# --- reading the history -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str  # the field's verbose name
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    timestamp: datetime.datetime
    actor: str | None  # the actor's email address; None for the system (a task, a command)
    kind: str  # the changed object's type, e.g. "Requirement"
    name: str  # the object as it read when it changed
    action: str  # "created", "changed" or "deleted"
    action_label: str
    changes: tuple[FieldChange, ...]


ACTIONS: Final = {
    LogEntry.Action.CREATE: "created",
    LogEntry.Action.UPDATE: "changed",
    LogEntry.Action.DELETE: "deleted",
}

# How a foreign key's value reads: the related row's field, loaded for a whole page at once.
_LABEL_FIELDS: Final[dict[type[models.Model], str]] = {Stage: "name", Agency: "name"}

EMPTY: Final = "—"


def _entries() -> "models.QuerySet[LogEntry]":
    entries: models.QuerySet[LogEntry] = (
        LogEntry.objects.select_related("content_type")
        .only(
            "timestamp",
            "actor_email",
            "object_repr",
            "action",
            "changes",
            "content_type__app_label",
            "content_type__model",
        )
        .order_by("-timestamp", "-pk")
    )
    return entries


def program_history(program: Program, *, page: int | str | None) -> "Page[HistoryEntry]":
    """One page (``PAGE_SIZE``, newest first) of the changes to ``program``, its stages,
    questions, rules and applications, as ``HistoryEntry`` rows; times in the program's time
    zone. Queries: the count, the page, and the names of the stages the page's changes name
    (when any do)."""
    entries = _entries().filter(additional_data__program=program.pk)
    return _page(entries, page, program.time_zone)


def agency_history(agency: Agency, *, page: int | str | None) -> "Page[HistoryEntry]":
    """One page of the changes to ``agency``'s team (who joined, changed role or left), like
    ``program_history``. Queries: the count and the page."""
    entries = _entries().filter(
        content_type__app_label=StaffMembership._meta.app_label,
        content_type__model=StaffMembership._meta.model_name,
        additional_data__agency=agency.pk,
    )
    return _page(entries, page, zoneinfo.ZoneInfo(agency.time_zone))


def _page(
    entries: "models.QuerySet[LogEntry]", number: int | str | None, zone: datetime.tzinfo
) -> "Page[HistoryEntry]":
    found = Paginator(entries, PAGE_SIZE).get_page(number)
    rows: list[LogEntry] = list(found.object_list)
    labels = _related_labels(rows)
    return Page(
        [_entry(row, labels, zone) for row in rows],
        found.number,
        found.paginator,
    )


def _model(entry: LogEntry) -> type[models.Model] | None:
    model: type[models.Model] | None = entry.content_type.model_class()
    return model


def _field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def _changes(entry: LogEntry) -> dict[str, Sequence[Any]]:
    changes = entry.changes
    return changes if isinstance(changes, dict) else {}


def _related_labels(rows: Iterable[LogEntry]) -> dict[tuple[type[models.Model], str], str]:
    """The labels of the rows the entries' foreign keys name, one query per related model."""
    wanted: defaultdict[type[models.Model], set[str]] = defaultdict(set)
    for row in rows:
        model = _model(row)
        for name, values in _changes(row).items():
            field = _field(model, name)
            if field is None or not isinstance(field, models.ForeignKey):
                continue
            related = field.related_model
            if isinstance(related, type) and related in _LABEL_FIELDS:
                wanted[related].update(str(value) for value in values if value not in (None, ""))
    labels: dict[tuple[type[models.Model], str], str] = {}
    for related, keys in wanted.items():
        ids = [int(key) for key in keys if key.isdigit()]
        found = related._default_manager.filter(pk__in=ids).values_list(
            "pk", _LABEL_FIELDS[related]
        )
        for pk, label in found:
            labels[related, str(pk)] = str(label)
    return labels


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_plain(item) for item in value) or EMPTY
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _shown(
    field: models.Field[Any, Any] | None,
    value: Any,
    labels: Mapping[tuple[type[models.Model], str], str],
    zone: datetime.tzinfo,
) -> str:
    """A value of ``changes`` as a person reads it."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if field is None:
        return _plain(value)
    if isinstance(field, models.ForeignKey):
        # A row deleted since (or of a model without a label) shows its id.
        related = field.related_model
        return (
            labels.get((related, str(value)), f"#{value}")
            if isinstance(related, type)
            else f"#{value}"
        )
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        # django-auditlog keeps a datetime as naive UTC text ("2026-12-01 09:00:00").
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return formats.date_format(moment.astimezone(zone), "SHORT_DATETIME_FORMAT")
    return _plain(value)


def _entry(
    row: LogEntry,
    labels: Mapping[tuple[type[models.Model], str], str],
    zone: datetime.tzinfo,
) -> HistoryEntry:
    model = _model(row)
    changes = []
    for name, values in sorted(_changes(row).items(), key=lambda item: _order(model, item[0])):
        field = _field(model, name)
        before, after = [*values, None, None][:2]
        changes.append(
            FieldChange(
                field=capfirst(str(field.verbose_name)) if field is not None else name,
                before=_shown(field, before, labels, zone),
                after=_shown(field, after, labels, zone),
            )
        )
    action = ACTIONS.get(row.action, "changed")
    return HistoryEntry(
        timestamp=row.timestamp,
        actor=row.actor_email or None,
        kind=capfirst(str(model._meta.verbose_name)) if model else row.content_type.model,
        name=row.object_repr,
        action=action,
        action_label=_action_label(action),
        changes=tuple(changes),
    )


def _order(model: type[models.Model] | None, name: str) -> int:
    """Fields in the order the audit lists them for the model."""
    fields = AUDITED_FIELDS.get(model, []) if model else []
    return fields.index(name) if name in fields else len(fields)


def _action_label(action: str) -> str:
    labels = {"created": _("created"), "changed": _("changed"), "deleted": _("deleted")}
    return labels[action]
