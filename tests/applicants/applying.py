"""Builders shared by the application tests: a program's questions, a vendor's team, a draft
with every answer given, program staff."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from applicants.applications import application_save_answers, application_start
from applicants.models import Application, Company, CompanyMembership, Document, User
from applicants.services import document_upload
from programs.models import Agency, Program, Question, StaffMembership
from tests.factories import UserFactory

TAIPEI_POC = "taipei-bottom-up-poc"
TINY_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

MakeCompany = Callable[..., Company]


@dataclass(frozen=True)
class Questions:
    pitch: Question  # short text, required
    plan: Question  # long text, optional
    budget: Question  # number, required
    site: Question  # choice, required
    deck: Question  # file, optional

    def all(self) -> list[Question]:
        return [self.pitch, self.plan, self.budget, self.site, self.deck]


def add_questions(program: Program) -> Questions:
    def question(order: int, kind: str, label: str, **fields: Any) -> Question:
        created = Question(program=program, order=order, kind=kind, label=label, **fields)
        created.full_clean()
        created.save()
        return created

    return Questions(
        pitch=question(
            0, Question.Kind.SHORT_TEXT, "Your idea in one sentence", help_text="Plain words."
        ),
        plan=question(1, Question.Kind.LONG_TEXT, "How would the test run?", required=False),
        budget=question(2, Question.Kind.NUMBER, "Budget you ask for (TWD)"),
        site=question(
            3, Question.Kind.CHOICE, "Where would you test?", choices=["School", "Street", "Park"]
        ),
        deck=question(4, Question.Kind.FILE, "Pitch deck", required=False),
    )


def program(slug: str = TAIPEI_POC) -> Program:
    return Program.objects.select_related("owner").get(slug=slug)


def join(company: Company, user: User, role: str = CompanyMembership.Role.OWNER) -> User:
    CompanyMembership.objects.create(company=company, user=user, role=role)
    return user


def vendor_company(
    make_company: MakeCompany, *, email: str = "vendor@example.com", **facts: Any
) -> tuple[Company, User]:
    """A Taiwanese mobility company at TRL 8 with no partners (eligible for the Taipei POC),
    and its owner, verified."""
    company = make_company(
        **{"legal_name": "Taipei Mobility", "trl": 8, "has_demo": True, "partners": [], **facts}
    )
    owner: User = UserFactory(email=email)
    join(company, owner)
    return company, owner


def upload(company: Company, user: User, title: str = "Deck") -> Document:
    return document_upload(
        company=company,
        user=user,
        kind=Document.Kind.PITCH_DECK,
        title=title,
        upload=SimpleUploadedFile("deck.pdf", TINY_PDF, content_type="application/pdf"),
    )


def complete_answers(questions: Questions) -> dict[str, Any]:
    return {
        str(questions.pitch.pk): "Sensors that tell drivers where to park.",
        str(questions.budget.pk): 1_500_000,
        str(questions.site.pk): "Street",
    }


def ready_draft(company: Company, user: User, questions: Questions) -> Application:
    """A draft to ``questions``' program with every required question answered."""
    draft = application_start(company=company, user=user, program=questions.pitch.program)
    return application_save_answers(
        application=draft, user=user, answers=complete_answers(questions)
    )


def staff_of(agency_slug: str, email: str = "staff@taipei.example") -> User:
    user: User = UserFactory(email=email)
    StaffMembership.objects.create(
        user=user,
        agency=Agency.objects.get(slug=agency_slug),
        role=StaffMembership.Role.ADMIN,
    )
    return user
