"""The sections of a company profile, and when each counts as complete.

Four sections hold what programs ask about and can be complete or not:

- identity: legal name, country, year founded and number of employees are given;
- offering: at least one sector, the TRL, whether a demo is available (yes or no, not "not
  sure") and the number of past pilots are given;
- partners: at least one partner is listed, or the vendor declared they have none;
- documents: a pitch deck is on file.

Visibility and team are settings, not facts: each of their answers is a complete one (hidden is
as valid as visible, a team of one is a team), so they show their state instead of a tick and do
not count towards progress. Counting them would show a new vendor ticks they never earned.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from applicants.models import Company

# Section keys, in the order the profile walks through them; each is also a URL name.
IDENTITY = "identity"
OFFERING = "offering"
PARTNERS = "partners"
DOCUMENTS = "documents"
VISIBILITY = "visibility"
TEAM = "team"


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str | Promise
    complete: bool | None  # None: a setting, which is never incomplete
    state: str | Promise  # one short line for the step navigation

    @property
    def url_name(self) -> str:
        return f"companies:{self.key}"


@dataclass(frozen=True, slots=True)
class Progress:
    sections: tuple[Section, ...]

    @property
    def done(self) -> int:
        return sum(1 for section in self.sections if section.complete)

    @property
    def total(self) -> int:
        return sum(1 for section in self.sections if section.complete is not None)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100

    def next_after(self, key: str) -> Section | None:
        keys = [section.key for section in self.sections]
        index = keys.index(key) + 1
        return self.sections[index] if index < len(self.sections) else None


def _state(complete: bool) -> Promise:
    return _("Complete") if complete else _("To do")


def profile_progress(company: Company) -> Progress:
    """Expects ``company`` from ``selectors.company_workspace`` (sectors and partners prefetched,
    ``has_pitch_deck`` and ``member_count`` annotated): costs no query."""
    identity = bool(
        company.legal_name
        and company.country
        and company.founded_year is not None
        and company.employees is not None
    )
    offering = bool(
        company.sectors.all()
        and company.trl is not None
        and company.has_demo is not None
        and company.prior_pilots is not None
    )
    partners = bool(company.partners_declared or company.partners.all())
    documents = bool(company.has_pitch_deck)  # type: ignore[attr-defined]
    members: int = company.member_count or 0  # type: ignore[attr-defined]
    return Progress(
        sections=(
            Section(IDENTITY, _("Identity"), identity, _state(identity)),
            Section(OFFERING, _("Offering"), offering, _state(offering)),
            Section(PARTNERS, _("Partners"), partners, _state(partners)),
            Section(DOCUMENTS, _("Documents"), documents, _state(documents)),
            Section(
                VISIBILITY,
                _("Visibility"),
                None,
                _("Visible to program staff")
                if company.discoverable
                else _("Hidden until you apply"),
            ),
            Section(
                TEAM,
                _("Team"),
                None,
                ngettext("%(count)d member", "%(count)d members", members) % {"count": members},
            ),
        )
    )
