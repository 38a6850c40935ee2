"""The devices domain's refusals."""

from pulsebridge.lib.errors import DomainError


class DeviceError(DomainError):
    """A rule of the device domain was broken; the message says which."""


class FieldError(DeviceError):
    """A rule broken by one field of the request; ``field`` is its dotted path."""

    def __init__(self, field_path: str, message: str):
        super().__init__(message)
        self.field = field_path
