"""One identity per e-mail address: canonical form, exact comparison, look-alikes refused."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.factories import UserFactory
from workspaces.models import Membership, OutboundEmail
from workspaces.validators import account_email, normalize_email

pytestmark = pytest.mark.django_db
User = get_user_model()
WORKSPACES = "/api/admin/workspaces"


def provision(admin_api, admins):
    return admin_api.post(
        WORKSPACES, {"name": "BigCorp", "timezone": "UTC", "admins": admins}, format="json"
    )


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("owner@bıgcorp.io", "“ı” (LATIN SMALL LETTER DOTLESS I), which looks like “i”"),
        ("owner@xn--bgcorp-p9a.io", "looks like “i”"),  # the same look-alike, already encoded
        ("оwner@bigcorp.io", "mixes scripts (Cyrillic, Latin)"),
        ("owner@bigcоrp.io", "domain mixes scripts (Cyrillic, Latin)"),
    ],
)
def test_a_look_alike_address_is_refused_with_the_reason(admin_api, address, why):
    response = provision(admin_api, [address])

    assert response.status_code == 400
    assert why in str(response.json()["admins"])
    assert not User.objects.exists()


def test_every_spelling_of_an_address_is_one_user(admin_api):
    provision(admin_api, ["owner@bigcorp.io"])
    again = admin_api.post(
        WORKSPACES,
        {
            "name": "Other",
            "timezone": "UTC",
            "admins": ["  OWNER@BigCorp.IO ", "ｏwner@bigcorp.io"],
        },
        format="json",
    )

    assert again.status_code == 201
    assert list(User.objects.values_list("email", flat=True)) == ["owner@bigcorp.io"]
    assert Membership.objects.count() == 2


def test_an_internationalised_domain_is_stored_in_its_ascii_form(admin_api):
    response = provision(admin_api, ["ops@müller.de"])

    assert response.json()["members"]["admins"] == ["ops@xn--mller-kva.de"]
    assert normalize_email("OPS@MÜLLER.DE") == "ops@xn--mller-kva.de"
    assert account_email("ops@xn--mller-kva.de") == "ops@xn--mller-kva.de"


def test_the_database_holds_one_user_per_address(db):
    UserFactory(email="owner@bigcorp.io", username="owner@bigcorp.io")
    with pytest.raises(IntegrityError), transaction.atomic():
        # Any door (admin, a script) stores the canonical form, and the index refuses a twin.
        UserFactory(email="Owner@BigCorp.io ", username="someone-else")


def test_login_takes_any_spelling_and_only_the_canonical_account(client):
    real = UserFactory(email="owner@bigcorp.io", username="owner@bigcorp.io")
    real.set_password("correct horse battery")
    real.save()

    logged_in = client.post(
        reverse("login"), {"username": " OWNER@BigCorp.io", "password": "correct horse battery"}
    )
    client.logout()
    look_alike = client.post(
        reverse("login"), {"username": "owner@bıgcorp.io", "password": "correct horse battery"}
    )

    assert logged_in.status_code == 302
    assert look_alike.status_code == 200  # the form again: no such account


def test_password_reset_reaches_the_canonical_account_only(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="owner@bigcorp.io", username="owner@bigcorp.io")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "Owner@BigCorp.io"})
        client.post(reverse("password_reset"), {"email": "owner@xn--bgcorp-p9a.io"})

    rows = list(OutboundEmail.objects.values_list("kind", "to", "state"))
    assert rows == [("password_reset", "owner@bigcorp.io", "sent")]


def test_existing_rows_are_migrated_to_the_canonical_form(db):
    from importlib import import_module

    canonicalize = import_module("workspaces.migrations.0003_canonical_user_emails").canonicalize
    first = UserFactory(username="a")
    twin = UserFactory(username="b")
    other = UserFactory(username="c")
    # Written as older code left them, past the canonicalising save.
    User.objects.filter(pk=first.pk).update(email="Owner@BigCorp.io")
    User.objects.filter(pk=twin.pk).update(email="owner@bigcorp.io ")
    User.objects.filter(pk=other.pk).update(email="Ops@Müller.de", username="Ops@Müller.de")

    canonicalize(apps, None)

    first.refresh_from_db(), twin.refresh_from_db(), other.refresh_from_db()
    assert (first.email, first.is_active) == ("owner@bigcorp.io", True)
    assert (twin.email, twin.is_active) == ("", False)  # the newer twin can't log in
    assert (other.email, other.username) == ("ops@xn--mller-kva.de", "ops@xn--mller-kva.de")
