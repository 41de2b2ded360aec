"""The browser login form, which also refuses suspended accounts."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .errors import ACCOUNT_SUSPENDED
from .models import User


class LoginForm(AuthenticationForm):
    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if user.is_suspended:
            raise forms.ValidationError(ACCOUNT_SUSPENDED, code="suspended")
