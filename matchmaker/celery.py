"""The Celery application: configured from Django settings (``CELERY_*``)."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "matchmaker.settings")

app = Celery("matchmaker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_folders(sender: Celery, **kwargs: object) -> None:
    # kombu's filesystem transport (the embedded broker of a bare machine) needs its folders,
    # and beat the folder of its schedule file (under VAR_DIR, which a production host that
    # keeps nothing else there has no reason to have made).
    folders = [Path(sender.conf.beat_schedule_filename).parent]
    if str(sender.conf.broker_url).startswith("filesystem://"):
        options = sender.conf.broker_transport_options
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                folders.append(Path(options[key]))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)


def _register_heartbeat() -> None:
    from matchmaker.heartbeat import Heartbeat

    app.steps["worker"].add(Heartbeat)


_register_heartbeat()
