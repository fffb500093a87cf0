"""Reads of the catalog, each carrying its own joins and prefetches."""

import dataclasses
import datetime
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    F,
    Field,
    Func,
    Model,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.sql import Query
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation

from matchmaker.engine import CompiledProgram, Wording, compile_ruleset
from matchmaker.outcomes import WordsMemo
from programs.localized import localized
from programs.models import Agency, Challenge, Criterion, Program, RequirementGroup, Sector, Stage
from programs.rules import ruleset_for


def program_catalog(*, now: datetime.datetime | None = None) -> QuerySet[Program]:
    """Published programs for the public list: open ones first, soonest upcoming deadline first.

    ``next_deadline`` is the earliest stage closing after ``now``; programs without one come last.
    Queries when iterated: the programs, their sectors, their buyer agencies (as the lists
    ``sector_list`` and ``buyer_list``).
    """
    now = now or timezone.now()
    next_closing = Stage.objects.filter(program=OuterRef("pk"), closes_at__gt=now).order_by(
        "closes_at"
    )
    return (
        Program.objects.published()
        .select_related("owner")
        .prefetch_related(*_listed_relations())
        .annotate(next_deadline=Subquery(next_closing.values("closes_at")[:1]))
        .annotate(
            status_rank=Case(
                When(status=Program.Status.OPEN, then=Value(0)),
                When(status=Program.Status.CLOSED, then=Value(1)),
                default=Value(2),
            )
        )
        .order_by("status_rank", F("next_deadline").asc(nulls_last=True), localized("title"))
    )


def _listed_relations() -> list[Prefetch[str]]:
    """A program's sectors and buyer agencies, by name, as plain lists (``sector_list``,
    ``buyer_list``): a list of rows instead of a related manager, and its queryset, per program
    and per read."""
    return [
        Prefetch("sectors", queryset=Sector.objects.order_by("name"), to_attr="sector_list"),
        Prefetch("buyers", queryset=Agency.objects.order_by("name"), to_attr="buyer_list"),
    ]


def _rules_prefetch() -> Prefetch[str]:
    return Prefetch(
        "criteria",
        queryset=Criterion.objects.order_by("order", "id").prefetch_related(
            Prefetch(
                "groups",
                queryset=RequirementGroup.objects.order_by("order", "id").prefetch_related(
                    "requirements"
                ),
            )
        ),
    )


def program_with_rules(*, queryset: QuerySet[Program] | None = None) -> QuerySet[Program]:
    """Programs with their rules prefetched: criteria, groups, requirements (3 extra queries)."""
    base = queryset if queryset is not None else Program.objects.all()
    return base.select_related("owner").prefetch_related(_rules_prefetch())


def program_detail(*, slug: str) -> Program:
    """One published program with everything its page and API show, in 8 queries: program with
    owner, criteria, groups, requirements, buyers and sectors (``buyer_list``, ``sector_list``),
    stages, challenges with sector.
    """
    queryset = program_with_rules(queryset=Program.objects.published()).prefetch_related(
        *_listed_relations(),
        Prefetch("stages", queryset=Stage.objects.order_by("order")),
        Prefetch("challenges", queryset=Challenge.objects.select_related("sector")),
    )
    return get_object_or_404(queryset, slug=slug)


# (program id, rules version, language) → the compiled rules; their labels and hints are in the
# language that was active when they were compiled.
_compiled_cache: dict[tuple[int, int, str], CompiledProgram] = {}
_COMPILED_CACHE_SIZE = 1024


def compiled_program(program: Program) -> CompiledProgram:
    """A program's rules compiled once per rules version and language, kept for the process.

    The key carries ``rules_version``, which every rule change bumps, so an edit compiles afresh.
    With the rules prefetched (``program_with_rules``) compiling costs no query; otherwise three.
    """
    key = (program.pk, program.rules_version, translation.get_language() or "")
    compiled = _compiled_cache.get(key)
    if compiled is None:
        if "criteria" not in getattr(program, "_prefetched_objects_cache", {}):
            program = program_with_rules().get(pk=program.pk)
        compiled = compile_ruleset(ruleset_for(program))
        if len(_compiled_cache) >= _COMPILED_CACHE_SIZE:
            _compiled_cache.clear()
        _compiled_cache[key] = compiled
    return compiled


def is_compiled(program: Program) -> bool:
    """Whether ``compiled_program`` would answer from its cache, without a query."""
    key = (program.pk, program.rules_version, translation.get_language() or "")
    return key in _compiled_cache


@dataclasses.dataclass(slots=True)
class _ProgramWords:
    """The words of one program's rules in one language, built as pages ask for them."""

    memo: WordsMemo = dataclasses.field(default_factory=dict)
    # The sector names the words were built with: a sector renamed since makes them stale.
    sectors: dict[str, str] = dataclasses.field(default_factory=dict)


# (program id, rules version, language) → the words of its rules built so far. Every rule change
# bumps the version, so an edited program misses; country names and translations change only
# with the language, and sector names are checked on every use.
_words_cache: dict[tuple[int, int, str], _ProgramWords] = {}
_WORDS_CACHE_SIZE = 1024


def program_words(program: Program, wording: Wording) -> tuple[WordsMemo, Wording]:
    """The words of ``program``'s rules kept for the process in the active language (a memo for
    ``matchmaker.outcomes.unpack``), and ``wording`` noting the sector names it gives them.

    A list of matches asks for the same criteria's words once per company; kept here, each is
    built once per process, rules version and language.
    """
    key = (program.pk, program.rules_version, translation.get_language() or "")
    words = _words_cache.get(key)
    if words is None or any(
        wording.sector_name(code) != name for code, name in words.sectors.items()
    ):
        if len(_words_cache) >= _WORDS_CACHE_SIZE:
            _words_cache.clear()
        words = _words_cache[key] = _ProgramWords()
    sectors = words.sectors

    def sector_name(code: str) -> str:
        name = sectors[code] = wording.sector_name(code)
        return name

    return words.memo, dataclasses.replace(wording, sector_name=sector_name)


def clear_compiled_cache() -> None:
    """Forget compiled programs and their words (tests reuse primary keys across rolled-back
    transactions)."""
    _compiled_cache.clear()
    _words_cache.clear()


# --- SQL written once, for the hottest lists ------------------------------------------------------


class Correlated(Func):
    """SQL about the row at hand, written as is: each ``{name}`` stands for one of the row's
    ``columns`` (``name="field"``, whatever the query calls the row's table) and each ``%s``
    for one of ``params``, in order. Table names are Django's defaults.

    For the correlated subqueries of the busiest pages (the staff's lists and home, a vendor's
    matches, every page of a company's profile), which the ORM builds by cloning and
    relabelling whole queries, then compiles again for the count and for the page: a
    millisecond or more each, as much CPU as the rest of a list's queries. Written once, they
    cost nothing. Only for queries whose rows are models of the app's own tables, with their
    default names.
    """

    def __init__(
        self,
        sql: str,
        params: Sequence[Any] = (),
        *,
        output_field: Field[Any, Any],
        **columns: str,
    ) -> None:
        super().__init__(*(F(column) for column in columns.values()), output_field=output_field)
        self.sql = sql
        self.names = tuple(columns)
        self.sql_params = list(params)

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        columns = {}
        for name, expression in zip(self.names, self.get_source_expressions(), strict=True):
            columns[name], column_params = compiler.compile(expression)
            assert not column_params  # a column
        params = tuple(
            # Aware datetimes as the database stores them (SQLite: text in UTC).
            DateTimeField().get_db_prep_value(value, connection)
            if isinstance(value, datetime.datetime)
            else value
            for value in self.sql_params
        )
        return self.sql.format(**columns), params


# ``Correlated`` SQL: ``{column}`` (a column of programs_stage, or an expression on it) of the
# program's next stage to close after %s. The table keeps its name: ``localized_column``
# compiles translated names on it.
_NEXT_CLOSING = """(
    SELECT {column} FROM programs_stage
    WHERE programs_stage.program_id = {program} AND programs_stage.closes_at > %s
    ORDER BY programs_stage.closes_at, programs_stage."order"
    LIMIT 1
)"""


def next_closing(program: str, *, now: datetime.datetime) -> dict[str, Correlated]:
    """The annotations ``next_deadline`` and ``next_stage`` (its name in the reader's language)
    of the program in column ``program`` of the rows: its next stage to close after ``now``."""
    stage_name, name_params = localized_column(Stage, "name")
    return {
        "next_deadline": Correlated(
            _NEXT_CLOSING.format(column="programs_stage.closes_at", program="{program}"),
            [now],
            output_field=DateTimeField(),
            program=program,
        ),
        "next_stage": Correlated(
            _NEXT_CLOSING.format(column=stage_name, program="{program}"),
            [*name_params, now],
            output_field=CharField(),
            program=program,
        ),
    }


# (model, field, language, database) → ``localized(field)`` compiled on the model's table.
_localized_columns: dict[tuple[type[Model], str, str, str], tuple[str, tuple[Any, ...]]] = {}


def localized_column(model: type[Model], field: str) -> tuple[str, list[Any]]:
    """``programs.localized.localized(field)`` as SQL on ``model``'s table, named as it is
    (``programs_stage``), and its parameters: a translated name for ``Correlated`` SQL, with the
    same fallbacks. Compiled once per language."""
    key = (model, field, translation.get_language() or "", connection.vendor)
    compiled = _localized_columns.get(key)
    if compiled is None:
        query = Query(model)
        sql, params = (
            localized(field)
            .resolve_expression(query)
            .as_sql(query.get_compiler(connection=connection), connection)
        )
        compiled = _localized_columns[key] = (sql, tuple(params))
    return compiled[0], list(compiled[1])
