"""Who reaches a staff page, decided before anything else, in one order for every view:

1. anonymous visitors are sent to sign in;
2. a vendor (no staff membership at all) gets 403, whatever the method;
3. staff of other agencies get 404 for a program that is not theirs, whatever the method;
4. a reviewer gets 403 on an agency admin's action;
5. only then does a method the page does not take get 405.

The program comes from ``programs.tenancy.staff_program_or_404``; views receive it.
"""

from collections.abc import Callable, Collection
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed

from applicants.models import User
from programs.models import Program
from programs.staff_session import remember_staff
from programs.tenancy import staff_agency_or_404, staff_program_or_404, staff_roles

P = ParamSpec("P")
READ = ("GET",)
PAGE_SIZE = 25
READ_WRITE = ("GET", "POST")


def staff_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # behind login_required
    return user


def request_staff_roles(request: HttpRequest) -> dict[int, str]:
    """The signed-in user's role in each of their agencies (``tenancy.staff_roles``), read once
    for the request: the workspace's check and the page it guards both need them."""
    roles: dict[int, str] | None = getattr(request, "_staff_roles", None)
    if roles is None:
        roles = staff_roles(request.user)
        request._staff_roles = roles  # type: ignore[attr-defined]
    return roles


def _not_allowed(request: HttpRequest, methods: Collection[str]) -> HttpResponse | None:
    allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)
    if request.method not in allowed:
        return HttpResponseNotAllowed(sorted(allowed))
    return None


def staff_view(
    *, methods: Collection[str] = READ
) -> Callable[[Callable[Concatenate[HttpRequest, P], HttpResponseBase]], Callable[..., Any]]:
    """A workspace page that belongs to no program (home, my reviews): staff only."""

    def decorate(
        view: Callable[Concatenate[HttpRequest, P], HttpResponseBase],
    ) -> Callable[..., Any]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not request_staff_roles(request):
                raise PermissionDenied
            refused = _not_allowed(request, methods)
            if refused is not None:
                return refused
            remember_staff(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def program_view(
    *, methods: Collection[str] = READ, admin: bool = False
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., Any]]:
    """A page of one program (``slug`` in the URL), for its agencies' staff; with ``admin``,
    for their agency admins only. The view is called with the program instead of the slug."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., Any]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponseBase:
            program: Program = staff_program_or_404(request.user, slug, admin=admin)
            refused = _not_allowed(request, methods)
            if refused is not None:
                return refused
            remember_staff(request)
            return view(request, program, **kwargs)

        return wrapper

    return decorate


def agency_admin_view(
    *, methods: Collection[str] = READ
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., Any]]:
    """A page of one agency (``agency`` slug in the URL) for its admins: a vendor gets 403,
    staff of other agencies 404, the agency's reviewers 403. The view gets the agency."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., Any]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, agency: str, **kwargs: Any) -> HttpResponseBase:
            found = staff_agency_or_404(request.user, agency, admin=True)
            refused = _not_allowed(request, methods)
            if refused is not None:
                return refused
            remember_staff(request)
            return view(request, found, **kwargs)

        return wrapper

    return decorate


def base_url(request: HttpRequest) -> str:
    """Scheme and host, to prefix links in mails."""
    return request.build_absolute_uri("/").rstrip("/")


def query_without_page(request: HttpRequest) -> str:
    """The list's query string without its page, for the pagination's links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
