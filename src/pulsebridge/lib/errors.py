"""The one base class of the rules the domain apps refuse by name."""


class DomainError(ValueError):
    """A business rule was broken; the message says which, in words fit for the person who
    asked (an operator at the CLI, a user of the console). Dialects translate it into their own
    error shape; the operator commands print it."""


class Gone(DomainError):
    """The object a change was asked of was deleted meanwhile (by a concurrent request): the
    dialects answer it as an object that does not exist, 404."""
