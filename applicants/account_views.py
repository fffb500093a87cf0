"""Account pages: sign-up, verification, log-in and the profile page.

Log-out, password reset and password change are Django's views, configured in
``account_urls`` with our templates.
"""

from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.generic import FormView

from applicants.account_forms import EmailAuthenticationForm, PreferencesForm, SignUpForm
from applicants.models import User
from applicants.registration import (
    SIGN_UP_COOLOFF,
    SIGN_UP_FAILURE_LIMIT,
    VerificationRateLimitedError,
    sign_up_failure_record,
    sign_up_locked_out,
    user_send_verification,
    user_sign_up,
    user_update_preferences,
    user_verify_email,
)
from programs.tenancy import is_staff_member

# Sign-up creates the session itself; with django-axes in AUTHENTICATION_BACKENDS, login() must
# be told which backend vouched for the user.
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def base_url(request: HttpRequest) -> str:
    """``scheme://host`` of this request, to put in front of links in mails."""
    return f"{request.scheme}://{request.get_host()}"


def _client_ip(request: HttpRequest) -> str:
    # The same address django-axes locks log-ins by, so both honour one proxy configuration.
    return get_client_ip_address(request) or "unknown"


def safe_next(request: HttpRequest) -> str | None:
    """The ``next`` the request asks for (POSTed or in the query), if it stays on this site."""
    next_url = request.POST.get("next") or request.GET.get("next")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return None


def signed_in_user(request: HttpRequest) -> User:
    # Only for views behind login_required: the lazy user is then one of ours.
    user = request.user
    assert isinstance(user, User)
    return user


def _set_language_cookie(response: HttpResponseBase, language: str) -> None:
    # What Django's set_language view does, so LocaleMiddleware serves the next page in it.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _sign_up_locked_out_response(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {
            "sign_up": True,
            "failure_limit": SIGN_UP_FAILURE_LIMIT,
            "cooloff_timedelta": SIGN_UP_COOLOFF,
        },
        status=429,
    )
    response["Retry-After"] = str(int(SIGN_UP_COOLOFF.total_seconds()))
    return response


@method_decorator(sensitive_post_parameters("password1", "password2"), name="dispatch")
@method_decorator(never_cache, name="dispatch")
class SignUpView(FormView[SignUpForm]):
    form_class = SignUpForm
    template_name = "accounts/signup.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        if request.method == "POST" and sign_up_locked_out(ip_address=_client_ip(request)):
            return _sign_up_locked_out_response(request)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SignUpForm) -> HttpResponse:
        try:
            user = user_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
                time_zone=form.cleaned_data["time_zone"],
                base_url=base_url(self.request),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        login(self.request, user, backend=_MODEL_BACKEND)
        messages.success(
            self.request,
            _("Welcome! We sent a link to %(email)s: open it to confirm your address.")
            % {"email": user.email},
        )
        return redirect(settings.LOGIN_REDIRECT_URL)

    def form_invalid(self, form: SignUpForm) -> HttpResponse:
        failures = sign_up_failure_record(ip_address=_client_ip(self.request))
        if failures >= SIGN_UP_FAILURE_LIMIT:
            return _sign_up_locked_out_response(self.request)
        return super().form_invalid(form)


class AccountLoginView(LoginView):
    """Django's log-in; on success the user's own language becomes the site's language."""

    form_class = EmailAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        """Agency staff land in their workspace, vendors on their companies."""
        if is_staff_member(signed_in_user(self.request)):
            return reverse("staff:home")
        return super().get_default_redirect_url()

    def form_valid(self, form: EmailAuthenticationForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        language = getattr(form.get_user(), "language", settings.LANGUAGE_CODE)
        _set_language_cookie(response, language)
        return response


@never_cache
@require_GET
def verify_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Opens the link from the verification mail. Works signed in or not."""
    user = user_verify_email(uidb64=uidb64, token=token)
    if user is None:
        return render(request, "accounts/verify_invalid.html", status=400)
    return render(request, "accounts/verify_done.html", {"verified_user": user})


@never_cache
@login_required
@require_GET
def verification_needed(request: HttpRequest) -> HttpResponse:
    """Where ``verified_email_required`` sends unverified users: why, and a new link."""
    user = signed_in_user(request)
    if user.is_verified:
        return redirect(safe_next(request) or reverse("accounts:profile"))
    return render(request, "accounts/verification_needed.html", {"next": safe_next(request)})


@login_required
@require_POST
def resend_verification(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        sent = user_send_verification(user=user, base_url=base_url(request))
    except VerificationRateLimitedError:
        messages.error(
            request,
            _(
                "We sent you a link less than a minute ago. Check your inbox and spam folder, "
                "or ask again in a minute."
            ),
        )
    else:
        if sent:
            messages.success(request, _("We sent a new link to %(email)s.") % {"email": user.email})
        else:
            messages.info(request, _("Your email address is already confirmed."))
    return redirect(safe_next(request) or reverse("accounts:verification-needed"))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                user_update_preferences(user=user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                # The confirmation already speaks the language just chosen.
                translation.activate(user.language)
                messages.success(request, _("Your profile is saved."))
                response = redirect("accounts:profile")
                _set_language_cookie(response, user.language)
                return response
    else:
        form = PreferencesForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
                "time_zone": user.time_zone,
            }
        )
    return render(request, "accounts/profile.html", {"form": form, "account": user})
