"""Forms of the company profile's sections.

Plain forms with explicit fields, not model forms: a field that is not declared here cannot be
posted into a company (``profile_version``, ``partners_declared``, memberships, another
company's id), and validating a form never touches the saved company, so an invalid post leaves
the page's preview showing the saved profile. The services validate again and save.

Inputs that feed a fact carry ``data-fact``: ``static/js/preview.js`` reads them to preview
eligibility as the vendor types.
"""

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from applicants.models import Company, CompanyMembership, Document
from programs.models import Sector

FOUNDED_MIN = 1800
# A generous ceiling that still fits the column: the largest employers have about two million.
EMPLOYEES_MAX = 10_000_000
PILOTS_MAX = 100_000
DESCRIPTION_MAX = 5_000


def country_choices() -> list[tuple[str, str]]:
    """Countries by name in the active language, after an empty choice."""
    return [("", str(_("Choose a country"))), *((code, str(name)) for code, name in countries)]


def _fact(name: str, **attrs: str) -> dict[str, str]:
    return {"data-fact": name, **attrs}


class ProfileForm(forms.Form):
    """A section's form: knows how to list its errors for the summary at the top of the page."""

    # Errors of the service that name no field of this form are shown against this one.
    fallback_field: str | None = None

    def error_links(self) -> list[tuple[str, str]]:
        """``(anchor, message)`` for every error: the anchor is the input the error is about,
        or the form itself for errors that concern no one field."""
        links: list[tuple[str, str]] = []
        for name, errors in self.errors.items():
            if name == NON_FIELD_ERRORS:
                anchor = f"{self.prefix or 'form'}-errors"
                links.extend((anchor, str(message)) for message in errors)
                continue
            bound = self[name]
            anchor = f"{bound.auto_id}_0" if bound.use_fieldset else bound.auto_id
            links.extend((anchor, f"{bound.label}: {message}") for message in errors)
        return links

    def add_service_error(self, error: ValidationError) -> None:
        """Shows a service's ``ValidationError`` next to the fields it names."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                field = name if name in self.fields else self.fallback_field
                for message in ValidationError(errors).messages:
                    self.add_error(field, message)
        else:
            for message in error.messages:
                self.add_error(self.fallback_field, message)


class IdentityForm(ProfileForm):
    legal_name = forms.CharField(
        label=_("Legal name"),
        max_length=200,
        help_text=_("As in your company's registration."),
        error_messages={"required": _("Give the company's legal name.")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    country = forms.ChoiceField(
        label=_("Country of registration"),
        choices=country_choices,
        error_messages={
            "required": _("Choose the country your company is registered in."),
            "invalid_choice": _("Choose a country from the list."),
        },
        widget=forms.Select(attrs=_fact("country")),
    )
    registration_id = forms.CharField(
        label=_("Registration number"),
        max_length=64,
        required=False,
        help_text=_("Optional. The number in your country's company register."),
    )
    website = forms.URLField(
        label=_("Website"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"autocomplete": "url", "placeholder": "https://"}),
    )
    founded_year = forms.IntegerField(
        label=_("Year founded"),
        required=False,
        min_value=FOUNDED_MIN,
        widget=forms.NumberInput(attrs=_fact("founded_year", inputmode="numeric")),
    )
    employees = forms.IntegerField(
        label=_("Employees"),
        required=False,
        min_value=0,
        max_value=EMPLOYEES_MAX,
        help_text=_("How many people work for the company, including founders."),
        error_messages={"min_value": _("The number of employees cannot be negative.")},
        widget=forms.NumberInput(attrs=_fact("employees", inputmode="numeric")),
    )

    fallback_field = "legal_name"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The current year is a bound of the field, so it must be read per form, not at import.
        this_year = timezone.localdate().year
        year = self.fields["founded_year"]
        assert isinstance(year, forms.IntegerField)
        year.max_value = this_year
        year.validators.append(_MaxYearValidator(this_year))
        year.widget.attrs["max"] = str(this_year)
        year.help_text = _("From %(min)s to %(max)s.") % {"min": FOUNDED_MIN, "max": this_year}
        year.error_messages["min_value"] = _("Give a year from %(min)s on.") % {"min": FOUNDED_MIN}


class _MaxYearValidator:
    def __init__(self, year: int) -> None:
        self.year = year

    def __call__(self, value: int) -> None:
        if value > self.year:
            raise ValidationError(_("The year founded cannot be in the future."), code="max_value")


class HasDemo:
    """The three answers to "is a demo available?"; not sure is stored as unknown (null)."""

    YES = "yes"
    NO = "no"
    NOT_SURE = "not-sure"

    @classmethod
    def to_answer(cls, value: bool | None) -> str:
        if value is None:
            return cls.NOT_SURE
        return cls.YES if value else cls.NO

    @classmethod
    def to_value(cls, answer: str) -> bool | None:
        return {cls.YES: True, cls.NO: False}.get(answer)


class OfferingForm(ProfileForm):
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"),
        queryset=Sector.objects.order_by("name"),
        # Codes, not ids: the codes are the facts the preview sends to the eligibility API.
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs=_fact("sectors")),
        help_text=_("Every field your product serves. Programs look for overlap with theirs."),
    )
    trl = forms.TypedChoiceField(
        label=_("Technology readiness level (TRL)"),
        choices=[("", _("Not sure yet")), *Company.Trl.choices],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs=_fact("trl")),
        help_text=_("How close your product is to everyday use, from 1 (an idea) to 9 (proven)."),
    )
    has_demo = forms.TypedChoiceField(
        label=_("Is a working demo available?"),
        choices=[
            (HasDemo.YES, _("Yes")),
            (HasDemo.NO, _("No")),
            (HasDemo.NOT_SURE, _("Not sure")),
        ],
        coerce=HasDemo.to_value,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs=_fact("has_demo")),
    )
    demo_url = forms.URLField(
        label=_("Demo link"),
        required=False,
        assume_scheme="https",
        help_text=_("Optional. A video or a page where staff can try the product."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        help_text=_("What the product does and for whom, in a few sentences."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    prior_pilots = forms.IntegerField(
        label=_("Past pilots"),
        required=False,
        min_value=0,
        max_value=PILOTS_MAX,
        help_text=_("How many pilots with cities or public bodies you have run. 0 if none."),
        error_messages={"min_value": _("The number of pilots cannot be negative.")},
        widget=forms.NumberInput(attrs=_fact("prior_pilots", inputmode="numeric")),
    )

    fallback_field = "description"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("has_demo") is False and cleaned.get("demo_url"):
            self.add_error(
                "demo_url",
                _("You said no demo is available: remove the link, or change that answer."),
            )
        return cleaned


class LinkedCompanySelect(forms.Select):
    """Options carry their company's country, so the preview knows it before saving."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        instance = getattr(option["value"], "instance", None)
        if isinstance(instance, Company):
            option["attrs"]["data-country"] = instance.country.code
        return option


class PartnerForm(ProfileForm):
    linked_company = forms.ModelChoiceField(
        label=_("Registered here"),
        queryset=Company.objects.none(),
        required=False,
        empty_label=_("Not registered here"),
        help_text=_(
            "Optional. Companies that chose to be visible to others are listed; picking one "
            "fills in its name and country."
        ),
        widget=LinkedCompanySelect(attrs={"data-fact-partner": "linked"}),
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    country = forms.ChoiceField(
        label=_("Country of registration"),
        choices=country_choices,
        required=False,
        error_messages={"invalid_choice": _("Choose a country from the list.")},
        widget=forms.Select(attrs={"data-fact-partner": "country"}),
    )
    relationship = forms.CharField(
        label=_("Relationship"),
        max_length=200,
        required=False,
        help_text=_("E.g. local integrator, reseller, research partner."),
    )

    fallback_field = "name"

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from applicants.selectors import partner_link_choices

        linked = self.fields["linked_company"]
        assert isinstance(linked, forms.ModelChoiceField)
        linked.queryset = partner_link_choices(company)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        linked: Company | None = cleaned.get("linked_company")
        if linked is not None:
            if not cleaned.get("name"):
                cleaned["name"] = linked.legal_name
            if not cleaned.get("country"):
                cleaned["country"] = linked.country.code
            elif cleaned["country"] != linked.country.code:
                self.add_error(
                    "country",
                    _("%(company)s is registered in %(country)s.")
                    % {"company": linked.legal_name, "country": linked.country.name},
                )
        if not cleaned.get("name") and "name" not in self.errors:
            self.add_error("name", _("Give the partner's name."))
        if not cleaned.get("country") and "country" not in self.errors:
            self.add_error("country", _("Choose the country the partner is registered in."))
        return cleaned


class DocumentForm(ProfileForm):
    kind = forms.ChoiceField(
        label=_("Kind of document"),
        choices=Document.Kind.choices,
        initial=Document.Kind.PITCH_DECK,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Optional. The file's name is used if you leave it empty."),
    )
    file = forms.FileField(
        label=_("PDF file"),
        help_text=_("PDF only, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={"empty": _("The file is empty.")},
    )

    fallback_field = "file"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        if upload is not None and not cleaned.get("title"):
            stem = (upload.name or "").rsplit(".", 1)[0].strip()
            cleaned["title"] = (stem or str(_("Document")))[:200]
        return cleaned


class VisibilityForm(ProfileForm):
    discoverable = forms.TypedChoiceField(
        label=_("Who can find your company?"),
        choices=[
            ("yes", _("Program staff may find my company before it applies")),
            ("no", _("Only programs I apply to see my company")),
        ],
        coerce=lambda answer: answer == "yes",
        widget=forms.RadioSelect,
    )

    fallback_field = "discoverable"


class InvitationForm(ProfileForm):
    email = forms.EmailField(
        label=_("Colleague's email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=CompanyMembership.Role.choices,
        initial=CompanyMembership.Role.MEMBER,
        widget=forms.RadioSelect,
        help_text=_(
            "Members edit the profile. Owners also manage the team and can remove the company."
        ),
    )

    fallback_field = "email"


# The largest id a BigAutoField holds; a longer number would overflow the database driver.
_MAX_ID = 2**63 - 1


class PartnershipRequestForm(forms.Form):
    """The "Request partnership" button of a suggestion: hidden fields, one click."""

    # Numbers, not a choice of companies: whether a company exists and may be asked is the
    # service's question, answered the same way for "hidden" and "missing".
    to_company = forms.IntegerField(min_value=1, max_value=_MAX_ID, widget=forms.HiddenInput)
    program = forms.IntegerField(
        min_value=1, max_value=_MAX_ID, required=False, widget=forms.HiddenInput
    )


class PartnershipAnswerForm(forms.Form):
    ACCEPT = "accept"
    DECLINE = "decline"

    decision = forms.ChoiceField(choices=[(ACCEPT, _("Accept")), (DECLINE, _("Decline"))])
