"""Configuration comes from the environment; a bad value stops start-up naming the variable."""

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
