import pytest

from matchmaker.tasks import ping

# Also run on SQLite with the filesystem broker in CI: the bare machine's own path.
pytestmark = [pytest.mark.integration, pytest.mark.bare_machine]


def test_a_real_worker_consumes_tasks_from_the_configured_broker(start_worker):
    # given a worker started as its own process on the broker the settings name
    worker = start_worker()

    # when a task is sent through that broker
    result = ping.delay()

    # then the worker receives and runs it
    output = worker.wait_for(f"Task matchmaker.ping[{result.id}] succeeded")
    assert "'pong'" in output.split(result.id, 2)[-1]
