"""A card's form that fails keeps what was typed (the token too: it was never saved) and
points at the field that failed (aria-invalid, aria-describedby naming the error shown)."""

import re

import pytest
from django.urls import reverse

from integrations.models import Connection

pytestmark = pytest.mark.django_db


def post_card(client, workspace, provider, data):
    response = client.post(
        reverse("integrations_connect", args=[workspace.public_id, provider]), data
    )
    assert response.status_code == 200  # the tab again, with the form as it was sent
    return response.content.decode()


def input_tag(html, element_id):
    return re.search(rf'<(?:input|select)[^>]*\bid="{element_id}"[^>]*>', html, re.S).group(0)


def points_at_its_error(html, tag):
    assert 'aria-invalid="true"' in tag
    error_id = re.search(r'aria-describedby="([^"]+)"', tag).group(1)
    error = re.search(rf'<ul[^>]*id="{error_id}"[^>]*>(.*?)</ul>', html, re.S)
    assert error is not None, f"no error list with id {error_id}"
    return re.sub(r"<[^>]+>", "", error.group(1)).strip()


def test_a_refused_calendly_token_is_kept_and_marked(
    admin_client, workspace, calendly_sandbox, calendly_receiver
):
    typed = "eyJ-not-a-token-calendly-knows"
    link = calendly_sandbox.booking_link()

    html = post_card(
        admin_client, workspace, "calendly", {"access_token": typed, "event_type_link": link}
    )

    token = input_tag(html, "calendly-token")
    assert f'value="{typed}"' in token
    assert points_at_its_error(html, token)  # Calendly's refusal, said next to the field
    assert f'value="{link}"' in input_tag(html, "calendly-event-type-link")
    assert not Connection.objects.filter(workspace=workspace, provider="calendly").exists()


def test_the_kept_token_is_never_shown_on_the_next_page(
    admin_client, workspace, calendly_sandbox, calendly_receiver
):
    typed = "eyJ-not-a-token-calendly-knows"
    post_card(admin_client, workspace, "calendly", {"access_token": typed})

    page = admin_client.get(reverse("integrations_tab", args=[workspace.public_id]))

    assert typed not in page.content.decode()


def test_a_ghl_form_missing_its_location_keeps_the_token_and_points_at_the_location(
    admin_client, workspace
):
    html = post_card(
        admin_client,
        workspace,
        "ghl",
        {"access_token": "pit-typed-0000-1111", "location_id": "", "calendar_id": ""},
    )

    assert 'value="pit-typed-0000-1111"' in input_tag(html, "ghl-token")
    assert points_at_its_error(html, input_tag(html, "ghl-location")) == ("This field is required.")
    assert "aria-invalid" not in input_tag(html, "ghl-token")
