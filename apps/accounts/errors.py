"""Error messages of the accounts app, as constants so tests can assert them."""

USERNAME_TAKEN = "A user with that username already exists."
BAD_CREDENTIALS = "Unable to log in with the provided credentials."
ACCOUNT_SUSPENDED = "This account is suspended."
