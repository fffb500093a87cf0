"""The documents section: upload (checked by content), list, download, delete.

Files are only ever served through ``document_download``, which checks the team first;
MEDIA_URL is not routed."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from applicants import progress as sections
from applicants import selectors, services
from applicants.company_forms import DocumentForm
from applicants.company_views.layout import (
    company_or_404,
    redirect_saved,
    render_confirm,
    render_section,
    request_user,
)
from applicants.models import Document


@login_required
def company_documents(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.document_upload(
                company=company,
                user=request_user(request),
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return redirect_saved(
                request,
                _("%(title)s uploaded.") % {"title": document.title},
                "companies:documents",
                company.pk,
            )
    return render_section(
        request,
        company,
        sections.DOCUMENTS,
        "document_list.html",
        form=form,
        documents=list(company.documents.order_by("-created_at", "-pk")),
    )


def _document(request: HttpRequest, pk: int, document_pk: int) -> Document:
    """A document of one of the user's companies, in one query; 404 for anyone else's."""
    return get_object_or_404(
        Document.objects.filter(company__in=selectors.companies_for(request_user(request))),
        pk=document_pk,
        company_id=pk,
    )


@login_required
def document_download(request: HttpRequest, pk: int, document_pk: int) -> FileResponse:
    document = _document(request, pk, document_pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type="application/pdf",
    )


@login_required
def document_delete(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    document = _document(request, pk, document_pk)
    if request.method == "POST":
        services.document_delete(document=document, user=request_user(request))
        return redirect_saved(
            request,
            _("%(title)s deleted.") % {"title": document.title},
            "companies:documents",
            company.pk,
        )
    return render_confirm(
        request,
        company,
        sections.DOCUMENTS,
        title=_("Delete %(title)s?") % {"title": document.title},
        button=_("Delete document"),
        cancel=reverse("companies:documents", args=[company.pk]),
        detail=_("Programs' staff will no longer see it. This cannot be undone."),
    )
