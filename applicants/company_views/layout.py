"""What every page of the company profile shares: finding the company, the section layout
with its step navigation and eligibility preview, messages after a save, confirmation pages."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from applicants import progress as sections
from applicants import selectors
from applicants.company_forms import ProfileForm
from applicants.models import Company, CompanyMembership, User
from applicants.preview import eligibility_preview
from applicants.progress import profile_progress


def request_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # every view here is behind login_required
    return user


def company_or_404(request: HttpRequest, pk: int) -> Company:
    """The company with everything a section page shows (3 queries), or 404 for anyone who is
    not on its team."""
    return get_object_or_404(selectors.company_workspace(request_user(request)), pk=pk)


def preview_strings() -> dict[str, str]:
    """The words the preview script needs, in the page's language."""
    return {
        "eligible": _("Eligible"),
        "ineligible": _("Not eligible"),
        "incomplete": _("Incomplete"),
        "fail": _("Not met:"),
        "unknown": _("Not known yet:"),
        "score": _("Score %(score)s of 100"),
        "now": _("%(program)s — %(eligibility)s."),
        "typed": _("Showing what you typed; save to keep it."),
        "saved": _("Based on your saved profile."),
        "paused": _("The preview is paused; save the form to see the result."),
    }


def render_section(
    request: HttpRequest,
    company: Company,
    key: str,
    template: str,
    *,
    form: ProfileForm | None = None,
    preview_base: dict[str, Any] | None = None,
    preview: bool = True,
    **context: Any,
) -> HttpResponse:
    """Renders a section page: the step navigation, the section and the preview beside it.

    ``preview_base`` is what the preview script starts from before adding the form's values:
    the saved facts unless the form replaces part of them (editing a partner). Pages that show
    no preview (``preview=False``: matches, partnership requests) skip its five queries.
    """
    progress = profile_progress(company)
    facts = selectors.company_facts(company) if preview else None
    return render(
        request,
        f"applicants/{template}",
        {
            "company": company,
            "progress": progress,
            "current": key,
            "next_section": progress.next_after(key) if key in SECTION_KEYS else None,
            "is_owner": company.viewer_role == CompanyMembership.Role.OWNER,  # type: ignore[attr-defined]
            "form": form,
            "previews": eligibility_preview(facts=facts) if facts is not None else [],
            "preview_facts": preview_base if preview_base is not None else facts,
            "preview_strings": preview_strings() if preview else None,
            **context,
        },
    )


SECTION_KEYS = frozenset(
    {
        sections.IDENTITY,
        sections.OFFERING,
        sections.PARTNERS,
        sections.DOCUMENTS,
        sections.VISIBILITY,
        sections.TEAM,
    }
)


def redirect_saved(
    request: HttpRequest, message: str, url_name: str, *args: Any
) -> HttpResponseRedirect:
    messages.success(request, message)
    return redirect(url_name, *args)


def render_confirm(
    request: HttpRequest,
    company: Company,
    key: str,
    *,
    title: str,
    button: str,
    cancel: str,
    detail: str = "",
) -> HttpResponse:
    """A confirmation page for a destructive action, so it works without JavaScript."""
    return render_section(
        request,
        company,
        key,
        "company_confirm.html",
        confirm_title=title,
        confirm_button=button,
        confirm_cancel=cancel,
        confirm_detail=detail,
    )
