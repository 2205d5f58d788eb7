"""Guessing passwords is throttled (django-axes): a locked account or address gets a 429 that
says why, even with the right password, until an admin unlocks it."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
RIGHT = "correct horse battery"


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, settings):
    UserFactory(email="owner@bigcorp.io", username="owner@bigcorp.io")

    wrong = [log_in(client, "owner@bigcorp.io", f"guess {n}").status_code for n in range(20)]
    right = log_in(client, "Owner@BigCorp.io", RIGHT)  # any spelling shares the counter

    assert wrong[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(wrong[settings.AXES_FAILURE_LIMIT :]) == {429}
    assert right.status_code == 429
    assert "Too many failed log-in attempts" in right.text
    assert "15 minutes" in right.text and right["Retry-After"] == "900"
    assert "_auth_user_id" not in client.session


def test_one_address_guessing_many_accounts_is_locked_too():
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(6):
        UserFactory(email=f"user{n}@bigcorp.io", username=f"user{n}@bigcorp.io")
        log_in(attacker, f"user{n}@bigcorp.io", "Winter2026!")

    assert log_in(attacker, "user0@bigcorp.io", RIGHT).status_code == 429
    # Another network still logs in to an account the attacker did not try.
    UserFactory(email="kim@bigcorp.io", username="kim@bigcorp.io")
    assert log_in(Client(REMOTE_ADDR="198.51.100.7"), "kim@bigcorp.io", RIGHT).status_code == 302


def test_behind_a_trusted_proxy_each_client_address_has_its_own_counter(settings):
    settings.TRUST_X_FORWARDED_FOR = True
    proxy = "10.0.0.2"
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    for n in range(6):
        UserFactory(email=f"user{n}@bigcorp.io", username=f"user{n}@bigcorp.io")
        log_in(attacker, f"user{n}@bigcorp.io", "Winter2026!")
    UserFactory(email="kim@bigcorp.io", username="kim@bigcorp.io")
    colleague = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    # A forged first hop does not escape the attacker's own counter.
    forged = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.9")

    assert log_in(forged, "kim@bigcorp.io", RIGHT).status_code == 429
    assert log_in(colleague, "kim@bigcorp.io", RIGHT).status_code == 302


def test_an_admin_unlocks_from_django_admin(client):
    UserFactory(email="owner@bigcorp.io", username="owner@bigcorp.io")
    for n in range(6):
        log_in(client, "owner@bigcorp.io", f"guess {n}")
    assert log_in(client, "owner@bigcorp.io", RIGHT).status_code == 429

    root = get_user_model().objects.create_superuser("root@desk.example", "root@desk.example", "x")
    admin = Client()
    admin.force_login(root)
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    admin.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )

    assert not AccessAttempt.objects.exists()
    assert log_in(client, "owner@bigcorp.io", RIGHT).status_code == 302
