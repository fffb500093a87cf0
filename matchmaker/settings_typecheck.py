"""The settings mypy's Django plugin loads (pyproject.toml).

django-modeltranslation replaces the translated models' managers at start-up with classes made on
the fly, which the plugin cannot resolve; without it, the plugin sees the managers as declared.
The admin is installed without its autodiscovery, whose translated model admins need the
translations registered.
"""

from matchmaker.settings import *  # noqa: F403
from matchmaker.settings import INSTALLED_APPS

INSTALLED_APPS = [
    "django.contrib.admin.apps.SimpleAdminConfig" if app == "django.contrib.admin" else app
    for app in INSTALLED_APPS
    if app != "modeltranslation"
]
