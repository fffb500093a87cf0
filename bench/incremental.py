"""Incremental benchmark (DESIGN §11 "Incremental"): how soon a saved profile's matches are
visible, with real workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_incremental \\
    REDIS_URL=redis://127.0.0.1:6379/14 \\
        python -m bench.incremental [--companies N] [--programs N] [--saves N]

Creates its own PostgreSQL database, generates programs and companies (`bench.fixtures`), and
stores every company's matches up front (evaluated in this process, written with COPY), so the
workers meet a full match table, as in production. Then two ``celery worker`` processes start
as the integration tests start them (prefork, one pool process each).

A few warm-up saves go first, until both workers have scored a company (a worker compiles the
open programs' rules once, on its first task; production workers are long-lived). Then
``--saves`` profiles change one at a time through `applicants.services.company_update`, which
bumps the profile version and enqueues the company's rescore after commit. For each, the time
runs from the call until the company is recorded as scored at its new version — which happens
in the transaction that stores its Match rows — polled every 10 ms; the rows are then checked
against the same engine run in this process.

Prints p50/p95/max against the 2 s target (nearest-rank percentiles), the time the save itself
took, and the workers' own task times from their logs; last, one company's scoring pass taken
apart step by step in this process (the statements of `store_matches`, via `bench.write_path`).
Exits 1 if a company's stored matches differ from the in-process evaluation, or a save is not
visible within ``--timeout``.
"""

import argparse
import math
import random
import re
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench.fixtures import (
    bench_database,
    generated_data,
    machine_facts,
    store_every_kept_pair,
    workers,
)
from bench.write_path import pass_step_by_step, print_steps

TARGET_SECONDS = 2.0
POLL_SECONDS = 0.01
TASK_DONE = re.compile(r"matchmaker\.score_companies\[[^\]]+\] succeeded in ([0-9.]+)s")
PREFILL_BLOCK = 1000  # companies evaluated and copied at a time


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _summary(values: Sequence[float]) -> str:
    return (
        f"p50 {_percentile(values, 0.5) * 1e3:.0f} ms, p95 {_percentile(values, 0.95) * 1e3:.0f} "
        f"ms, max {max(values) * 1e3:.0f} ms"
    )


def _change(rng: random.Random, company: Any) -> dict[str, Any]:
    """A different value for one fact the engine reads."""
    name = rng.choice(("trl", "has_demo", "employees", "prior_pilots"))
    old = getattr(company, name)
    if name == "trl":
        return {"trl": rng.choice([level for level in range(1, 10) if level != old])}
    if name == "has_demo":
        return {"has_demo": not old}
    return {name: (old or 0) + rng.randint(1, 20)}


def _expected(company_id: int) -> set[tuple[Any, ...]]:
    from django.utils import timezone

    from applicants.models import Company
    from matchmaker.scoring import evaluate_pairs, load_company_facts, load_open_programs

    facts = load_company_facts(Company.objects.filter(pk=company_id))
    rows = evaluate_pairs(facts, load_open_programs(), now=timezone.now())
    return {
        (row.program_id, row.eligibility, row.score, row.profile_version, row.rules_version)
        for row in rows
    }


def _stored(company_id: int) -> set[tuple[Any, ...]]:
    from matchmaker.models import Match

    return set(
        Match.objects.filter(company_id=company_id).values_list(
            "program_id", "eligibility", "score", "profile_version", "rules_version"
        )
    )


def _save_and_wait(
    rng: random.Random, company_id: int, user: Any, timeout: float
) -> tuple[float, float, int]:
    """Changes one fact through the service; the time until the rescore is visible, the time
    the save took, and the new profile version."""
    from applicants.models import Company
    from applicants.services import company_update

    company = Company.objects.get(pk=company_id)
    start = time.perf_counter()
    saved = company_update(company=company, user=user, **_change(rng, company))
    save_seconds = time.perf_counter() - start
    version = saved.profile_version
    scored = Company.objects.filter(pk=company_id, scored_profile_version__gte=version)
    while not scored.exists():
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"company {company_id} v{version} not scored after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - start, save_seconds, version


def _phase(
    args: argparse.Namespace,
    rng: random.Random,
    chosen: list[int],
    user: Any,
    failures: list[str],
    *,
    label: str,
) -> None:
    """Starts the workers, warms them up, saves ``args.saves`` profiles taken from
    ``chosen`` one at a time, and prints what it measured."""
    latencies: list[float] = []
    saves: list[float] = []
    warm_up: list[float] = []
    with workers(args.workers) as started:
        while chosen and len(warm_up) < 2 * args.workers + 4:
            if all(TASK_DONE.search(worker.output()) for worker in started):
                break
            warm_up.append(_save_and_wait(rng, chosen.pop(), user, args.timeout)[0])
        tasks_before = {worker.name: len(TASK_DONE.findall(worker.output())) for worker in started}
        for _ in range(args.saves):
            company_id = chosen.pop()
            try:
                latency, save_seconds, version = _save_and_wait(rng, company_id, user, args.timeout)
            except TimeoutError as error:
                failures.append(f"{label}: {error}")
                break
            latencies.append(latency)
            saves.append(save_seconds)
            rows = _stored(company_id)
            if rows != _expected(company_id) or any(row[3] != version for row in rows):
                failures.append(f"{label}, company {company_id}: stored matches differ")
        # The measured saves' tasks: each worker's log lines after the warm-up.
        done = {worker.name: TASK_DONE.findall(worker.output()) for worker in started}
        task_seconds = [
            float(seconds)
            for name, found in done.items()
            for seconds in found[tasks_before[name] :]
        ]
        per_worker = {name: len(found) - tasks_before[name] for name, found in done.items()}

    print(f"  {label}:")
    print(
        f"    warm-up: {len(warm_up)} saves until every worker had scored once (first "
        f"{warm_up[0] * 1e3:.0f} ms, the worker compiling the open programs' rules)"
        if warm_up
        else "    warm-up: none needed"
    )
    if not latencies:
        return
    p95 = _percentile(latencies, 0.95)
    verdict = (
        "met" if p95 <= TARGET_SECONDS else f"MISSED by {100 * (p95 / TARGET_SECONDS - 1):.0f}%"
    )
    print(
        f"    {len(latencies)} saves, one at a time, save -> matches visible: "
        f"{_summary(latencies)} (target p95 <= {TARGET_SECONDS:.0f} s: {verdict})"
    )
    print(f"    of which the save itself (company_update, commit): {_summary(saves)}")
    if task_seconds:
        print(
            f"    the workers' own task time (score_companies, from their logs; tasks per "
            f"worker {per_worker}): {_summary(task_seconds)}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.incremental",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=20240504, help="random seed (%(default)s)")
    parser.add_argument("--companies", type=int, default=10_000, help="companies (%(default)s)")
    parser.add_argument("--programs", type=int, default=100, help="open programs (%(default)s)")
    parser.add_argument("--saves", type=int, default=50, help="profiles changed (%(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (%(default)s)")
    parser.add_argument(
        "--timeout", type=float, default=30, help="seconds one save may take (%(default)s)"
    )
    args = parser.parse_args(argv)

    with bench_database("bench_incremental"):
        from applicants.models import Company, CompanyMembership, User

        print(f"Incremental benchmark, seed {args.seed}, {args.workers} workers")
        print(f"  {machine_facts()}")
        program_ids, company_ids = generated_data(
            seed=args.seed, programs=args.programs, companies=args.companies
        )
        stored = store_every_kept_pair(block=PREFILL_BLOCK)
        print(
            f"  data: {len(company_ids):,} companies x {len(program_ids)} programs; "
            f"{stored:,} match rows stored up front"
        )
        rng = random.Random(args.seed)
        # A vendor can only save a complete registration: one with a country.
        complete = list(
            Company.objects.exclude(country="").order_by("pk").values_list("pk", flat=True)
        )
        chosen = rng.sample(complete, args.saves + 2 * args.workers + 4)
        user = User.objects.create_user(email="bench@example.org")
        CompanyMembership.objects.bulk_create(
            CompanyMembership(user=user, company_id=company_id, role=CompanyMembership.Role.OWNER)
            for company_id in chosen
        )
        failures: list[str] = []
        sample = chosen[0]
        _phase(args, rng, chosen, user, failures, label="workers as they are")
        # Where a save's task spends its time: one company's pass, step by step, here.
        breakdown = pass_step_by_step(Company.objects.filter(pk=sample))
        print_steps(
            f"one company's scoring pass in this process, step by step, over the full table "
            f"({breakdown.pop('rows'):,.0f} rows)",
            breakdown,
        )
        for failure in failures:
            print(f"  CORRECTNESS FAILURE: {failure}")
        if not failures:
            print("  correctness: every changed company's matches equal the in-process evaluation")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
