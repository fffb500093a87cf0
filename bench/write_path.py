"""Write path benchmark (DESIGN §11): storing matches against two baselines, same process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_write_path \\
        python -m bench.write_path [--companies N] [--programs N] [--repeats N]

Creates its own PostgreSQL database, generates programs and companies (`bench.fixtures`), scores
every pair in memory with `evaluate_pairs` (real outcomes; only eligible, incomplete and
near-miss pairs are kept), then stores the same rows on the same connection:

- ours: `matchmaker.storage.store_matches` with the scope of the pass (companies at their profile
  versions, programs at their rules versions, ``only_open_programs`` as a full pass uses it);
- baseline 1: `Match.objects.bulk_create(update_conflicts=True, unique_fields=[company,
  program], update_fields=[every other column])` at the best batch size of a quick search;
- baseline 2: a raw psycopg 3 ``COPY matchmaker_match (...) FROM STDIN`` with `write_row`.

Each is timed from the `MatchRow` list to the commit, so each pays for its own encoding. Cases:
*insert* (empty table, truncated before every run) and *update* (every row already stored; the
new rows carry a newer profile version; COPY cannot update, so its insert time stands in, for
scale); each as one call for all rows and "in chunks": one call (one transaction) per
``--chunk`` companies, as the workers store. Runs are interleaved, the order rotating each
repeat, and the best of ``--repeats`` counts: the machine is shared, and the best run is the
least disturbed; CPU time (this process and its PostgreSQL backend) is printed next to wall
time, being less disturbed by other jobs. Every baseline writes to the real match table, with
the triggers that keep each program's count of fitting matches (``ProgramMatchCount``); what
those cost is measured too, by a COPY and an update of ours with them switched off. Then ours is
taken apart statement by statement, running the same SQL as `store_matches` on PostgreSQL.

Exits 1 only when a stored table is not what was written.
"""

import argparse
import dataclasses
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from bench.fixtures import (
    bench_database,
    best_of,
    copy_rows,
    cpu_seconds,
    generated_data,
    machine_facts,
    truncate_matches,
)

WRITE_TARGET = 2.5  # x bulk_create
COPY_TARGET = 0.6  # x raw COPY
BATCH_SIZES = (500, 1000, 2000, 5000)


# Every round's (wall, CPU) seconds of each (case, method).
Rounds = dict[tuple[str, str], list[tuple[float, float]]]

# A timed job: what it runs, what the table must hold before it, the rows it leaves stored.
Job = tuple[Callable[[], object], Callable[[], None], Sequence[Any]]


def _bulk_create(rows: Sequence[Any], batch_size: int) -> None:
    from django.db import transaction

    from matchmaker.models import Match

    with transaction.atomic():
        Match.objects.bulk_create(
            [
                Match(
                    company_id=row.company_id,
                    program_id=row.program_id,
                    eligibility=row.eligibility,
                    rank=row.rank,
                    score=row.score,
                    failed_gates=row.failed_gates,
                    outcomes=row.outcomes,
                    rules_version=row.rules_version,
                    profile_version=row.profile_version,
                    computed_at=row.computed_at,
                )
                for row in rows
            ],
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=["company", "program"],
            update_fields=[
                "eligibility",
                "rank",
                "score",
                "failed_gates",
                "outcomes",
                "rules_version",
                "profile_version",
                "computed_at",
            ],
        )


def _ours(rows: Sequence[Any], companies: dict[int, int], programs: dict[int, int]) -> None:
    from matchmaker import storage

    storage.store_matches(rows, companies=companies, programs=programs, only_open_programs=True)


def _without_count_triggers(job: Callable[[], object]) -> Callable[[], object]:
    """``job`` with the match table's triggers off (``ProgramMatchCount``'s, migration
    ``matchmaker.0005``): what keeping the per-program counts costs the writes."""

    def run() -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE matchmaker_match DISABLE TRIGGER USER")
            try:
                job()
            finally:
                cursor.execute("ALTER TABLE matchmaker_match ENABLE TRIGGER USER")

    return run


def _chunks(
    rows: Sequence[Any], companies: dict[int, int], size: int
) -> list[tuple[list[Any], dict[int, int]]]:
    """The rows and scope of each call when ``size`` companies are stored at a time."""
    ids = sorted(companies)
    by_company: dict[int, list[Any]] = {}
    for row in rows:
        by_company.setdefault(row.company_id, []).append(row)
    return [
        (
            [
                row
                for company_id in ids[start : start + size]
                for row in by_company.get(company_id, ())
            ],
            {company_id: companies[company_id] for company_id in ids[start : start + size]},
        )
        for start in range(0, len(ids), size)
    ]


def _ours_in_chunks(
    chunks: Sequence[tuple[list[Any], dict[int, int]]], programs: dict[int, int]
) -> None:
    """As the workers call it: one `store_matches` per chunk of companies."""
    for rows, companies in chunks:
        _ours(rows, companies, programs)


def _ours_step_by_step(
    rows: Sequence[Any],
    companies: dict[int, int],
    programs: dict[int, int],
    steps: dict[str, float],
) -> None:
    """`store_matches` statement by statement (the same SQL), adding each step's time to
    ``steps``."""
    from django.db import connection, transaction

    from matchmaker import storage

    def timed(name: str, job: Callable[[], object]) -> None:
        start = time.perf_counter()
        job()
        steps[name] = steps.get(name, 0.0) + time.perf_counter() - start

    dumps = storage._json
    atomic = transaction.atomic()
    start = time.perf_counter()
    atomic.__enter__()
    with connection.cursor() as cursor:
        copy = storage._load_postgresql

        def stage_ddl() -> None:
            for table in storage._STAGE_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
            for statement in storage._STAGE_DDL["postgresql"]:
                cursor.execute(statement)

        timed("create staging tables", stage_ddl)
        timed(
            "COPY the scope",
            lambda: (
                copy(cursor, "match_scope_companies", ("company_id", "profile_version"),
                     companies.items()),
                copy(cursor, "match_scope_programs", ("program_id", "rules_version"),
                     programs.items()),
            ),
        )  # fmt: skip
        encoded: list[tuple[Any, ...]] = []
        timed(
            "encode outcomes as JSON",
            lambda: encoded.extend(
                (
                    row.company_id,
                    row.program_id,
                    row.eligibility,
                    row.rank,
                    row.score,
                    row.failed_gates,
                    dumps(row.outcomes),
                    row.rules_version,
                    row.profile_version,
                    row.computed_at,
                )
                for row in rows
            ),
        )
        timed(
            "COPY rows into match_stage",
            lambda: copy(cursor, "match_stage", storage.COLUMNS, encoded),
        )
        timed("INSERT … ON CONFLICT DO UPDATE WHERE", lambda: cursor.execute(storage._UPSERT))
        timed(
            "DELETE dropped pairs",
            lambda: cursor.execute(storage.DELETE_DROPPED["postgresql"]),
        )
        timed(
            "DELETE pairs of programs not open",
            lambda: cursor.execute(storage.DELETE_NOT_OPEN["postgresql"]),
        )
        timed(
            "DROP staging tables",
            lambda: [
                cursor.execute(f"DROP TABLE pg_temp.{table}") for table in storage._STAGE_TABLES
            ],
        )
    timed("COMMIT", lambda: atomic.__exit__(None, None, None))
    steps["total"] = steps.get("total", 0.0) + time.perf_counter() - start


def _stored() -> dict[tuple[int, int], tuple[Any, ...]]:
    from matchmaker import storage
    from matchmaker.models import Match

    return {
        (row[0], row[1]): row[2:]
        # every stored column but computed_at
        for row in Match.objects.values_list(*storage.COLUMNS[:-1])
    }


def _expected(rows: Sequence[Any]) -> dict[tuple[int, int], tuple[Any, ...]]:
    return {
        (row.company_id, row.program_id): (
            row.eligibility,
            row.rank,
            row.score,
            row.failed_gates,
            json.loads(json.dumps(row.outcomes)),
            row.rules_version,
            row.profile_version,
        )
        for row in rows
    }


def _count() -> int:
    from matchmaker.models import Match

    return Match.objects.count()


def _rate(count: int, seconds: float) -> str:
    return f"{seconds:.3f} s, {count / seconds:>9,.0f} rows/s"


def _verdict(value: float, target: float) -> str:
    if value >= target:
        return f"target >= {target}x: met"
    return f"target >= {target}x: MISSED by {100 * (1 - value / target):.0f}%"


def print_steps(label: str, steps: dict[str, float]) -> None:
    """A step-by-step breakdown: each step's time and its share of the total."""
    print(f"  {label}:")
    for step, seconds in steps.items():
        share = 100 * seconds / steps["total"]
        print(f"    {step:<46} {seconds * 1e3:8.1f} ms  {share:5.1f}%")


def pass_step_by_step(companies: Any) -> dict[str, float]:
    """A scoring pass of ``companies`` (a queryset) against every open program, in this process,
    step by step as `score_companies` does it: load, evaluate, then store statement by
    statement. Step -> seconds, plus ``rows``."""
    from django.utils import timezone

    from matchmaker.scoring import evaluate_pairs, load_company_facts, load_open_programs

    steps: dict[str, float] = {}
    start = time.perf_counter()
    facts = load_company_facts(companies)
    steps["load_company_facts"] = time.perf_counter() - start
    start = time.perf_counter()
    programs = load_open_programs()
    steps["load_open_programs (compiled rules cached)"] = time.perf_counter() - start
    start = time.perf_counter()
    rows = evaluate_pairs(facts, programs, now=timezone.now())
    steps["evaluate_pairs"] = time.perf_counter() - start
    store: dict[str, float] = {}
    _ours_step_by_step(
        rows,
        {company.id: company.profile_version for company in facts},
        {program.id: program.rules_version for program in programs},
        store,
    )
    steps.update((f"store: {name}", value) for name, value in store.items() if name != "total")
    steps["total"] = sum(steps.values())
    steps["rows"] = len(rows)
    return steps


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.write_path",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=20240502, help="random seed (%(default)s)")
    parser.add_argument("--companies", type=int, default=10_000, help="companies (%(default)s)")
    parser.add_argument("--programs", type=int, default=10, help="open programs (%(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs each (%(default)s)")
    parser.add_argument(
        "--chunk",
        type=int,
        default=500,
        help="companies per call in the chunked runs, MATCHING_CHUNK_SIZE's default (%(default)s)",
    )
    args = parser.parse_args(argv)

    with bench_database("bench_write_path"):
        from django.utils import timezone

        from applicants.models import Company
        from matchmaker.scoring import evaluate_pairs, load_company_facts, load_open_programs

        print(f"Write path benchmark, seed {args.seed}")
        print(f"  {machine_facts()}")
        generated_data(seed=args.seed, programs=args.programs, companies=args.companies)
        facts = load_company_facts(Company.objects.all())
        programs = load_open_programs()
        rows = evaluate_pairs(facts, programs, now=timezone.now())
        companies = {company.id: company.profile_version for company in facts}
        scope = {program.id: program.rules_version for program in programs}
        pairs = len(facts) * len(programs)
        mix = Counter(row.eligibility for row in rows)
        outcome_bytes = sum(len(json.dumps(row.outcomes, separators=(",", ":"))) for row in rows)
        print(
            f"  data: {len(facts):,} companies x {len(programs)} programs = {pairs:,} pairs; "
            f"{len(rows):,} rows kept ({100 * len(rows) / pairs:.0f}%: "
            + ", ".join(
                f"{name} {mix[name]:,}" for name in ("eligible", "incomplete", "ineligible")
            )
            + f" near misses); outcomes {outcome_bytes / len(rows):.0f} bytes of JSON a row"
        )
        # The update: every company rescored at a newer profile version, and one pair in twenty
        # no longer worth keeping, so the guarded DELETE has rows to remove.
        newer = [
            dataclasses.replace(row, profile_version=row.profile_version + 1)
            for index, row in enumerate(rows)
            if index % 20
        ]
        newer_companies = {company_id: version + 1 for company_id, version in companies.items()}
        chunks = _chunks(rows, companies, args.chunk)
        newer_chunks = _chunks(newer, newer_companies, args.chunk)
        failures: list[str] = []

        def check(label: str, expected_rows: Sequence[Any], full: bool) -> None:
            if full:
                if _stored() != _expected(expected_rows):
                    failures.append(f"{label}: the stored table differs from the rows written")
            elif _count() != len(expected_rows):
                failures.append(
                    f"{label}: {_count():,} rows stored, {len(expected_rows):,} written"
                )

        def prefill() -> None:
            truncate_matches()
            copy_rows(rows)

        # bulk_create's batch size, on a fifth of the rows (its rate hardly depends on the count).
        sample = rows[: len(rows) // 5]
        print(f"  bulk_create batch sizes, insert case, {len(sample):,} rows, best of 2 each:")
        tried = {}
        for size in BATCH_SIZES:
            tried[size] = best_of(
                2, lambda size=size: _bulk_create(sample, size), before=truncate_matches
            )
            print(f"    batch_size={size:<5} {_rate(len(sample), tried[size])}")
        batch = min(tried, key=tried.__getitem__)
        print(f"    -> the baseline uses batch_size={batch}")

        # (case, method) -> (job, what the table holds before it, the rows it leaves)
        jobs: dict[tuple[str, str], Job] = {
            ("insert", "ours"): (lambda: _ours(rows, companies, scope), truncate_matches, rows),
            ("insert", "ours in chunks"): (
                lambda: _ours_in_chunks(chunks, scope),
                truncate_matches,
                rows,
            ),
            ("insert", "COPY"): (lambda: copy_rows(rows), truncate_matches, rows),
            ("insert", "COPY in chunks"): (
                lambda: [copy_rows(chunk_rows) for chunk_rows, _ in chunks],
                truncate_matches,
                rows,
            ),
            ("insert", "bulk_create"): (lambda: _bulk_create(rows, batch), truncate_matches, rows),
            ("update", "ours"): (lambda: _ours(newer, newer_companies, scope), prefill, newer),
            ("update", "ours in chunks"): (
                lambda: _ours_in_chunks(newer_chunks, scope),
                prefill,
                newer,
            ),
            ("insert", "COPY, untriggered"): (
                _without_count_triggers(lambda: copy_rows(rows)),
                truncate_matches,
                rows,
            ),
            ("update", "ours, untriggered"): (
                _without_count_triggers(lambda: _ours(newer, newer_companies, scope)),
                prefill,
                newer,
            ),
            # bulk_create cannot remove pairs: the table keeps every row.
            ("update", "bulk_create"): (lambda: _bulk_create(newer, batch), prefill, rows),
        }

        def measure(names: Sequence[tuple[str, str]]) -> Rounds:
            """Each job's wall and CPU time in every round; all interleaved, the order rotating
            from round to round."""
            rounds: Rounds = {name: [] for name in names}
            runs = list(names)
            for repeat in range(args.repeats):
                turn = repeat % len(runs)
                for name in runs[turn:] + runs[:turn]:
                    job, before, written = jobs[name]
                    before()
                    cpu = cpu_seconds()
                    wall = time.perf_counter()
                    job()
                    wall = time.perf_counter() - wall
                    rounds[name].append((wall, cpu_seconds() - cpu))
                    check(" ".join(name), written, full=name[1] == "ours" and repeat == 0)
            return rounds

        def ratios(rounds: Rounds, over: tuple[str, str], under: tuple[str, str]) -> str:
            """Best-of wall ratio, with the ratio within each round (runs close in time) and
            the best-of CPU ratio."""
            best = min(wall for wall, _ in rounds[over]) / min(wall for wall, _ in rounds[under])
            each = ", ".join(
                f"{a[0] / b[0]:.2f}" for a, b in zip(rounds[over], rounds[under], strict=True)
            )
            cpu = min(cpu for _, cpu in rounds[over]) / min(cpu for _, cpu in rounds[under])
            return f"{best:.2f}x (rounds {each}; CPU {cpu:.2f}x)"

        def best_wall(rounds: Rounds, name: tuple[str, str]) -> float:
            return min(wall for wall, _ in rounds[name])

        times = measure(list(jobs))
        calls = len(chunks)
        print(
            f"  best of {args.repeats} interleaved runs, {len(rows):,} rows; 'in chunks' = "
            f"{calls} calls (transactions) of {args.chunk} companies, ~{len(rows) // calls:,} "
            f"rows each, as the workers store; update = {len(newer):,} rows at a newer profile "
            f"version, {len(rows) - len(newer):,} pairs dropped. CPU = this process + its "
            "PostgreSQL backend, less disturbed by other jobs on the machine:"
        )
        for name in jobs:
            case, method = name
            walls = ", ".join(f"{wall:.2f}" for wall, _ in times[name])
            print(
                f"    {case:<7} {method + ':':<16} {_rate(len(rows), best_wall(times, name))} "
                f"(runs {walls} s; CPU {min(cpu for _, cpu in times[name]):.2f} s)"
            )
        report = [
            ("insert, one call", "insert", "ours", "COPY"),
            ("insert, in chunks", "insert", "ours in chunks", "COPY in chunks"),
            ("update, one call", "update", "ours", "COPY"),
            ("update, in chunks", "update", "ours in chunks", "COPY in chunks"),
        ]
        print("  ratios, best wall time of each:")
        for label, case, method, raw in report:
            orm = best_wall(times, (case, "bulk_create")) / best_wall(times, (case, method))
            copy = best_wall(times, ("insert", raw)) / best_wall(times, (case, method))
            note = "" if case == "insert" else " (COPY's insert time, for scale)"
            print(f"    {label}:")
            print(
                f"      ours / bulk_create {ratios(times, (case, 'bulk_create'), (case, method))}"
                f": {_verdict(orm, WRITE_TARGET)}"
            )
            print(
                f"      ours / {raw} {ratios(times, ('insert', raw), (case, method))}: "
                f"{_verdict(copy, COPY_TARGET)}{note}"
            )

        print("  what keeping each program's count of fitting matches costs (its triggers):")
        for case, method in (("insert", "COPY"), ("update", "ours")):
            with_triggers = best_wall(times, (case, method))
            without = best_wall(times, (case, f"{method}, untriggered"))
            print(
                f"    {case} {method}: {with_triggers:.2f} s with, {without:.2f} s without "
                f"({100 * (with_triggers / without - 1):+.0f}%)"
            )

        # Where ours spends its time.
        repeats = min(args.repeats, 2)
        for label, calls_of, before in (
            ("insert, one call", [(rows, companies)], truncate_matches),
            ("update, one call", [(newer, newer_companies)], prefill),
            (f"insert, {len(chunks)} calls summed", chunks, truncate_matches),
            (f"update, {len(chunks)} calls summed", newer_chunks, prefill),
        ):
            fastest: dict[str, float] = {}
            for _ in range(repeats):
                before()
                steps: dict[str, float] = {}
                for call_rows, call_companies in calls_of:
                    _ours_step_by_step(call_rows, call_companies, scope, steps)
                if steps["total"] < fastest.get("total", float("inf")):
                    fastest = steps
            print_steps(f"ours step by step, {label}, the fastest of {repeats}", fastest)

        for failure in failures:
            print(f"  CORRECTNESS FAILURE: {failure}")
        if not failures:
            print("  correctness: every stored table matched the rows written")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
