"""403, 404 and 500 are the product's own pages, with its navigation and a way back, with DEBUG
off as in production."""

import pytest
from django.test import Client
from django.urls import reverse

from config.errors import handler500
from tests.factories import LeadFactory, MembershipFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]


def test_a_setter_on_an_admin_page_gets_the_styled_403(client):
    membership = MembershipFactory(role="setter")
    client.force_login(membership.user)

    response = client.get(reverse("integrations_tab", args=[membership.workspace.public_id]))

    html = response.content.decode()
    assert response.status_code == 403
    assert "This page is not for your role" in html
    assert "app.css" in html and 'href="/"' in html  # styled, with a way back
    assert membership.user.email in html  # the navigation of a signed-in user


def test_another_workspace_gives_the_styled_404(client):
    client.force_login(MembershipFactory(role="setter").user)
    other = WorkspaceFactory()

    response = client.get(reverse("lead_detail", args=[other.public_id, LeadFactory().pk]))

    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()
    assert "Back to your workspaces" in response.content.decode()


def test_an_unknown_address_gives_the_styled_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()


def test_the_500_page_keeps_the_navigation_and_tells_nothing_of_the_error(rf):
    membership = MembershipFactory(role="setter")
    request = rf.get("/")
    request.user = membership.user

    response = handler500(request)

    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert membership.user.email in html
    assert "Traceback" not in html


def test_a_form_sent_without_its_csrf_token_gets_the_styled_page(db):
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x"})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
