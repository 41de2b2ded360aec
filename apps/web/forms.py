"""The sign-up page's form: its fields only; the rules are the registration service's."""

from django import forms


class SignupForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(max_length=128, strip=False, widget=forms.PasswordInput)
