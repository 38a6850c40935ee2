"""OAuth2 applications (django-oauth-toolkit's Application): how a PING user's software gets
access. The client secret is stored hashed, so it is known only at creation."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    AbstractApplication,
    get_access_token_model,
    get_application_model,
    get_refresh_token_model,
)

# The (swappable) model, for building and querying; annotations name its abstract base, which
# mypy sees as Any: django-oauth-toolkit ships no type information.
Application: type[AbstractApplication] = get_application_model()

GRANT_TYPES = (
    Application.GRANT_AUTHORIZATION_CODE,
    Application.GRANT_IMPLICIT,
    Application.GRANT_CLIENT_CREDENTIALS,
)


def acting_company(user: AbstractBaseUser):
    """The one company a user acts for, or None."""
    membership = getattr(user, "membership", None)
    return membership.company if membership is not None else None


def change_password(user: AbstractBaseUser, password: str) -> None:
    """Set a user's password (already validated); their tokens stay valid, as in PING."""
    user.set_password(password)
    user.save(update_fields=["password"])


def create_application(
    user: AbstractBaseUser, *, name: str, grant_type: str, redirect_uris: list[str] | None = None
) -> tuple[AbstractApplication, str]:
    """A confidential client of ``user``; returns it and its client secret in clear, the only
    time the secret can be read."""
    if acting_company(user) is None:
        raise ValidationError({"user": ["the user belongs to no company"]})
    if grant_type not in GRANT_TYPES:
        raise ValidationError(
            {"authorization_grant_type": [f"must be one of {', '.join(GRANT_TYPES)}"]}
        )
    secret = generate_client_secret()
    application = Application(
        user=user,
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=grant_type,
        redirect_uris=" ".join(redirect_uris or []),
        client_secret=secret,
        hash_client_secret=True,
    )
    application.full_clean()
    application.save()
    return application, secret


def update_application(
    application: AbstractApplication,
    *,
    name: str | None = None,
    grant_type: str | None = None,
    redirect_uris: list[str] | None = None,
) -> AbstractApplication:
    if name is not None:
        application.name = name
    if grant_type is not None:
        if grant_type not in GRANT_TYPES:
            raise ValidationError(
                {"authorization_grant_type": [f"must be one of {', '.join(GRANT_TYPES)}"]}
            )
        application.authorization_grant_type = grant_type
    if redirect_uris is not None:
        application.redirect_uris = " ".join(redirect_uris)
    application.full_clean()
    application.save()
    return application


@transaction.atomic
def delete_application(application: AbstractApplication) -> None:
    """Deleting an application revokes every token issued through it, at once."""
    get_refresh_token_model().objects.filter(application=application).delete()
    get_access_token_model().objects.filter(application=application).delete()
    application.delete()
