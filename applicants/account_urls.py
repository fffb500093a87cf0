from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from applicants import account_views, calendar_views, preferences
from applicants.account_forms import AccountPasswordResetForm

app_name = "accounts"

urlpatterns = [
    path("signup/", account_views.SignUpView.as_view(), name="signup"),
    path("login/", account_views.AccountLoginView.as_view(), name="login"),
    # Django's LogoutView answers only POST.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", account_views.profile, name="profile"),
    path("notifications/", preferences.notifications, name="notifications"),
    path("unsubscribe/<str:token>/", preferences.unsubscribe, name="unsubscribe"),
    path("verify/<str:uidb64>/<str:token>/", account_views.verify_email, name="verify"),
    path(
        "verification-needed/",
        account_views.verification_needed,
        name="verification-needed",
    ),
    path(
        "verification-needed/resend/",
        account_views.resend_verification,
        name="resend-verification",
    ),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset_form.html",
            form_class=AccountPasswordResetForm,
            subject_template_name="emails/password-reset-subject.txt",
            email_template_name="emails/password-reset-body.txt",
            html_email_template_name="emails/password-reset-body.html",
            success_url=reverse_lazy("accounts:password-reset-done"),
        ),
        name="password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "password-reset/<str:uidb64>/<str:token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password-reset-complete"),
        ),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
    path(
        "password-change/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change_form.html",
            success_url=reverse_lazy("accounts:password-change-done"),
        ),
        name="password-change",
    ),
    path(
        "password-change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password-change-done",
    ),
    # The token is the credential (calendar apps cannot sign in); an unknown one is a 404.
    path("calendar/<str:token>.ics", calendar_views.calendar_feed, name="calendar-feed"),
    path("calendar/reset/", calendar_views.calendar_reset, name="calendar-reset"),
    path("follow/<slug:slug>/", calendar_views.follow, name="follow"),
]
