"""factory_boy factories that build rich object graphs for tests."""

from __future__ import annotations

import datetime as dt
import uuid

import factory
from django.contrib.auth import get_user_model

from afterglow.accounts.models import Clinic, Membership, Role
from afterglow.intake.models import IntakeSubmission
from afterglow.patients.models import Patient

PASSWORD = "correct-horse-battery"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    timezone = "America/New_York"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Role.PRESCRIBER


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: f"AG-{n + 1:06d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = dt.date(1984, 5, 17)
    email = factory.LazyAttribute(lambda p: f"{p.given_name.lower()}@example.org")
    # Enrolled from the public form, which requires consent to be contacted.
    consent_contact = True


class IntakeSubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntakeSubmission

    clinic = factory.SubFactory(ClinicFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = dt.date(1979, 2, 3)
    email = factory.LazyAttribute(
        lambda s: f"{s.given_name.lower()}.{s.family_name.lower()}@example.org"
    )
    phone = "+1 555 0100"
    reason = "Flashbacks and nightmares since an assault four years ago."
    symptoms = ["intrusive_memories", "flashbacks", "nightmares"]
    treatments_tried = ["trauma_therapy", "antidepressant"]
    psychosis_or_mania = "no"
    high_blood_pressure = "no"
    heart_or_vascular = "no"
    pregnancy = "no"
    substance_use = "no"
    consent_contact = True
    submission_key = factory.LazyFunction(uuid.uuid4)
