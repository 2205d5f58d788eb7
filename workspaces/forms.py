"""The password-reset form, on the canonical address and the account e-mail outbox."""

from django.contrib.auth.forms import PasswordResetForm

from workspaces import outbox
from workspaces.models import OutboundEmail
from workspaces.users import find_user


class AccountPasswordResetForm(PasswordResetForm):
    """Finds the account by its canonical address (compared exactly, so a look-alike spelling
    never reaches someone else's account) and queues the e-mail in the outbox, which limits
    how many one address gets. The page says the same whether or not an account exists."""

    def save(self, *args, **kwargs) -> None:
        user = find_user(self.cleaned_data["email"])
        if user is None or not user.is_active:
            return
        outbox.queue(kind=OutboundEmail.Kind.PASSWORD_RESET, user=user)
