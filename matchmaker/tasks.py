"""Celery tasks of the matching domain. Each takes ids and primitives and calls one service."""

from celery import shared_task


@shared_task(name="matchmaker.ping")
def ping() -> str:
    """Answers ``pong``: lets operators and tests prove a worker consumes from the broker."""
    return "pong"
