"""The interface speaks English, Traditional Chinese and Russian, completely.

- Every string marked for translation is translated in each catalog, none fuzzy, placeholders
  kept (``msgfmt --check-format``).
- ``makemessages`` finds nothing new: a string added to the code or templates without its
  translations fails here (run ``make messages``, translate, then ``make compile-messages``).
- The compiled catalogs (``.mo``, which the service reads) match their ``.po``.
"""

import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGS = ["zh_Hant", "ru"]
# What ``make messages`` leaves out of the extraction.
IGNORED = [".venv", "var", "bench", "tests", "staticfiles", "node_modules", "locale"]


def _entries(catalog: polib._BaseFile) -> dict[tuple[str | None, str], object]:
    return {
        (entry.msgctxt, entry.msgid): entry.msgstr_plural or entry.msgstr
        for entry in catalog
        if not entry.obsolete
    }


@pytest.mark.parametrize("language", CATALOGS)
def test_every_string_is_translated(language: str) -> None:
    catalog = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))

    missing = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]

    assert not missing, f"{len(missing)} untranslated in {language}: {missing[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:20]}"


@pytest.mark.parametrize("language", CATALOGS)
def test_the_translations_keep_their_placeholders(language: str) -> None:
    path = LOCALE / language / "LC_MESSAGES" / "django.po"

    result = subprocess.run(
        ["msgfmt", "--check-format", "--output-file=/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("language", CATALOGS)
def test_the_compiled_catalog_matches_its_source(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"

    source = _entries(polib.pofile(str(folder / "django.po")))
    compiled = _entries(polib.mofile(str(folder / "django.mo")))

    assert compiled == source


def test_makemessages_finds_nothing_new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # makemessages writes next to the sources it reads: extract from a copy.
    root = Path(settings.BASE_DIR)
    for name in ("applicants", "matchmaker", "programs", "templates", "static"):
        shutil.copytree(root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(LOCALE, tmp_path / "locale")
    monkeypatch.chdir(tmp_path)

    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command(
            "makemessages",
            locale=CATALOGS,
            no_obsolete=True,
            add_location="file",
            ignore_patterns=IGNORED,
            verbosity=0,
        )

    for language in CATALOGS:
        committed = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
        extracted = polib.pofile(str(tmp_path / "locale" / language / "LC_MESSAGES" / "django.po"))
        new = sorted(set(_entries(extracted)) - set(_entries(committed)), key=str)
        gone = sorted(set(_entries(committed)) - set(_entries(extracted)), key=str)
        assert not new, f"not in the {language} catalog yet (make messages): {new[:20]}"
        assert not gone, f"no longer in the code, still in the {language} catalog: {gone[:20]}"
