import pytest
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from tests.security import smtp


@pytest.fixture
def mailbox(settings):
    """Account e-mail goes to a real SMTP server on this machine, answering as the test says."""
    box = smtp.Mailbox()
    controller = smtp.start(box)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield box
    controller.stop()


@pytest.fixture
def admin_api(db):
    _, key = APIKey.objects.create_key(name="security")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client
