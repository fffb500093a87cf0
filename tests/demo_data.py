"""The demo programs for tests: the rows ``load_demo`` writes, recorded once a test session and
copied into each test that asks for them.

``load_demo`` takes about half a second (some 700 queries) and some 600 tests ask for its
programs: a fifth of the suite's time. The first test of a session (of an xdist worker) that asks
has it run once in a transaction that is rolled back, recording what it changed in every table,
row by row; from then on a test gets those rows with one insert per table.

A copy stands in for ``load_demo`` only where it gives the same database, and the test runs
``load_demo`` itself anywhere else:

- inside the test's transaction: a transactional test's ``load_demo`` commits, and what follows
  a commit (the programs' rescoring) is part of what such a test checks;
- on the day the rows were recorded: the stages' dates follow the day of loading (a test that
  moves the clock gets its own load);
- on a database whose tables that ``load_demo`` reads or writes hold as many rows as when it was
  recorded (every table of the catalog app, and every table it wrote): a fixture that made a
  program or an agency before the demo changes what loading it does.

Rows keep their primary keys: the recording's were drawn from the sequences (PostgreSQL) or
rolled back with it (SQLite), so no row made since can have them. Timestamps are the
recording's (a few minutes older than the test).
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.db import connection, models, transaction
from django.utils import timezone

Row = tuple[Any, ...]


def project_tables() -> list[type[models.Model]]:
    """Every table of the project (the many-to-many ones too), once each."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _rows(model: type[models.Model]) -> dict[Any, Row]:
    """The table's rows by primary key, as Python values. A plain queryset: the translated
    models' managers would rewrite the field names to the active language's columns."""
    names = [field.attname for field in _fields(model)]
    position = names.index(model._meta.pk.attname)
    rows = models.QuerySet(model).order_by().values_list(*names)
    return {row[position]: tuple(row) for row in rows}


def _counts(tables: Sequence[type[models.Model]]) -> tuple[int, ...]:
    """How many rows each of ``tables`` holds, in one query."""
    quote = connection.ops.quote_name
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)})" for model in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row = cursor.fetchone()
    return tuple(row)


@dataclass(frozen=True)
class Recording:
    today: datetime.date
    # The tables whose row counts must be as they were, and those counts.
    watched: tuple[type[models.Model], ...]
    counts: tuple[int, ...]
    added: dict[type[models.Model], list[Row]]
    changed: dict[type[models.Model], list[Row]]


def record() -> Recording | None:
    """Runs ``load_demo`` in a transaction rolled back, and what it changed; None where it
    deleted a row (never so far), which a copy would not repeat."""
    tables = project_tables()
    today = timezone.now().date()
    added: dict[type[models.Model], list[Row]] = {}
    changed: dict[type[models.Model], list[Row]] = {}
    deleted = False
    with transaction.atomic():
        before = {model: _rows(model) for model in tables}
        call_command("load_demo", verbosity=0)
        for model in tables:
            old, new = before[model], _rows(model)
            deleted = deleted or any(pk not in new for pk in old)
            if rows := [row for pk, row in new.items() if pk not in old]:
                added[model] = rows
            if rows := [row for pk, row in new.items() if pk in old and old[pk] != row]:
                changed[model] = rows
        watched = tuple(
            model
            for model in tables
            if model._meta.app_label == "programs" or model in added or model in changed
        )
        counts = tuple(len(before[model]) for model in watched)
        transaction.set_rollback(True)
    if deleted:
        return None
    return Recording(today, watched, counts, added, changed)


def _prepared(fields: Sequence[models.Field[Any, Any]], row: Row) -> list[Any]:
    return [
        field.get_db_prep_save(value, connection) for field, value in zip(fields, row, strict=True)
    ]


def _insert(model: type[models.Model], rows: Iterable[Row]) -> None:
    fields = _fields(model)
    quote = connection.ops.quote_name
    statement = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            statement,
            [_prepared(fields, row) for row in rows],
        )


def _update(model: type[models.Model], rows: Iterable[Row]) -> None:
    fields = _fields(model)
    pk = model._meta.pk
    position = fields.index(pk)
    quote = connection.ops.quote_name
    statement = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(model._meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in fields),
        quote(pk.column),
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            statement,
            [
                [*_prepared(fields, row), pk.get_db_prep_save(row[position], connection)]
                for row in rows
            ],
        )


def copy(recording: Recording | None) -> bool:
    """Copies the recorded rows into the database where they give what ``load_demo`` would
    (see the module's docstring); whether it did."""
    if (
        recording is None
        or not connection.in_atomic_block
        or timezone.now().date() != recording.today
        or _counts(recording.watched) != recording.counts
    ):
        return False
    for model, rows in recording.added.items():
        _insert(model, rows)
    for model, rows in recording.changed.items():
        _update(model, rows)
    return True
