"""What each membership role may do, area by area: the one table the console asks.

owner: everything (keys, users and the audit trail included); clinician: patients, their
readings and alerts, and sight of the devices and orders that serve them; operator: devices,
orders, trackers, webhooks and imports, and no patient's health data; viewer: reads what the
clinician and the operator see, and changes nothing."""

from __future__ import annotations

from enum import IntEnum

from .models import Membership


class Access(IntEnum):
    NONE = 0
    READ = 1
    CHANGE = 2


# The areas of the console, each one screen or a few.
AREAS = (
    "patients",  # the patient list, a patient's readings, care record, documents, alerts
    "alerts",  # threshold alerts and their rules
    "billing",  # the RPM billing report (patients' days and clinician minutes)
    "devices",
    "orders",
    "trackers",
    "webhooks",
    "imports",
    "keys",  # API keys and PING applications
    "team",  # users and their roles, the company's settings
    "audit",
)

Role = Membership.Role
R, C = Access.READ, Access.CHANGE

ACCESS: dict[str, dict[str, Access]] = {
    Role.OWNER: dict.fromkeys(AREAS, C),
    Role.CLINICIAN: {
        "patients": C,
        "alerts": C,
        "billing": C,
        "devices": R,
        "orders": R,
        "trackers": R,
    },
    Role.OPERATOR: {"devices": C, "orders": C, "trackers": C, "webhooks": C, "imports": C},
    Role.VIEWER: {
        "patients": R,
        "alerts": R,
        "billing": R,
        "devices": R,
        "orders": R,
        "trackers": R,
        "webhooks": R,
        "imports": R,
    },
}


def access(role: str, area: str) -> Access:
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}")
    return ACCESS.get(role, {}).get(area, Access.NONE)


def may_read(role: str, area: str) -> bool:
    return access(role, area) >= Access.READ


def may_change(role: str, area: str) -> bool:
    return access(role, area) >= Access.CHANGE


def readable_areas(role: str) -> list[str]:
    return [area for area in AREAS if may_read(role, area)]
