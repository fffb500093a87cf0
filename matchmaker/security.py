"""What security staff want in the logs: failed sign-ins and refused authorisations.

Everything goes to the ``matchmaker.security`` logger at WARNING with the request id (see
``LOGGING``), the path, the method, the client address and who asked (a user id, never a
password). Django logs a page's 403 itself (``django.request``); these add the sign-ins, the
API's 401/403 (which DRF answers without Django seeing an exception) and the staff pages' 404s
that hide another agency's programs.
"""

import logging
from typing import Any

from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("matchmaker.security")


def _who(request: Any) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "path": getattr(request, "path", ""),
        "method": getattr(request, "method", ""),
        "client": request.META.get("REMOTE_ADDR", "") if request is not None else "",
        "user_id": getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None,
    }


def log_failed_sign_in(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    """``user_login_failed`` receiver: the address tried (Django has already removed the
    password from ``credentials``)."""
    tried = credentials.get("username") or credentials.get("email") or ""
    logger.warning(
        "sign-in failed for %s", tried, extra={"event": "sign_in_failed", **_who(request)}
    )


def log_refusal(request: Any, *, reason: str, status: int) -> None:
    logger.warning(
        "refused %s %s: %s",
        getattr(request, "method", ""),
        getattr(request, "path", ""),
        reason,
        extra={"event": "refused", "status": status, "reason": reason, **_who(request)},
    )


REFUSALS = (
    exceptions.NotAuthenticated,
    exceptions.AuthenticationFailed,
    exceptions.PermissionDenied,
)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's own handler, plus a log line for every refused API request."""
    response = exception_handler(exc, context)
    if response is not None and isinstance(
        exc,
        exceptions.NotAuthenticated | exceptions.AuthenticationFailed | exceptions.PermissionDenied,
    ):
        log_refusal(context.get("request"), reason=type(exc).__name__, status=response.status_code)
    return response
