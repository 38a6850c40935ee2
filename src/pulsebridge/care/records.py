"""The records of a bulk care import, field by field, as the Hayylo Inbound document's examples
write them (``firstName``, ``linkedClientId``, ``importStatus`` ...).

This is the one bulk format for care data, and it is read by the background import, not by the
request: so it lives here beside the import rather than in the dialect, which owns only the HTTP
wrapper around it.

Each parser takes the value as sent and returns the value to store, or raises ``Invalid`` with
a message naming the field. A field that is absent leaves the stored value alone; ``null``
clears it (where it may be empty); a field that a new row cannot do without is required only
when the record creates the row."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone

ID_MAX_LENGTH = 200
IMPORT_STATUSES = ("NEW", "CHANGED", "CANCELLED")
# What a client document may be: office documents, text and images. Nothing a browser or an
# operating system would run (html, svg, js, exe ...), since these files are shown in an app.
DOCUMENT_EXTENSIONS = frozenset(
    [
        "pdf",
        "doc",
        "docx",
        "odt",
        "rtf",
        "txt",
        "csv",
        "xls",
        "xlsx",
        "ods",
        "ppt",
        "pptx",
        "odp",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "webp",
        "heic",
        "heif",
        "tif",
        "tiff",
        "bmp",
    ]
)
MAX_VISIT_MINUTES = 24 * 60

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
PHONE_RE = re.compile(r"^[0-9+()\-. ]*$")
_email = EmailValidator()


class Invalid(Exception):
    """A field value that cannot be stored; the message names the field and says why."""


def shown(value: Any, limit: int = 40) -> str:
    """A value as the sender wrote it (JSON), cut short for a message."""
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _string(name: str, value: Any, max_length: int) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a string, not {json_type(value)}")
    if "\x00" in value:
        raise Invalid(f"{name} must not contain NUL characters")
    value = value.strip()
    if len(value) > max_length:
        raise Invalid(f"{name} is {len(value)} characters long; at most {max_length} are allowed")
    return value


Parser = Callable[[str, Any], Any]


def text(max_length: int, *, blank: bool = True) -> Parser:
    def parse(name: str, value: Any) -> str:
        if value is None:
            if not blank:
                raise Invalid(f"{name} must not be null")
            return ""
        value = _string(name, value, max_length)
        if not value and not blank:
            raise Invalid(f"{name} must not be blank")
        return value

    return parse


def identifier(name: str, value: Any) -> str:
    if value is None:
        raise Invalid(f"{name} must not be null")
    value = _string(name, value, ID_MAX_LENGTH)
    if not value:
        raise Invalid(f"{name} must not be blank")
    return value


def phone(name: str, value: Any) -> str:
    value = text(30)(name, value)
    if not PHONE_RE.match(value):
        raise Invalid(f"{name} {shown(value)} is not a phone number (digits, spaces, + - ( ) .)")
    return value


def email(name: str, value: Any) -> str:
    value = text(254)(name, value)
    if value:
        try:
            _email(value)
        except ValidationError:
            raise Invalid(f"{name} {shown(value)} is not an e-mail address") from None
    return value


def _date(name: str, value: Any, *, nullable: bool) -> date | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise Invalid(f"{name} {shown(value)} is not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{name} {shown(value)} is not a date of the calendar") from None


def day(*, nullable: bool = False) -> Parser:
    def parse(name: str, value: Any) -> date | None:
        return _date(name, value, nullable=nullable)

    return parse


def birth_date(name: str, value: Any) -> date | None:
    if value in (None, ""):
        return None
    born = _date(name, value, nullable=False)
    assert born is not None
    if born > timezone.now().date():
        raise Invalid(f"{name} {shown(value)} is in the future")
    if born.year < 1880:
        raise Invalid(f"{name} {shown(value)} is before 1880")
    return born


def clock(*, nullable: bool = False) -> Parser:
    def parse(name: str, value: Any) -> time | None:
        if value is None and nullable:
            return None
        match = TIME_RE.match(value) if isinstance(value, str) else None
        if not match:
            raise Invalid(f"{name} {shown(value)} is not a time of day written HH:MM (24-hour)")
        hours, minutes, seconds = match.groups()
        return time(int(hours), int(minutes), int(seconds or 0))

    return parse


def minutes(name: str, value: Any) -> int:
    # The document writes "60" (a string); a JSON number means the same.
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        number = int(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise Invalid(f"{name} {shown(value)} is not a whole number of minutes")
    if not 1 <= number <= MAX_VISIT_MINUTES:
        raise Invalid(f"{name} {number} is outside 1 to {MAX_VISIT_MINUTES} minutes")
    return number


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{name} must be true or false, not {shown(value)}")
    return value


def extension(name: str, value: Any) -> str:
    value = text(10, blank=False)(name, value).lower().removeprefix(".")
    if value not in DOCUMENT_EXTENSIONS:
        allowed = ", ".join(sorted(DOCUMENT_EXTENSIONS))
        raise Invalid(f"{name} {shown(value)} is not an allowed file type (allowed: {allowed})")
    return value


@dataclass(frozen=True)
class Content:
    """A document's decoded bytes with their size and SHA-256."""

    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def base64_content(name: str, value: Any) -> Content:
    """Standard base64 (RFC 4648 section 4), strictly: the alphabet and padding only, no line
    breaks, no data: prefix, and written the one way its bytes encode."""
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a base64 string, not {json_type(value)}")
    if value.startswith("data:"):
        raise Invalid(f"{name} must be bare base64, without a 'data:...;base64,' prefix")
    if not value:
        raise Invalid(f"{name} is empty; a document needs content")
    if "\n" in value or "\r" in value:
        raise Invalid(
            f"{name} is not valid base64: it has line breaks (MIME's 76-column lines); "
            f"send it on one line"
        )
    if len(value) % 4:
        raise Invalid(
            f"{name} is not valid base64: its length ({len(value)}) is not a multiple of 4"
        )
    try:
        decoded = binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(f"{name} is not valid base64: {exc}") from None
    if base64.b64encode(decoded).decode("ascii") != value:
        raise Invalid(f"{name} is not valid base64: non-canonical padding bits")
    return Content(decoded, hashlib.sha256(decoded).hexdigest())


@dataclass(frozen=True)
class Field:
    """One field of a record: its wire name, the model attribute, its parser, and whether a
    row cannot be created without it."""

    wire: str
    attr: str
    parse: Parser
    required: bool = False


@dataclass(frozen=True)
class Reference:
    """A field naming another record by the sender's id (``linkedClientId`` ...)."""

    wire: str
    attr: str  # the foreign key's attribute, e.g. "client_id"
    target: str  # "client" or "worker": what the id must name
    required: bool = True  # to create a row; ``nullable`` says whether null is allowed
    nullable: bool = False


@dataclass(frozen=True)
class RecordFormat:
    schema_type: str
    noun: str  # for messages: "client", "visit" ...
    fields: tuple[Field, ...]
    references: tuple[Reference, ...] = ()
    cancellable: bool = False
    wire_names: frozenset[str] = field(init=False)

    def __post_init__(self):
        names = {"id", "importStatus"} | {f.wire for f in self.fields}
        names |= {r.wire for r in self.references}
        object.__setattr__(self, "wire_names", frozenset(names))


@dataclass
class Parsed:
    """A record whose fields all parsed: what to store, not yet checked against stored rows."""

    index: int
    id: str
    status: str  # NEW, CHANGED or CANCELLED
    values: dict[str, Any]  # model attribute -> value, for the fields present
    references: dict[str, str | None]  # Reference.wire -> the id given (None: cleared)


@dataclass
class Rejected:
    index: int
    id: Any
    message: str
    # The references that parsed, so that the import can add "not a client of this company" to
    # the same report: a sender learns every reason at once, not in rounds.
    references: dict[str, str | None] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "message": self.message}


def reported_id(raw: Any) -> str | int | None:
    """The record's id as the sender wrote it, for the report, whatever its type."""
    if isinstance(raw, str):
        return raw.replace("\x00", "\ufffd")[:ID_MAX_LENGTH]
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    return None


def _record_id(raw: dict, problems: list[str]) -> str | None:
    if "id" not in raw:
        problems.append("id is missing")
        return None
    try:
        return identifier("id", raw["id"])
    except Invalid as exc:
        problems.append(str(exc))
        return None


def _import_status(fmt: RecordFormat, raw: dict, problems: list[str]) -> str:
    status = raw.get("importStatus")
    if "importStatus" not in raw:
        problems.append("importStatus is missing (NEW, CHANGED or CANCELLED)")
    elif not isinstance(status, str) or status.strip().upper() not in IMPORT_STATUSES:
        problems.append(f"importStatus {shown(status)} is not NEW, CHANGED or CANCELLED")
    else:
        status = status.strip().upper()
        if status == "CANCELLED" and not fmt.cancellable:
            problems.append(
                f"importStatus CANCELLED applies to schedule records (visits) only, not to a {fmt.noun}"
            )
        return status
    return ""


def _field_values(fmt: RecordFormat, raw: dict, problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in fmt.fields:
        if spec.wire in raw:
            try:
                values[spec.attr] = spec.parse(spec.wire, raw[spec.wire])
            except Invalid as exc:
                problems.append(str(exc))
    return values


def _references(fmt: RecordFormat, raw: dict, problems: list[str]) -> dict[str, str | None]:
    references: dict[str, str | None] = {}
    for ref in fmt.references:
        if ref.wire not in raw:
            continue
        value = raw[ref.wire]
        if value is None and ref.nullable:
            references[ref.wire] = None
            continue
        try:
            references[ref.wire] = identifier(ref.wire, value)
        except Invalid as exc:
            problems.append(str(exc))
    return references


def parse_record(fmt: RecordFormat, index: int, raw: Any) -> Parsed | Rejected:
    """Check one record's fields on their own; whether it may create a row, and whether the
    records it names exist, is for the import to say."""
    if not isinstance(raw, dict):
        return Rejected(index, None, f"record must be an object, not {json_type(raw)}")
    problems: list[str] = []
    record_id = _record_id(raw, problems)
    status = _import_status(fmt, raw, problems)
    unknown = sorted(set(raw) - fmt.wire_names)
    if unknown:
        problems.append(
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(shown(u) for u in unknown)}"
        )
    values = _field_values(fmt, raw, problems)
    references = _references(fmt, raw, problems)
    if problems:
        return Rejected(index, reported_id(raw.get("id")), "; ".join(problems), references)
    assert record_id is not None
    return Parsed(index, record_id, status, values, references)


CLIENT = RecordFormat(
    "client",
    "client",
    (
        Field("firstName", "first_name", text(100, blank=False), required=True),
        Field("lastName", "last_name", text(100, blank=False), required=True),
        Field("phone", "phone", phone),
        Field("phone2", "phone2", phone),
        Field("email", "email", email),
        Field("address", "address", text(200)),
        Field("suburb", "suburb", text(100)),
        Field("postCode", "post_code", text(20)),
        Field("state", "state", text(50)),
        Field("gender", "gender", text(50)),
        Field("dob", "dob", birth_date),
        Field("team", "team", text(200)),
    ),
)

FAMILY = RecordFormat(
    "family",
    "family contact",
    (
        Field("faFName", "full_name", text(200, blank=False), required=True),
        Field("mobile", "mobile", phone),
        Field("phone1", "phone1", phone),
        Field("phone2", "phone2", phone),
        Field("email", "email", email),
    ),
    references=(Reference("linkedClientId", "client_id", "client"),),
)

WORKER = RecordFormat(
    "worker",
    "worker",
    (
        Field("firstName", "first_name", text(100, blank=False), required=True),
        Field("lastName", "last_name", text(100, blank=False), required=True),
        Field("phone", "phone", phone),
        Field("email", "email", email),
        Field("gender", "gender", text(50)),
        Field("dob", "dob", birth_date),
        Field("team", "team", text(200)),
    ),
)

SCHEDULE = RecordFormat(
    "schedule",
    "visit",
    (
        Field("duration", "duration_minutes", minutes, required=True),
        Field("startDate", "start_date", day(), required=True),
        Field("startTime", "start_time", clock(), required=True),
        Field("preferredStartDate", "preferred_start_date", day(nullable=True)),
        Field("preferredStartTime", "preferred_start_time", clock(nullable=True)),
        Field("preferredEndTime", "preferred_end_time", clock(nullable=True)),
        Field("serviceType", "service_type", text(200)),
    ),
    references=(
        Reference("clientId", "client_id", "client"),
        # A visit not yet given to a worker is a visit all the same.
        Reference("workerId", "worker_id", "worker", required=False, nullable=True),
    ),
    cancellable=True,
)

CLIENT_DOCUMENT = RecordFormat(
    "clientDocument",
    "client document",
    (
        Field("fileType", "file_type", text(100)),
        Field("fileTitle", "title", text(200, blank=False), required=True),
        Field("fileExtension", "extension", extension, required=True),
        Field("clientVisible", "client_visible", flag),
        Field("workerVisible", "worker_visible", flag),
        Field("data", "content", base64_content, required=True),
    ),
    references=(Reference("clientId", "client_id", "client"),),
)

FORMATS = {fmt.schema_type: fmt for fmt in (CLIENT, FAMILY, WORKER, SCHEDULE, CLIENT_DOCUMENT)}
