"""The devices domain's refusals."""

from pulsebridge.lib.errors import DomainError


class DeviceError(DomainError):
    """A rule of the device domain was broken; the message says which."""
