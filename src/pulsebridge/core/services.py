"""Companies, users and their memberships, and the audit trail: the rules every caller shares
(the operator commands, the console, the demo). API keys have a module of their own
(``core.apikeys``).

Each function checks everything first and raises :class:`CoreError` with a message written for
the person who asked; nothing is half-written when it does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import IntegrityError, transaction

from pulsebridge.lib.bulk import max_length
from pulsebridge.lib.errors import DomainError

from .models import AuditEntry, Company, Membership

# Hayylo's wrapper must name the company's instance: a company made without one gets this, so
# that it can import from the start (the document's examples use "100").
DEFAULT_INSTANCE_ID = "1"
MAX_INSTANCE_ID = max_length(Company, "instance_id")


class CoreError(DomainError):
    """A rule about companies, users or memberships was broken."""


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# ----------------------------------------------------------------------------- companies


def company_by_code(code: str) -> Company:
    company = Company.objects.filter(code=(code or "").strip()).first()
    if company is None:
        raise CoreError(f"no company with code {code!r} (see `pulsebridge company list`)")
    return company


def _instance_id(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return DEFAULT_INSTANCE_ID
    if len(value) > MAX_INSTANCE_ID:
        raise CoreError(f"the instance id is at most {MAX_INSTANCE_ID} characters")
    return value


def _alert_email(value: str | None) -> str:
    value = (value or "").strip()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise CoreError(f"alert_email: {value!r} is not an e-mail address") from None
    return value


def create_company(
    *, code: str, name: str, instance_id: str = "", alert_email: str = ""
) -> Company:
    """A new tenant. ``code`` is its slug: the Tenovi client domain and the Hayylo companyCode."""
    code, name = (code or "").strip(), (name or "").strip()
    if not name:
        raise CoreError("the name must not be blank")
    try:
        validate_slug(code)
    except ValidationError:
        raise CoreError(
            f"the code {code!r} is not a valid slug: use letters, digits, hyphens and underscores"
        ) from None
    company = Company(
        code=code,
        name=name,
        instance_id=_instance_id(instance_id),
        alert_email=_alert_email(alert_email),
    )
    try:
        company.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise CoreError(_messages(exc)) from None
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:
        raise CoreError(f"a company with code {code!r} already exists") from None
    return company


def check_time_zone(name: str) -> str:
    """An IANA time zone name zoneinfo knows (``Europe/Berlin``), else :class:`CoreError`."""
    name = (name or "").strip()
    try:
        if not name or name != name.strip("/") or ".." in name:
            raise ValueError(name)
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise CoreError(f"{name!r} is not a time zone name (like Europe/Berlin or UTC)") from None
    return name


def update_company(
    company: Company,
    *,
    name: str | None = None,
    instance_id: str | None = None,
    alert_email: str | None = None,
    weight_unit: str | None = None,
    time_zone: str | None = None,
) -> list[str]:
    """Change what is given (None: unchanged); the names of the fields that changed."""
    changed = []
    if time_zone is not None:
        company.time_zone = check_time_zone(time_zone)
        changed.append("time_zone")
    if weight_unit is not None:
        if weight_unit not in Company.WeightUnit.values:
            raise CoreError(
                f"{weight_unit!r} is not a weight unit; one of {', '.join(Company.WeightUnit.values)}"
            )
        company.weight_unit = weight_unit
        changed.append("weight_unit")
    if name is not None:
        if not name.strip():
            raise CoreError("the name must not be blank")
        company.name = name.strip()
        changed.append("name")
    if instance_id is not None:
        company.instance_id = _instance_id(instance_id)
        changed.append("instance_id")
    if alert_email is not None:
        company.alert_email = _alert_email(alert_email)
        changed.append("alert_email")
    if changed:
        company.save(update_fields=changed)
    return changed


def list_companies():
    return Company.objects.order_by("code")


# ----------------------------------------------------------------------------- users


@dataclass(frozen=True)
class NewUser:
    username: str
    password: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    role: str = Membership.Role.VIEWER


def check_role(role: str) -> str:
    if role not in Membership.Role.values:
        raise CoreError(f"{role!r} is not a role; one of {', '.join(Membership.Role.values)}")
    return role


def create_user(company: Company, new: NewUser) -> AbstractUser:
    """A person who signs in (the console, PING), a member of ``company`` with ``role``. The
    password is checked by Django's validators and stored as an argon2 hash."""
    User = get_user_model()
    username = new.username.strip()
    if not username:
        raise CoreError("the username must not be blank")
    check_role(new.role)
    email = new.email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise CoreError(f"{email!r} is not an e-mail address") from None
    if User.objects.filter(username=username).exists():
        raise CoreError(f"a user named {username!r} already exists")
    user = User(username=username, email=email, first_name=new.first_name, last_name=new.last_name)
    try:
        validate_password(new.password, user)
    except ValidationError as exc:
        raise CoreError("the password is too weak: " + _messages(exc)) from None
    user.set_password(new.password)  # argon2: settings.PASSWORD_HASHERS
    try:
        with transaction.atomic():
            user.save()
            Membership.objects.create(user=user, company=company, role=new.role)
    except IntegrityError:
        raise CoreError(f"a user named {username!r} already exists") from None
    return user


def membership_of(user: Any) -> Membership | None:
    """The user's membership, its company loaded; None for a user of no company."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.select_related("company").filter(user=user).first()


def members(company: Company):
    return Membership.objects.for_company(company).select_related("user").order_by("user__username")


def change_role(membership: Membership, role: str) -> Membership:
    """A company keeps at least one owner: the last one cannot be made something else."""
    check_role(role)
    if membership.role == role:
        return membership
    with transaction.atomic():
        if membership.role == Membership.Role.OWNER:
            owners = (
                Membership.objects.select_for_update()
                .filter(company=membership.company_id, role=Membership.Role.OWNER)
                .count()
            )
            if owners <= 1:
                raise CoreError("the company's last owner cannot be given another role")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def set_user_active(membership: Membership, active: bool) -> None:
    """Let a user sign in, or stop them (their history stays: audit entries name them)."""
    user = membership.user
    if not active and membership.role == Membership.Role.OWNER:
        owners = Membership.objects.filter(
            company=membership.company_id, role=Membership.Role.OWNER, user__is_active=True
        ).count()
        if owners <= 1:
            raise CoreError("the company's last active owner cannot be deactivated")
    user.is_active = active
    user.save(update_fields=["is_active"])


# ----------------------------------------------------------------------------- audit


def audit(
    company: Company | None,
    actor: str,
    action: str,
    *,
    target: str = "",
    patient: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record who did what to which object. ``patient`` is the external id of the patient whose
    data was read or changed, if any. ``detail`` must hold no secret and no reading's values."""
    return AuditEntry.objects.create(
        company=company,
        actor=actor[:200],
        action=action[:100],
        target=str(target)[:200],
        patient=str(patient)[:200],
        detail=detail or {},
    )


def audit_trail(company: Company):
    return AuditEntry.objects.for_company(company).order_by("-at", "-id")
