"""The applications API: start, answer, submit and withdraw, for integrators and scripts.

An application is reached only through ``applications_for(user)`` (the companies the user is a
member of), so another vendor's application is a 404 on every method. Input is strict, as in the
companies API: PATCH takes ``answers`` and nothing else; status, stage, eligibility, scores and
the like are refused with a 400 naming the field. The services in ``applicants.applications``
do every write.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from applicants.api import _ANONYMOUS, _AUTHENTICATION, _MAX_ID, _NOT_JSON, _vendor
from applicants.application_selectors import (
    applications_for,
    compile_programs,
    submission_verdict,
)
from applicants.applications import (
    NOTE_MAX,
    SubmissionRefusedError,
    application_get_or_start,
    application_save_answers,
    application_submit,
    application_withdraw,
)
from applicants.models import Application
from applicants.selectors import companies_for
from applicants.serializers import StrictCharField, StrictInputSerializer
from matchmaker.engine import Eligibility
from matchmaker.serializers import CriterionVerdictSerializer, StrictIntegerField
from programs.api import PageNumberPagination
from programs.models import Program, Question, Stage
from programs.rules import wording
from programs.serializers import EnumField, ErrorSerializer, LocalDateTimeField

# --- output --------------------------------------------------------------------------------------


class ApplicationQuestionSerializer(serializers.ModelSerializer[Question]):
    kind = EnumField(enum_name="QuestionKind", choices=Question.Kind.choices, read_only=True)
    choices = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("For a choice question: the answers to choose from. Empty otherwise."),
    )

    class Meta:
        model = Question
        fields = ["id", "label", "help_text", "kind", "choices", "required"]
        read_only_fields = fields


class ApplicationStageSerializer(serializers.ModelSerializer[Stage]):
    class Meta:
        model = Stage
        fields = ["order", "name"]
        read_only_fields = fields


class SubmissionVerdictSerializer(serializers.Serializer[Any]):
    """The engine's verdict kept when the application was submitted."""

    eligibility = serializers.ChoiceField(
        choices=[(value.value, value.value) for value in Eligibility], read_only=True
    )
    score = serializers.FloatField(read_only=True, allow_null=True)
    rules_version = serializers.IntegerField(
        read_only=True, help_text=_("The version of the program's rules it was computed from.")
    )
    profile_version = serializers.IntegerField(
        read_only=True, help_text=_("The version of the company's profile it was computed from.")
    )
    criteria = CriterionVerdictSerializer(many=True, read_only=True)
    rules_changed = serializers.BooleanField(
        read_only=True,
        help_text=_(
            "True when the rules changed since: criteria are worded as the rules read today, "
            "and those removed since are left out."
        ),
    )


def _zone(application: Application) -> Any:
    return application.program.time_zone


class ApplicationSerializer(serializers.ModelSerializer[Application]):
    """An application of one of your companies."""

    # Expects an application of applications_for(): company, program, owner and stage joined,
    # questions prefetched, ``deadline`` annotated and ``verdict`` set by the view.

    company = serializers.IntegerField(source="company_id", read_only=True)
    program = serializers.SlugField(
        source="program.slug", read_only=True, help_text=_("The program's slug.")
    )
    program_title = serializers.CharField(source="program.title", read_only=True)
    status = EnumField(
        enum_name="ApplicationStatus",
        choices=Application.Status.choices,
        read_only=True,
        help_text=_(
            "draft: being written, answers can change; submitted: with the program's staff, at "
            "stage; declined, withdrawn, completed: final."
        ),
    )
    stage = ApplicationStageSerializer(
        read_only=True,
        allow_null=True,
        help_text=_("The stage it is at; null for a draft."),
    )
    deadline = LocalDateTimeField(
        zone=_zone,
        allow_null=True,
        help_text=_(
            "When the program's application stage closes, in the program's time zone; null when "
            "it has no deadline."
        ),
    )
    questions = ApplicationQuestionSerializer(source="program.questions", many=True, read_only=True)
    answers = serializers.DictField(
        child=serializers.JSONField(),
        read_only=True,
        help_text=_(
            "Question id → answer: text, a number, one of a choice question's choices, or the "
            "id of one of the company's documents for a file question."
        ),
    )
    eligibility_at_submission = SubmissionVerdictSerializer(
        source="verdict", read_only=True, allow_null=True
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "company",
            "program",
            "program_title",
            "status",
            "stage",
            "deadline",
            "questions",
            "answers",
            "eligibility_at_submission",
            "submitted_at",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer[Any]):
    code = EnumField(
        enum_name="RefusalCode",
        choices=[
            ("gate", "gate"),
            ("deadline", "deadline"),
            ("answer", "answer"),
            ("status", "status"),
        ],
        read_only=True,
        help_text=_(
            "gate: a condition of the program the company's profile does not meet (or not known "
            "yet); deadline: the application window is not open; answer: a required answer is "
            "missing or no longer valid; status: the application is not a draft."
        ),
    )
    message = serializers.CharField(read_only=True)
    fixes = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("For a gate: the fewest changes to the profile that would pass it."),
    )


class SubmissionRefusalSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField(read_only=True)
    reasons = ReasonSerializer(many=True, read_only=True)


class BodyErrorsSerializer(serializers.Serializer[Any]):
    """Schema only: DRF's usual 400 for a body the endpoint does not take."""


class BodyErrorsSerializerExtension(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """Either ``detail`` (the body is not JSON), or each field sent mapped to its messages.

    Written out because a serializer cannot say "any other key, with a list of messages", and
    without it a refusal (which has ``reasons``) would match this shape too.
    """

    target_class = BodyErrorsSerializer

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {
            "type": "object",
            "description": gettext(
                "The body is not JSON (detail), or it has fields: each maps to its messages."
            ),
            "properties": {"detail": {"type": "string"}},
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }


# --- input ---------------------------------------------------------------------------------------


class ApplicationCreateSerializer(StrictInputSerializer):
    """Which of your companies applies to which program."""

    representation = ApplicationSerializer.Meta.fields

    company = StrictIntegerField(
        min_value=1, max_value=_MAX_ID, help_text=_("The id of one of your companies.")
    )
    program = StrictCharField(max_length=80, help_text=_("The slug of an open program."))


class ApplicationAnswersSerializer(StrictInputSerializer):
    """A draft's answers: the only thing of an application a vendor writes directly."""

    representation = ApplicationSerializer.Meta.fields

    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        allow_empty=True,
        help_text=_(
            "Question id → answer, merged into the saved answers; null clears one. Short text "
            "up to 300 characters, long text up to 10,000, a number, one of the choices, or a "
            "document id."
        ),
    )


class ApplicationSubmitSerializer(StrictInputSerializer):
    """Nothing to send: the answers are those saved."""

    representation = ApplicationSerializer.Meta.fields


class ApplicationWithdrawSerializer(StrictInputSerializer):
    """An optional note for the program's staff."""

    representation = ApplicationSerializer.Meta.fields

    note = StrictCharField(
        max_length=NOTE_MAX,
        required=False,
        allow_blank=True,
        help_text=_("Why, for the program's staff. Optional."),
    )


# --- views ---------------------------------------------------------------------------------------

_APPLICATION_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The application's id.")
)
_NOT_FOUND = OpenApiResponse(
    response=ErrorSerializer,
    description=_("None of your companies has an application with this id, or there is none."),
)
_FORBIDDEN = OpenApiResponse(
    response=ErrorSerializer,
    description=_(
        "Your email address is not verified yet (unverified accounts cannot apply), or a "
        "session cookie came without a CSRF token."
    ),
)
_BAD_FIELDS = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=_(
        "A field is not valid, read-only or unknown: each maps to its messages. Nothing is saved."
    ),
)


class ApplicationPagination(PageNumberPagination):
    page_size = 20


def _with_verdicts(applications: list[Application]) -> list[Application]:
    """Sets ``verdict`` (the submission's verdict, worded) on each, for the serializer. The
    rules of all their programs are compiled together, and sector names read once, only when
    some application has a verdict."""
    submitted = [
        application for application in applications if application.eligibility_at_submission
    ]
    words = wording() if submitted else None
    compile_programs(submitted)
    for application in applications:
        application.verdict = (  # type: ignore[attr-defined]
            submission_verdict(application, words=words) if words is not None else None
        )
    return applications


def _mine(request: Request, value: str) -> Application:
    """One of the user's applications, or the same 404 for "not a number", "none" and "not
    yours": the API does not tell a stranger which applications exist."""
    if value.isascii() and value.isdigit() and int(value) <= _MAX_ID:
        application = applications_for(_vendor(request)).filter(pk=int(value)).first()
        if application is not None:
            return application
    raise exceptions.NotFound(gettext("You have no application with this id."))


def _represent(request: Request, application_id: int) -> dict[str, Any]:
    application = applications_for(_vendor(request)).get(pk=application_id)
    data: dict[str, Any] = ApplicationSerializer(_with_verdicts([application])[0]).data
    return data


class ApplicationListView(generics.GenericAPIView[Application]):
    authentication_classes = _AUTHENTICATION
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    serializer_class = ApplicationSerializer
    pagination_class = ApplicationPagination
    # The schema's model; every read goes through applications_for(user).
    queryset = Application.objects.none()

    @extend_schema(
        tags=["applications"],
        operation_id="applications_list",
        summary=_("List your applications"),
        description=_(
            "The applications of every company you are a member of, most recently changed "
            "first, each with the program's questions and, once submitted, the eligibility "
            "verdict kept at submission."
        ),
        responses={
            200: ApplicationSerializer(many=True),
            401: _ANONYMOUS,
            404: OpenApiResponse(
                response=ErrorSerializer, description=_("There is no such page of results.")
            ),
        },
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(applications_for(_vendor(request)))
        applications = _with_verdicts(list(page or []))
        return self.get_paginated_response(ApplicationSerializer(applications, many=True).data)

    @extend_schema(
        tags=["applications"],
        operation_id="applications_create",
        summary=_("Start an application"),
        description=_(
            "Starts a draft application of one of your companies to an open program: 201 with "
            "the draft. A company has one application per program: if it has one already, it "
            "is answered with 200 (a draft withdrawn before submission becomes a draft again, "
            "201). Needs a verified email address."
        ),
        request=ApplicationCreateSerializer,
        responses={
            201: ApplicationSerializer,
            200: ApplicationSerializer,
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description=_(
                    "A field is missing, malformed or unknown; the company is not one of yours; "
                    "or the program does not exist or takes no applications now."
                ),
                examples=[
                    OpenApiExample(
                        "Not your company",
                        value={"company": ["You have no company with this id."]},
                    )
                ],
            ),
            401: _ANONYMOUS,
            403: _FORBIDDEN,
            415: _NOT_JSON,
        },
    )
    def post(self, request: Request) -> Response:
        data = ApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _vendor(request)
        company = companies_for(user).filter(pk=data.validated_data["company"]).first()
        if company is None:
            raise exceptions.ValidationError(
                {"company": [gettext("You have no company with this id.")]}
            )
        program = (
            Program.objects.published()
            .select_related("owner")
            .filter(slug=data.validated_data["program"])
            .first()
        )
        if program is None:
            raise exceptions.ValidationError({"program": [gettext("No program has this slug.")]})
        try:
            application, created = application_get_or_start(
                company=company, user=user, program=program
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"program": exc.messages}) from exc
        location = reverse("api:application-detail", kwargs={"id": application.pk})
        return Response(
            _represent(request, application.pk),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": request.build_absolute_uri(location)},
        )


class ApplicationDetailView(generics.GenericAPIView[Application]):
    authentication_classes = _AUTHENTICATION
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    serializer_class = ApplicationSerializer
    queryset = Application.objects.none()

    @extend_schema(
        tags=["applications"],
        operation_id="applications_retrieve",
        summary=_("Show one of your applications"),
        parameters=[_APPLICATION_ID],
        responses={200: ApplicationSerializer, 401: _ANONYMOUS, 404: _NOT_FOUND},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(_represent(request, _mine(request, id).pk))

    @extend_schema(
        tags=["applications"],
        operation_id="applications_partial_update",
        summary=_("Save answers of a draft"),
        description=_(
            "Merges the given answers into the draft's (null clears one); answers is the only "
            "field that can be written. Each answer is checked against its question; an unknown "
            "question id, a bad answer, or any other field (status, stage, eligibility, score, "
            "...) is a 400 naming it, and nothing is saved. Required questions may stay empty "
            "until submission. Drafts only."
        ),
        parameters=[_APPLICATION_ID],
        request=ApplicationAnswersSerializer,
        responses={
            200: ApplicationSerializer,
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description=_(
                    "Bad answers (answers maps each question id to its messages), other "
                    "fields (named), or the application is no longer a draft (answers)."
                ),
                examples=[
                    OpenApiExample(
                        "A bad answer and a system field",
                        value={
                            "answers": {"12": ["Choose one of: Yes, No."]},
                            "status": ["This field is read-only."],
                        },
                    )
                ],
            ),
            401: _ANONYMOUS,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            415: _NOT_JSON,
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        application = _mine(request, id)
        data = ApplicationAnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            application_save_answers(
                application=application,
                user=_vendor(request),
                answers=data.validated_data["answers"],
            )
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            raise exceptions.ValidationError({"answers": detail}) from exc
        return Response(_represent(request, application.pk))


class _ApplicationActionView(generics.GenericAPIView[Application]):
    """What submitting and withdrawing share: a signed-in vendor, a JSON body (or none), the
    application as the answer."""

    authentication_classes = _AUTHENTICATION
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    serializer_class = ApplicationSerializer
    queryset = Application.objects.none()


class ApplicationSubmitView(_ApplicationActionView):
    @extend_schema(
        tags=["applications"],
        operation_id="applications_submit",
        summary=_("Submit a draft"),
        description=_(
            "Checks, against the rules and the company's profile as they are now: the program "
            "takes applications (its application stage is open, in the program's time zone), "
            "every gate passes, every required question has a valid answer. 200 with the "
            "submitted application, which keeps the eligibility verdict; or 400 with every "
            "reason at once, each gate's fixes in plain words. Send no body, or {}."
        ),
        parameters=[_APPLICATION_ID],
        request=ApplicationSubmitSerializer,
        responses={
            200: ApplicationSerializer,
            400: OpenApiResponse(
                response=PolymorphicProxySerializer(
                    component_name="SubmissionError",
                    serializers=[SubmissionRefusalSerializer, BodyErrorsSerializer],
                    resource_type_field_name=None,
                    many=False,
                ),
                description=_(
                    "Not submitted: the reasons. A body that is not JSON, or that has fields, "
                    "gets the usual 400 instead (detail, or the fields named)."
                ),
                examples=[
                    OpenApiExample(
                        "Refused",
                        value={
                            "detail": "The application was not submitted.",
                            "reasons": [
                                {
                                    "code": "deadline",
                                    "message": "The deadline for applications (Proof of "
                                    "concept) passed on Dec. 1, 2026, 18:00 (Asia/Taipei).",
                                    "fixes": [],
                                },
                                {
                                    "code": "gate",
                                    "message": "Not met: Ready for a real-site demonstration "
                                    "— TRL at least 6.",
                                    "fixes": ["TRL must be at least 6 — yours is 4"],
                                },
                            ],
                        },
                    )
                ],
            ),
            401: _ANONYMOUS,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            415: _NOT_JSON,
        },
    )
    def post(self, request: Request, id: str) -> Response:
        application = _mine(request, id)
        # No body reads as {} (DRF's empty data); a body that is not an object, even a falsy
        # one such as null or [], is refused by the serializer.
        ApplicationSubmitSerializer(data=request.data).is_valid(raise_exception=True)
        try:
            application_submit(
                application=application,
                user=_vendor(request),
                base_url=request.build_absolute_uri("/"),
            )
        except SubmissionRefusedError as refused:
            body = SubmissionRefusalSerializer(
                {
                    "detail": gettext("The application was not submitted."),
                    "reasons": [
                        {"code": reason.code, "message": reason.message, "fixes": reason.fixes}
                        for reason in refused.reasons
                    ],
                }
            ).data
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(_represent(request, application.pk))


class ApplicationWithdrawView(_ApplicationActionView):
    @extend_schema(
        tags=["applications"],
        operation_id="applications_withdraw",
        summary=_("Withdraw an application"),
        description=_(
            "Withdraws a draft or a submitted application, with an optional note for the "
            "program's staff. A withdrawn submission stays withdrawn; a draft withdrawn before "
            "submission can be started again."
        ),
        parameters=[_APPLICATION_ID],
        request=ApplicationWithdrawSerializer,
        responses={
            200: ApplicationSerializer,
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description=_(
                    "A bad or unknown field (named), or the application is already decided "
                    "or withdrawn (detail)."
                ),
            ),
            401: _ANONYMOUS,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            415: _NOT_JSON,
        },
    )
    def post(self, request: Request, id: str) -> Response:
        application = _mine(request, id)
        data = ApplicationWithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            application_withdraw(
                application=application,
                user=_vendor(request),
                note=data.validated_data.get("note", ""),
            )
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise exceptions.ValidationError(exc.message_dict) from exc
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(_represent(request, application.pk))
