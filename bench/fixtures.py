"""What the database benchmarks share: a throw-away PostgreSQL database, generated programs and
companies, real Celery workers, and the machine facts every report starts with.

A benchmark calls `bench_database` first: it points ``DATABASE_URL`` (and ``REDIS_URL``) at a
database of its own, creates it, sets Django up against it, migrates, and drops it again at the
end, also when the benchmark fails. Django models can only be imported after that, which is why
the functions below import them where they are used.

Data comes from the engine benchmark's generators (`bench.engine`), so every benchmark scores
the same kind of rules and profiles: random valid rulesets of 0-3 gates and 0-4 award criteria,
stored as Agency, Program (open), Criterion, RequirementGroup and Requirement rows, and profiles
with some facts missing, stored as Company rows with sectors and partners.
"""

import contextlib
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from bench.engine import COUNTRIES, VOCABULARY, generate_profiles, generate_rulesets

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


def _database_url(name: str) -> str:
    return os.environ.get("DATABASE_URL") or f"postgres://postgres@127.0.0.1:5432/{name}"


def _maintenance_url(url: str) -> tuple[str, str]:
    """The URL of the server's ``postgres`` database, and the name of the bench database."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"DATABASE_URL must name a PostgreSQL database, not {url!r}")
    name = parts.path.lstrip("/")
    if not name.startswith("bench"):
        # The database is dropped at the end: never one that a person or a test suite uses.
        raise SystemExit(f"refusing to use {name!r}: the bench database's name must start 'bench'")
    return urlunsplit(parts._replace(path="/postgres")), name


def _admin(url: str, statement: sql.Composable) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(statement)


@contextlib.contextmanager
def bench_database(default_name: str, *, keep: bool = False) -> Iterator[str]:
    """Creates the bench database, sets Django up on it, migrates it; drops it on the way out.

    ``DATABASE_URL`` names the database (``postgres://postgres@127.0.0.1:5432/<default_name>``
    when unset); a leftover of a killed run under the same name is dropped first. Django runs
    with ``DEBUG=false``: with DEBUG on, every query is logged in memory, which slows the ORM
    baseline and inflates the workers' memory. With ``keep``, an existing database is kept
    (migrated) and the database is never dropped: for a benchmark that can reuse its fill.
    """
    url = _database_url(default_name)
    maintenance, name = _maintenance_url(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "matchmaker.settings")
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(maintenance, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if exists is not None and not keep:
        _admin(maintenance, drop)
        exists = None
    if exists is None:
        _admin(maintenance, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            _admin(maintenance, drop)


def machine_facts() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (server,) = cursor.fetchone()
    return (
        f"machine: {os.cpu_count()} cores, PostgreSQL {server}, Python {sys.version.split()[0]} "
        f"(from {sys.base_prefix}), "
        f"Django {version('django')}, psycopg {version('psycopg')}, Celery {version('celery')}; "
        f"load average {', '.join(f'{load:.1f}' for load in os.getloadavg())} at start"
    )


def create_programs(rng: random.Random, count: int) -> list[int]:
    """``count`` open programs with the engine benchmark's random valid rules; their ids."""
    from programs.models import Agency, Criterion, Program, Requirement, RequirementGroup

    agency = Agency.objects.create(
        slug="bench-agency", name="Bench agency", city="Bench", country="EE", time_zone="UTC"
    )
    rulesets = generate_rulesets(rng, count)
    programs = Program.objects.bulk_create(
        Program(
            owner=agency,
            slug=f"bench-{ruleset.program}",
            title=f"Bench {ruleset.program}",
            summary="Generated by the benchmark.",
            kind=Program.Kind.PILOTING,
            intake=Program.Intake.PROPOSAL_LED,
            status=Program.Status.OPEN,
            scored_rules_version=1,
        )
        for ruleset in rulesets
    )
    specs = [
        (program, order, spec)
        for program, ruleset in zip(programs, rulesets, strict=True)
        for order, spec in enumerate(ruleset.criteria)
    ]
    criteria = Criterion.objects.bulk_create(
        Criterion(
            program=program,
            kind=spec.kind.value,
            label=spec.label,
            weight=Decimal(str(spec.weight)),
            order=order,
        )
        for program, order, spec in specs
    )
    group_specs = [
        (criterion, order, group)
        for criterion, (_program, _order, spec) in zip(criteria, specs, strict=True)
        for order, group in enumerate(spec.groups)
    ]
    groups = RequirementGroup.objects.bulk_create(
        RequirementGroup(criterion=criterion, order=order) for criterion, order, _ in group_specs
    )
    Requirement.objects.bulk_create(
        Requirement(
            group=group,
            fact=requirement.fact,
            operator=requirement.operator,
            value=requirement.value,
            order=order,
        )
        for group, (_criterion, _order, spec) in zip(groups, group_specs, strict=True)
        for order, requirement in enumerate(spec.requirements)
    )
    return [program.pk for program in programs]


def create_companies(rng: random.Random, count: int) -> list[int]:
    """``count`` companies from the engine benchmark's profiles (some facts missing), with
    sectors and partners; marked scored so that no reconcile would pick them up. Their ids."""
    from applicants.models import Company, Partner
    from programs.models import Sector

    sectors = dict(Sector.objects.values_list("code", "pk"))
    profiles = generate_profiles(rng, count)
    companies = Company.objects.bulk_create(
        (
            Company(
                legal_name=f"Bench company {index}",
                country=profile.get("country") or "",
                trl=profile.get("trl"),
                has_demo=profile.get("has_demo"),
                employees=profile.get("employees"),
                founded_year=profile.get("founded_year"),
                prior_pilots=profile.get("prior_pilots"),
                partners_declared=profile.get("partner_countries") is not None,
                scored_profile_version=1,
            )
            for index, profile in enumerate(profiles)
        ),
        batch_size=2000,
    )
    Company.sectors.through.objects.bulk_create(
        (
            Company.sectors.through(company_id=company.pk, sector_id=sectors[code])
            for company, profile in zip(companies, profiles, strict=True)
            for code in profile.get("sectors") or ()
        ),
        batch_size=5000,
    )
    Partner.objects.bulk_create(
        (
            Partner(company=company, name=f"Partner {country}", country=country)
            for company, profile in zip(companies, profiles, strict=True)
            for country in profile.get("partner_countries") or ()
        ),
        batch_size=5000,
    )
    return [company.pk for company in companies]


def generated_data(*, seed: int, programs: int, companies: int) -> tuple[list[int], list[int]]:
    """Programs first, then companies, from one seeded generator: the same data every run."""
    from django_countries import countries

    from programs.models import Sector

    # The generators' codes must be codes the service knows, or rules would never match.
    unknown = (set(COUNTRIES) - {code for code, _name in countries}) | (
        VOCABULARY.sectors - set(Sector.objects.values_list("code", flat=True))
    )
    if unknown:
        raise SystemExit(f"generator bug: codes the service does not know: {sorted(unknown)}")
    rng = random.Random(seed)
    return create_programs(rng, programs), create_companies(rng, companies)


def copy_rows(rows: Sequence[Any]) -> None:
    """The floor of any write: a raw psycopg 3 ``COPY`` of ``rows`` (``MatchRow``) into the
    match table, outcomes encoded as JSON text the same way the write path does it, committed."""
    from django.db import connection, transaction

    from matchmaker import storage

    dumps = storage._json
    with transaction.atomic(), connection.cursor() as cursor:
        statement = f"COPY {storage.MATCH_TABLE} ({', '.join(storage.COLUMNS)}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
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
                )


def store_every_kept_pair(*, block: int = 1000) -> int:
    """Every pair the engine keeps, evaluated here and written with ``copy_rows``, ``block``
    companies at a time: the state a long-running service is in. Returns the rows stored."""
    from django.utils import timezone

    from applicants.models import Company
    from matchmaker.scoring import evaluate_pairs, load_company_facts, load_open_programs

    facts = load_company_facts(Company.objects.all())
    programs = load_open_programs()
    now = timezone.now()
    stored = 0
    for first in range(0, len(facts), block):
        rows = evaluate_pairs(facts[first : first + block], programs, now=now)
        copy_rows(rows)
        stored += len(rows)
    return stored


def cpu_seconds() -> float:
    """CPU time used so far by this process and by the PostgreSQL backend serving its Django
    connection (a local server). Far less disturbed than wall time when other jobs share the
    cores, though it leaves out waits (fsync at commit) and PostgreSQL's background writers."""
    from django.db import connection

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    own = os.times()
    return own.user + own.system + backend


def truncate_matches() -> None:
    from django.db import connection

    from matchmaker import storage

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {storage.MATCH_TABLE}")


def best_of(
    repeats: int, job: Callable[[], Any], *, before: Callable[[], Any] | None = None
) -> float:
    """The fastest of ``repeats`` timed runs of ``job``; ``before`` runs untimed each time."""
    best = float("inf")
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.perf_counter()
        job()
        best = min(best, time.perf_counter() - start)
    return best


# Real workers ---------------------------------------------------------------------------------


def _rss_kib(pid: int, key: str = "VmRSS") -> int:
    """A process's resident set (or its peak, ``VmHWM``) in KiB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


@dataclass
class Worker:
    """A ``celery worker`` process started as tests/integration/conftest.py starts one."""

    name: str
    process: subprocess.Popen[str]
    log: Path
    peak_tree_kib: int = 0
    peak_kib: dict[int, int] = field(default_factory=dict)  # VmHWM of each process seen

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"worker {self.name} never printed {text!r}; its log:\n{self.output()}")

    def tree(self) -> list[int]:
        return [self.process.pid, *_children(self.process.pid)]

    def sample_memory(self) -> None:
        """Adds the tree's current resident total to the peak, and keeps every process's
        kernel-kept peak (``VmHWM``), which polling alone could miss between two samples."""
        pids = self.tree()
        self.peak_tree_kib = max(self.peak_tree_kib, sum(_rss_kib(pid) for pid in pids))
        for pid in pids:
            self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), _rss_kib(pid, "VmHWM"))

    def reset_memory(self) -> None:
        self.peak_tree_kib = 0
        self.peak_kib = {}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for pid in _children(self.process.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, 9)
                self.process.kill()
                self.process.wait(timeout=30)


@contextlib.contextmanager
def workers(count: int, *, app: str = "matchmaker", **env: str) -> Iterator[list[Worker]]:
    """``count`` workers (prefork, one pool process each) of the Celery ``app`` on the bench
    database and broker, with ``env`` added to their environment; queued messages are purged
    before and after."""
    from matchmaker.celery import app as celery_app

    celery_app.control.purge()
    started: list[Worker] = []
    folder = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    try:
        for number in range(1, count + 1):
            name = f"bench{number}"
            log = folder / f"{name}.log"
            with log.open("w") as stream:
                process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        app,
                        "worker",
                        "--loglevel=INFO",
                        f"--hostname={name}@%h",
                        "--pool=prefork",
                        "--concurrency=1",
                        "--without-heartbeat",
                        "--without-gossip",
                        "--without-mingle",
                    ],
                    cwd=ROOT,
                    # Workers log through Django's LOGGING; the benchmarks read their INFO lines
                    # ("ready.", each task's time), which the bench process itself keeps quiet.
                    env={**os.environ, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO", **env},
                    stdout=stream,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            started.append(Worker(name, process, log))
        for worker in started:
            worker.wait_for("ready.")
        yield started
    finally:
        for worker in started:
            worker.stop()
        celery_app.control.purge()
        for log in folder.iterdir():
            log.unlink()
        folder.rmdir()


def mib(kib: int) -> float:
    return kib / 1024


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time a process (of any user: a PostgreSQL backend too) has used so
    far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """A process and its children (one level: a server's master and its workers)."""
    return [pid, *_children(pid)]
