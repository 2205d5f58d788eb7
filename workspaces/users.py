"""Users are identified by e-mail; the username mirrors it so Django admin stays usable."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from workspaces.validators import normalize_email


def get_or_create_user(*, email: str):
    """Returns (user, created). A new user has no usable password until they set one."""
    User = get_user_model()
    address = normalize_email(email)
    existing = User.objects.filter(email__iexact=address).order_by("id").first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            user = User(username=address[:150], email=address)
            user.set_unusable_password()
            user.save()
            return user, True
    except IntegrityError:  # a concurrent call created it first
        return User.objects.get(username=address[:150]), False
