"""Configuration comes from the environment; a bad value stops start-up naming the variable."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "pilots.example.org",
    "DATABASE_URL": "postgres://app@db.example.org:5432/app",
    "REDIS_URL": "redis://cache.example.org:6379/0",
}


def _clean_environment() -> dict[str, str]:
    # The test run's own configuration (and the browser tests' async flag) must not leak in.
    leaking = {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    return {
        key: value
        for key, value in os.environ.items()
        if key not in leaking and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }


def _django(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = _clean_environment()
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "matchmaker.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "nosuchdb://x"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("EMAIL_PORT", "twenty-five"),
        ("TIME_ZONE", "Mars/Olympus"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_message_naming_the_variable(variable, value):
    extra = {"EMAIL_HOST": "smtp.example.org"} if variable == "EMAIL_PORT" else {}

    result = _django("pass", **{variable: value}, **extra)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.strip().splitlines()[-1]


def test_production_refuses_to_start_without_a_secret_key():
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}

    result = _django("pass", **env)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_no_variables_give_sqlite_the_embedded_broker_and_file_mail():
    result = _django(
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND)"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "django.core.mail.backends.filebased.EmailBackend",
    ]


def test_urls_switch_to_postgresql_and_redis():
    result = _django(
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)",
        DATABASE_URL="postgres://app@127.0.0.1:5432/app",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://127.0.0.1:6379/3",
    ]


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("postgres://app@127.0.0.1:5432/app", {}, "-c max_parallel_workers_per_gather=0"),
        (
            "postgres://app@127.0.0.1:5432/app",
            {"DATABASE_PARALLEL_WORKERS": "2"},
            "-c max_parallel_workers_per_gather=2",
        ),
        # Options in the URL are kept, ours added after them.
        (
            "postgres://app@127.0.0.1:5432/app?options=-c%20synchronous_commit%3Doff",
            {},
            "-c synchronous_commit=off -c max_parallel_workers_per_gather=0",
        ),
    ],
)
def test_postgresql_connections_make_no_parallel_plans_unless_asked(url, env, expected):
    result = _django(
        "from django.conf import settings as s; print(s.DATABASES['default']['OPTIONS'])",
        DATABASE_URL=url,
        **env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr({"options": expected})


def test_a_negative_number_of_parallel_workers_stops_start_up():
    result = _django(
        "pass", DATABASE_URL="postgres://app@127.0.0.1:5432/app", DATABASE_PARALLEL_WORKERS="-1"
    )

    assert result.returncode != 0
    assert "DATABASE_PARALLEL_WORKERS" in result.stderr.strip().splitlines()[-1]


def test_production_settings_pass_the_deploy_checks():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**_clean_environment(), **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_secret_can_come_from_a_file(tmp_path: Path):
    secret = tmp_path / "secret_key"
    secret.write_text("  a-secret-from-a-mounted-file-0123456789-abcdefghijklmnopqrstuv\n")
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}

    result = _django(
        "from django.conf import settings as s; print(s.SECRET_KEY)",
        SECRET_KEY_FILE=str(secret),
        **env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "a-secret-from-a-mounted-file-0123456789-abcdefghijklmnopqrstuv"


@pytest.mark.parametrize("problem", ["both set", "unreadable"])
def test_a_bad_secret_file_stops_start_up_naming_it(tmp_path: Path, problem: str):
    env = dict(PRODUCTION)
    if problem == "both set":
        (tmp_path / "key").write_text("from-a-file")
        env["SECRET_KEY_FILE"] = str(tmp_path / "key")
    else:
        env.pop("SECRET_KEY")
        env["SECRET_KEY_FILE"] = str(tmp_path / "missing")

    result = _django("pass", **env)

    assert result.returncode != 0
    assert "SECRET_KEY_FILE" in result.stderr.strip().splitlines()[-1]


def test_production_logs_one_json_object_a_line_with_the_request_id():
    result = _django(
        "import logging; from django_guid import set_guid; set_guid('a' * 32); "
        "logging.getLogger('matchmaker.security')"
        ".warning('refused %s', 'x', extra={'status': 403})",
        **PRODUCTION,
    )

    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "refused x"
    assert line["level"] == "WARNING"
    assert line["logger"] == "matchmaker.security"
    assert line["request_id"] == "a" * 32
    assert line["status"] == 403


def test_a_bad_log_format_stops_start_up():
    result = _django("pass", LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "LOG_FORMAT" in result.stderr.strip().splitlines()[-1]
