"""The write path of matching: many Match rows at once, version-guarded, in one transaction.

Rows go into a temporary staging table (PostgreSQL: ``COPY``; elsewhere: ``executemany``), then
one ``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE`` merges them, keeping a stored row when it
was computed from newer rules or a newer profile than the incoming one, and one ``DELETE``
removes the pairs of the scored scope that are no longer worth keeping, under the same guard.
Django's ``bulk_create(update_conflicts=True)`` can neither guard an update nor stream rows.
"""

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from django.db import connection, transaction

from matchmaker.models import Match

MATCH_TABLE = Match._meta.db_table
COLUMNS = (
    "company_id",
    "program_id",
    "eligibility",
    "rank",
    "score",
    "failed_gates",
    "outcomes",
    "rules_version",
    "profile_version",
    "computed_at",
)
_COLUMN_LIST = ", ".join(COLUMNS)


@dataclass(frozen=True, slots=True)
class MatchRow:
    company_id: int
    program_id: int
    eligibility: str
    rank: int
    score: float | None
    failed_gates: int
    outcomes: Any
    rules_version: int
    profile_version: int
    computed_at: datetime.datetime


assert tuple(field.name for field in fields(MatchRow)) == COLUMNS


@dataclass(frozen=True, slots=True)
class Written:
    stored: int
    removed: int


_STAGE_DDL = {
    "postgresql": [
        "CREATE TEMPORARY TABLE match_stage (company_id bigint NOT NULL, program_id bigint NOT "
        "NULL, eligibility varchar(12) NOT NULL, rank smallint NOT NULL, score double precision,"
        " failed_gates smallint NOT NULL, outcomes jsonb NOT NULL, rules_version integer NOT "
        "NULL, profile_version integer NOT NULL, computed_at timestamptz NOT NULL) "
        "ON COMMIT DROP",
        "CREATE TEMPORARY TABLE match_scope_companies (company_id bigint PRIMARY KEY, "
        "profile_version integer NOT NULL) ON COMMIT DROP",
        "CREATE TEMPORARY TABLE match_scope_programs (program_id bigint PRIMARY KEY, "
        "rules_version integer NOT NULL) ON COMMIT DROP",
    ],
    "sqlite": [
        "CREATE TEMPORARY TABLE match_stage (company_id integer NOT NULL, program_id integer NOT "
        "NULL, eligibility varchar(12) NOT NULL, rank integer NOT NULL, score real, failed_gates "
        "integer NOT NULL, outcomes text NOT NULL, rules_version integer NOT NULL, "
        "profile_version integer NOT NULL, computed_at datetime NOT NULL)",
        "CREATE TEMPORARY TABLE match_scope_companies (company_id integer PRIMARY KEY, "
        "profile_version integer NOT NULL)",
        "CREATE TEMPORARY TABLE match_scope_programs (program_id integer PRIMARY KEY, "
        "rules_version integer NOT NULL)",
    ],
}
_STAGE_TABLES = ("match_stage", "match_scope_companies", "match_scope_programs")

_UPSERT = f"""
INSERT INTO {MATCH_TABLE} ({_COLUMN_LIST})
SELECT {_COLUMN_LIST} FROM match_stage WHERE true
ON CONFLICT (company_id, program_id) DO UPDATE SET
    eligibility = excluded.eligibility,
    rank = excluded.rank,
    score = excluded.score,
    failed_gates = excluded.failed_gates,
    outcomes = excluded.outcomes,
    rules_version = excluded.rules_version,
    profile_version = excluded.profile_version,
    computed_at = excluded.computed_at
WHERE {MATCH_TABLE}.rules_version <= excluded.rules_version
  AND {MATCH_TABLE}.profile_version <= excluded.profile_version
"""

# On PostgreSQL the scope's company ids are also given as an array, so the planner reaches the
# stored rows through the (company, program) index instead of scanning the whole table.
_SCOPE_BY_INDEX = {
    "postgresql": "AND m.company_id = ANY(ARRAY(SELECT company_id FROM match_scope_companies))",
    "sqlite": "",
}

# Pairs of the scored scope that were evaluated and are not worth keeping any more; a row
# computed from newer versions than this pass saw is left alone.
_DELETE_DROPPED_TEMPLATE = """
DELETE FROM {table} WHERE id IN (
    SELECT m.id FROM {table} m
    JOIN match_scope_companies c ON c.company_id = m.company_id
    JOIN match_scope_programs p ON p.program_id = m.program_id
    WHERE m.profile_version <= c.profile_version
      AND m.rules_version <= p.rules_version
      {scope}
      AND NOT EXISTS (
          SELECT 1 FROM match_stage s
          WHERE s.company_id = m.company_id AND s.program_id = m.program_id
      )
)
"""

# A company scored against every open program keeps no rows of programs that are not open.
_DELETE_NOT_OPEN_TEMPLATE = """
DELETE FROM {table} WHERE id IN (
    SELECT m.id FROM {table} m
    JOIN match_scope_companies c ON c.company_id = m.company_id
    JOIN programs_program pr ON pr.id = m.program_id
    WHERE pr.status <> 'open'
      {scope}
)
"""

DELETE_DROPPED = {
    vendor: _DELETE_DROPPED_TEMPLATE.format(table=MATCH_TABLE, scope=scope)
    for vendor, scope in _SCOPE_BY_INDEX.items()
}
DELETE_NOT_OPEN = {
    vendor: _DELETE_NOT_OPEN_TEMPLATE.format(table=MATCH_TABLE, scope=scope)
    for vendor, scope in _SCOPE_BY_INDEX.items()
}


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _load_postgresql(cursor: Any, table: str, columns: Sequence[str], rows: Any) -> None:
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _load_generic(cursor: Any, table: str, columns: Sequence[str], rows: Any) -> None:
    placeholders = ", ".join(["%s"] * len(columns))
    cursor.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", list(rows)
    )


def store_matches(
    rows: Sequence[MatchRow],
    *,
    companies: Mapping[int, int],
    programs: Mapping[int, int],
    only_open_programs: bool = False,
) -> Written:
    """Makes the stored matches of ``companies`` × ``programs`` what ``rows`` say.

    ``companies`` maps each scored company to the profile version it was scored at, ``programs``
    each program to its rules version; together they are the scope whose missing pairs are
    removed. With ``only_open_programs``, the companies' rows of programs that are no longer
    open are removed as well.
    """
    vendor = connection.vendor if connection.vendor in _STAGE_DDL else "sqlite"
    load = _load_postgresql if vendor == "postgresql" else _load_generic
    as_text = vendor != "postgresql"
    adapt_datetime = connection.ops.adapt_datetimefield_value
    # Staging tables belong to this connection; a caller's enclosing transaction (or a previous
    # call in it) may still hold them, so they are dropped on the way in and on the way out.
    schema = "pg_temp" if vendor == "postgresql" else "temp"
    with transaction.atomic(), connection.cursor() as cursor:
        for table in _STAGE_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
        for statement in _STAGE_DDL[vendor]:
            cursor.execute(statement)
        load(cursor, "match_scope_companies", ("company_id", "profile_version"), companies.items())
        load(cursor, "match_scope_programs", ("program_id", "rules_version"), programs.items())
        load(
            cursor,
            "match_stage",
            COLUMNS,
            (
                (
                    row.company_id,
                    row.program_id,
                    row.eligibility,
                    row.rank,
                    row.score,
                    row.failed_gates,
                    _json(row.outcomes),
                    row.rules_version,
                    row.profile_version,
                    adapt_datetime(row.computed_at) if as_text else row.computed_at,
                )
                for row in rows
            ),
        )
        cursor.execute(_UPSERT)
        stored = cursor.rowcount
        cursor.execute(DELETE_DROPPED[vendor])
        removed = cursor.rowcount
        if only_open_programs:
            cursor.execute(DELETE_NOT_OPEN[vendor])
            removed += cursor.rowcount
        for table in _STAGE_TABLES:
            cursor.execute(f"DROP TABLE {schema}.{table}")
    return Written(stored=max(stored, 0), removed=max(removed, 0))
