"""Users are identified by e-mail in its canonical form (workspaces.validators.normalize_email),
compared exactly; the username mirrors it so Django admin stays usable. A unique index on the
e-mail column (migration 0002) keeps one user per address whatever door created it."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from workspaces.validators import account_email, normalize_email


def get_or_create_user(*, email: str):
    """Returns (user, created). A new user has no usable password until they set one. Raises
    ValidationError for a malformed or look-alike address."""
    User = get_user_model()
    address = account_email(email)
    existing = User.objects.filter(email=address).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            user = User(username=address[:150], email=address)
            user.set_unusable_password()
            user.save()
            return user, True
    except IntegrityError:  # a concurrent call created it first
        return User.objects.get(email=address), False


def find_user(address: str):
    """The user holding this address (any spelling of it), or None."""
    try:
        canonical = normalize_email(address)
    except ValidationError:  # a malformed address holds no account
        return None
    return get_user_model().objects.filter(email=canonical).first()


def canonicalize_user_email(sender, instance, **kwargs) -> None:
    """Every door that saves a user (Django admin, createsuperuser, a script) stores the
    canonical address, so the exact comparison and the unique index see one spelling."""
    if not instance.email:
        return
    try:
        instance.email = normalize_email(instance.email)
    except ValidationError:  # the form that took it says what is wrong with it
        instance.email = instance.email.strip().lower()
