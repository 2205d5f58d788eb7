"""The pages, htmx and /api/docs/ keep working under the Content-Security-Policy: no inline
script or inline event handler anywhere (the CSP blocks them), and the docs load their start-up
script as a file."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import LeadFactory, MembershipFactory
from workspaces.models import Membership

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def test_no_template_has_an_inline_script_or_handler():
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if INLINE_HANDLER.search(path.read_text()) or INLINE_SCRIPT.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.django_db
def test_pages_are_served_with_the_policy_and_their_own_scripts(client, workspace):
    admin = MembershipFactory(workspace=workspace, role=Membership.Role.ADMIN).user
    client.force_login(admin)
    lead = LeadFactory(workspace=workspace)
    pages = [
        reverse("lead_list", args=[workspace.public_id]),
        reverse("lead_detail", args=[workspace.public_id, lead.pk]),
        reverse("integrations_tab", args=[workspace.public_id]),
        reverse("appointment_list", args=[workspace.public_id]),
    ]
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        assert "script-src 'self'" in page["Content-Security-Policy"]
        assert not INLINE_SCRIPT.search(page.text) and not INLINE_HANDLER.search(page.text), url
        assert "/static/app.js" in page.text and "/static/htmx.min.js" in page.text


@pytest.mark.django_db
def test_api_docs_load_their_script_as_a_file(client):
    page = client.get("/api/docs/")
    script = re.search(r'<script src="([^"]*\?[^"]*script=[^"]*)"', page.text)

    assert page.status_code == 200
    assert not INLINE_SCRIPT.search(page.text)
    assert script
    code = client.get(script.group(1).replace("&amp;", "&"))
    assert code.status_code == 200 and "SwaggerUIBundle" in code.text
