from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Log in with an e-mail address (case-insensitive) and a password."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        address = (email or username or "").strip()
        if not address or password is None:
            return None
        User = get_user_model()
        user = User.objects.filter(email__iexact=address).order_by("id").first()
        if user is None:
            User().set_password(password)  # same work either way: no timing oracle on e-mails
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
