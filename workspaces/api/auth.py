"""API-key authentication for the admin API: `Authorization: Api-Key <key>`.

A DRF *authentication* class rather than rest_framework_api_key's permission alone: a permission
that says no makes DRF answer 403, while a missing or bad key must be a 401 with a
`WWW-Authenticate` header. The key itself is stored hashed by djangorestframework-api-key and
revoked in Django admin (API keys).
"""

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework_api_key.models import APIKey

KEYWORD = "Api-Key"
_MAX_KEY_LENGTH = 200  # real keys are 41 characters; anything far longer is not one


class ApiKeyAuthentication(BaseAuthentication):
    """Sets `request.auth` to the APIKey row; `request.user` stays anonymous."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        keyword, _, key = header.partition(" ")
        key = key.strip()
        if keyword.lower() != KEYWORD.lower() or not key:
            raise exceptions.AuthenticationFailed(
                f"Send the header `Authorization: {KEYWORD} <key>`."
            )
        if len(key) > _MAX_KEY_LENGTH or not key.isprintable():
            raise exceptions.AuthenticationFailed("Invalid API key.")
        try:
            api_key = APIKey.objects.get_from_key(key)
        except APIKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.") from None
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        return AnonymousUser(), api_key

    def authenticate_header(self, request):
        # Its presence is what makes DRF answer 401 instead of 403.
        return f'{KEYWORD} realm="api"'


class HasApiKey(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, APIKey)


def actor_label(request) -> str:
    """How the audit log names the caller."""
    return f"api key: {request.auth.name}"


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"`{KEYWORD} <key>`; make one with `manage.py create_api_key NAME`.",
        }
