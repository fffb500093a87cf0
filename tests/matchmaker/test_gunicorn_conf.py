"""gunicorn's settings file: what a web worker does once the application is loaded."""

import gc
import importlib.util
from pathlib import Path

from django.conf import settings


def test_a_worker_freezes_what_the_application_loaded() -> None:
    spec = importlib.util.spec_from_file_location(
        "gunicorn_conf", Path(settings.BASE_DIR) / "gunicorn.conf.py"
    )
    assert spec is not None and spec.loader is not None
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    gc.unfreeze()
    try:
        conf.post_worker_init(worker=None)

        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
