"""Full rescore benchmark (DESIGN §11 "Full rescore" and "Memory"): two real workers against
the sum of the floors, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_rescore \\
    REDIS_URL=redis://127.0.0.1:6379/14 \\
        python -m bench.rescore [--companies N] [--programs N] [--chunk-sizes N,N] [--table both]

Creates its own PostgreSQL database and generates programs and companies (`bench.fixtures`).

Floors, in this process:
- evaluation: `load_company_facts` of every company + `load_open_programs` + `evaluate_pairs` of
  every pair (called per block of companies, as the workers do, so the floor does not pay for
  one huge list of results);
- write: a raw psycopg 3 ``COPY`` of the kept rows into the empty match table, JSON encoding
  included (the write path must encode too).

Then, for each chunk size (and ``--table``: an empty match table, the first scoring; or one
already holding every row, the usual state when a full rescore is asked for; or both), two
``celery worker`` processes are started as the integration tests start them (prefork, one pool
process each, ``MATCHING_CHUNK_SIZE`` in their environment), `rescore_all_task` is enqueued, and
the bench polls the `ScoringRun` until it is finished. The wall time runs from the enqueue to
the run's finish as the poller sees it (every 50 ms). A COPY floor is taken before every run and
after the last, and the best counts, so the floors and the runs are interleaved. While a run
goes, the resident memory of each worker's process tree is sampled, and each process's own peak
(``VmHWM``) is read. Last, one chunk is scored in this process step by step, to show where a
chunk's time goes.

Prints wall time, the floors, their sum, the ratio to the 2x budget, pairs/s, stored rows and
memory. Exits 1 if a stored table differs from the in-process evaluation (company, program,
eligibility, score), or a run does not finish within ``--timeout``.
"""

import argparse
import itertools
import re
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench.fixtures import (
    Worker,
    bench_database,
    generated_data,
    machine_facts,
    mib,
    truncate_matches,
    workers,
)
from bench.write_path import print_steps

BUDGET = 2.0  # x the sum of the floors
MEMORY_TARGET_MIB = 500
EVALUATION_BLOCK = 1000  # companies per evaluate_pairs call of the floor

CHUNK_DONE = re.compile(r"matchmaker\.score_chunk\[[^\]]+\] succeeded")

Pair = tuple[int, int, str, float | None]


def _evaluation_floor(now: Any) -> tuple[float, float, list[tuple[Any, ...]], set[Pair], int, int]:
    """Times evaluating every pair in memory, and encoding the kept rows for COPY (as the write
    path encodes them); returns both times, the encoded rows, the expected table, and the
    numbers of companies and programs."""
    from applicants.models import Company
    from matchmaker import storage
    from matchmaker.scoring import evaluate_pairs, load_company_facts, load_open_programs
    from programs.selectors import clear_compiled_cache

    clear_compiled_cache()  # compiling is part of the floor, as it is of a worker's first chunk
    start = time.perf_counter()
    facts = load_company_facts(Company.objects.all())
    programs = load_open_programs()
    evaluation = time.perf_counter() - start
    encoding = 0.0
    encoded: list[tuple[Any, ...]] = []
    expected: set[Pair] = set()
    dumps = storage._json
    for first in range(0, len(facts), EVALUATION_BLOCK):
        start = time.perf_counter()
        rows = evaluate_pairs(facts[first : first + EVALUATION_BLOCK], programs, now=now)
        evaluation += time.perf_counter() - start
        start = time.perf_counter()
        encoded += [
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
        ]
        encoding += time.perf_counter() - start
        expected.update(
            (row.company_id, row.program_id, row.eligibility, row.score) for row in rows
        )
    return evaluation, encoding, encoded, expected, len(facts), len(programs)


def _copy_floor(rows: Sequence[tuple[Any, ...]]) -> float:
    """A raw COPY of the encoded ``rows`` into the emptied match table, committed."""
    from django.db import connection, transaction

    from matchmaker import storage

    truncate_matches()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        statement = f"COPY {storage.MATCH_TABLE} ({', '.join(storage.COLUMNS)}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    return time.perf_counter() - start


def _stored() -> set[Pair]:
    from matchmaker.models import Match

    return set(Match.objects.values_list("company_id", "program_id", "eligibility", "score"))


def _reset_runs() -> None:
    from matchmaker.models import ScoringChunk, ScoringRun

    ScoringChunk.objects.all().delete()
    ScoringRun.objects.all().delete()


def _run(started: list[Worker], timeout: float) -> tuple[float, Any]:
    """Enqueues a full rescore and waits for its run to finish, sampling workers' memory."""
    from matchmaker.models import ScoringRun
    from matchmaker.tasks import rescore_all_task

    for worker in started:
        worker.reset_memory()
    start = time.perf_counter()
    rescore_all_task.delay()
    deadline = start + timeout
    while time.perf_counter() < deadline:
        for worker in started:
            worker.sample_memory()
        run = ScoringRun.objects.filter(finished_at__isnull=False).first()
        if run is not None:
            elapsed = time.perf_counter() - start
            for worker in started:
                worker.sample_memory()
            return elapsed, run
        time.sleep(0.05)
    raise TimeoutError(f"the full rescore did not finish within {timeout:.0f} s")


def _memory_line(worker: Worker) -> str:
    main, *children = worker.peak_kib.items() or [(0, 0)]
    parts = [f"main {mib(main[1]):.0f} MiB"]
    parts += [f"pool process {mib(kib):.0f} MiB" for _pid, kib in children]
    return (
        f"{worker.name}: tree peak {mib(worker.peak_tree_kib):.0f} MiB resident "
        f"(sampled every 50 ms; per-process peaks VmHWM: {', '.join(parts)})"
    )


def _one_run(
    args: argparse.Namespace,
    size: int,
    label: str,
    expected: set[Pair],
    pairs: int,
    results: list[tuple[str, float, int]],
    failures: list[str],
) -> bool:
    """Starts the workers, runs a full rescore, checks and prints it; False if it timed out."""
    from matchmaker.models import Match

    with workers(args.workers, MATCHING_CHUNK_SIZE=str(size)) as started:
        _reset_runs()
        try:
            wall, run = _run(started, args.timeout)
        except TimeoutError as error:
            failures.append(f"{label}: {error}")
            for worker in started:
                print(f"  --- {worker.name} log (tail) ---")
                print("\n".join(worker.output().splitlines()[-30:]))
            return False
        stored = Match.objects.count()
        if _stored() != expected:
            failures.append(f"{label}: the stored table differs from the evaluation")
        if run.chunks_failed:
            failures.append(f"{label}: {run.chunks_failed} chunks failed")
        chunks_by = {worker.name: len(CHUNK_DONE.findall(worker.output())) for worker in started}
        results.append((label, wall, stored))
        print(f"  run, {label}:")
        print(
            f"    wall {wall:.2f} s for {run.chunks_total} chunks "
            f"({', '.join(f'{name} ran {count}' for name, count in chunks_by.items())}); "
            f"{pairs / wall:,.0f} pairs/s; {stored:,} rows stored"
        )
        for worker in started:
            verdict = "met" if mib(worker.peak_tree_kib) < MEMORY_TARGET_MIB else "MISSED"
            print(f"    memory {_memory_line(worker)}; target < {MEMORY_TARGET_MIB} MB: {verdict}")
    return True


def _chunk_breakdown(size: int) -> dict[str, float]:
    """One chunk of ``size`` companies from the middle of the id range, scored in this process
    step by step as `chunk_score` does it, over a table holding every row (an update)."""
    from applicants.models import Company
    from bench.write_path import pass_step_by_step

    ids = list(Company.objects.order_by("pk").values_list("pk", flat=True))
    chunk = ids[len(ids) // 2 :][:size]
    return pass_step_by_step(Company.objects.filter(pk__gte=chunk[0], pk__lte=chunk[-1]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.rescore",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=20240503, help="random seed (%(default)s)")
    parser.add_argument("--companies", type=int, default=10_000, help="companies (%(default)s)")
    parser.add_argument("--programs", type=int, default=100, help="open programs (%(default)s)")
    parser.add_argument(
        "--chunk-sizes",
        default="250",
        help="MATCHING_CHUNK_SIZE values to run, comma-separated (%(default)s)",
    )
    parser.add_argument(
        "--table",
        choices=("empty", "stored", "both"),
        default="empty",
        help="run on an empty match table, on one already holding every row, or both (%(default)s)",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (%(default)s)")
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds a run may take (%(default)s)"
    )
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.chunk_sizes.split(",") if size.strip()]

    with bench_database("bench_rescore"):
        from django.utils import timezone

        print(
            f"Full rescore benchmark, seed {args.seed}, {args.workers} workers "
            "(prefork, --concurrency=1 each)"
        )
        print(f"  {machine_facts()}")
        generated_data(seed=args.seed, programs=args.programs, companies=args.companies)
        evaluation, encoding, rows, expected, companies, programs = _evaluation_floor(
            timezone.now()
        )
        pairs = companies * programs
        print(
            f"  data: {companies:,} companies x {programs} programs = {pairs:,} pairs; "
            f"{len(rows):,} rows kept ({100 * len(rows) / pairs:.0f}%)"
        )
        copy_times: list[float] = []
        failures: list[str] = []
        results: list[tuple[str, float, int]] = []

        def floors() -> float:
            return evaluation + encoding + min(copy_times)

        tables = ("empty", "stored") if args.table == "both" else (args.table,)
        for size, table in itertools.product(sizes, tables):
            # A COPY floor before every run (the best of them counts); it leaves the table
            # holding every row at the current versions: the "stored" starting point.
            copy_times.append(_copy_floor(rows))
            if table == "empty":
                truncate_matches()
            label = (
                f"chunk size {size}, "
                f"{'empty table' if table == 'empty' else 'every row already stored'}"
            )
            if not _one_run(args, size, label, expected, pairs, results, failures):
                break
        copy_times.append(_copy_floor(rows))
        breakdown = _chunk_breakdown(sizes[0])

        print(
            f"  floors: evaluation {evaluation:.2f} s ({pairs / evaluation:,.0f} pairs/s, one "
            f"process) + JSON encoding {encoding:.2f} s + raw COPY {min(copy_times):.2f} s "
            f"(best of {len(copy_times)}: "
            f"{', '.join(f'{seconds:.2f}' for seconds in copy_times)}; "
            f"{len(rows) / min(copy_times):,.0f} rows/s) = {floors():.2f} s; "
            f"budget {BUDGET:.0f}x = {BUDGET * floors():.2f} s"
        )
        print_steps(
            f"one chunk of {sizes[0]} companies in this process, step by step, over the full "
            f"table ({breakdown.pop('rows'):,.0f} rows)",
            breakdown,
        )
        for label, wall, _stored_rows in results:
            ratio = wall / floors()
            verdict = "met" if ratio <= BUDGET else f"MISSED by {100 * (ratio / BUDGET - 1):.0f}%"
            print(
                f"  {label}: wall {wall:.2f} s = {ratio:.2f}x the floors "
                f"(target <= {BUDGET:.0f}x: {verdict})"
            )
        for failure in failures:
            print(f"  CORRECTNESS FAILURE: {failure}")
        if not failures:
            print("  correctness: every run's table equals the in-process evaluation")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
