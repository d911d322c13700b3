"""What an incoming record must look like: the validation shared by the API and file import.

Timestamps must carry an offset (kpibot never guesses one); scores must lie on their survey's
scale; unknown survey kinds are refused. Attribute values are kept as strings.

This runs for every record of every ingest, so it is split in two:
- each record's shape (`TypedDict`: types, bounds, patterns, case folding) is checked by
  pydantic-core in Rust, into plain dicts rather than model instances (a third of the time),
  with no call back into Python per record;
- the rules that tie two fields (a score within its survey's scale, a resolution after the
  creation) and the defaults are then applied by one loop per batch (`_finish_*`), which reports
  its errors as pydantic `ValidationError`s too, with the record's index and the field.
What `validate_rows` returns is the rows to store: column → value, instants aware (the storage
writes them in UTC).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Annotated, Any, Literal, NotRequired, get_args

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    GetPydanticSchema,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, from_json
from pydantic_core import core_schema as cs
from typing_extensions import TypedDict

#: Default top of each survey's scale, and its bottom.
SCALE_MAX = {"nps": 10, "enps": 10, "csat": 5, "ces": 7}
SCALE_MIN = {"nps": 0, "enps": 0, "csat": 1, "ces": 1}
#: Counters that are levels (stocks read at an instant) unless said otherwise.
LEVEL_COUNTERS = frozenset({"customers", "headcount", "followers"})

_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Source = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^\S+$")
]


AttributeName = Annotated[str, StringConstraints(pattern=_ATTRIBUTE_NAME.pattern)]
#: An attribute's value: a string (at most 255 characters), a number or a boolean (kept as
#: strings), null or empty to leave it out. One union checked by pydantic-core itself (this is
#: the hot path of every ingest) that reports one plain error rather than one per member. NaN
#: and infinities, which JSON parsers may let through, are refused: no one means to store them.
_ATTRIBUTE_VALUE = cs.union_schema(
    [
        cs.str_schema(strip_whitespace=True, max_length=255, strict=True),
        cs.bool_schema(strict=True),
        cs.int_schema(strict=True),  # at most 255 characters written out: `attribute_strings`
        cs.float_schema(strict=True, allow_inf_nan=False),
        cs.none_schema(),
    ],
    custom_error_type="attribute_value",
    custom_error_message=(
        "an attribute's value must be a string of at most 255 characters, a finite number, "
        "a boolean or null"
    ),
)
AttributeValue = Annotated[
    str | bool | int | float | None,
    GetPydanticSchema(lambda _type, _handler: _ATTRIBUTE_VALUE),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": 255},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "null"},
            ]
        }
    ),
]
Attributes = dict[AttributeName, AttributeValue]


class AttributeTooLong(ValueError):
    """A number that takes more than 255 characters once written as an attribute."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"attribute {key!r} is a number of more than 255 characters")


def attribute_strings(attributes: dict[str, Any] | None) -> dict[str, str]:
    """Attributes as stored: string → string, with empty and null values left out.

    Raises `AttributeTooLong` for a number longer than an attribute's 255 characters (a
    string that long is refused by its shape already).
    """
    if not attributes:
        return {}
    for value in attributes.values():
        if type(value) is not str or not value:
            break
    else:  # already all non-empty strings: the usual case, kept as it is
        return attributes
    out: dict[str, str] = {}
    for key, value in attributes.items():
        if value is None or value == "":
            continue
        if value is True or value is False:
            out[key] = "true" if value else "false"
        elif isinstance(value, str):
            out[key] = value
        else:
            text = str(value)
            if len(text) > 255:
                raise AttributeTooLong(key)
            out[key] = text
    return out


def check_source(value: str) -> str:
    """A source name given for a whole import, stripped; `ValueError` saying what is wrong."""
    if "\x00" in value:
        raise ValueError(f"source {value!r} contains a NUL character")
    try:
        return _source_adapter().validate_python(value)
    except ValidationError as exc:
        reason = _SOURCE_PROBLEMS.get(exc.errors()[0]["type"], "is not a source name")
        raise ValueError(
            f"source {value!r} {reason}: a source is 1 to 64 characters without spaces"
        ) from None


_SOURCE_PROBLEMS = {
    "string_too_short": "is empty",
    "string_too_long": "is too long",
    "string_pattern_mismatch": "contains a space",
}


@cache
def _source_adapter() -> TypeAdapter[str]:
    return TypeAdapter(Source)


def _folded(choices: Sequence[str]) -> Any:
    """A string that must be one of `choices` once stripped and lower-cased (all in Rust)."""
    schema = cs.chain_schema(
        [cs.str_schema(strip_whitespace=True, to_lower=True), cs.literal_schema(list(choices))]
    )
    return Annotated[
        str,
        GetPydanticSchema(lambda _type, _handler: schema),
        WithJsonSchema({"type": "string", "enum": list(choices)}),
    ]


_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _default(value: Any) -> Any:
    """A default shown in the API's JSON schema (a `TypedDict` key has none of its own)."""
    return Field(json_schema_extra={"default": value})


class ResponseIn(TypedDict):
    """A survey response as sent to `POST /api/v1/responses` or imported from a file."""

    __pydantic_config__ = _CONFIG  # type: ignore[misc]

    external_id: Id
    survey: _folded(("nps", "enps", "csat", "ces"))  # type: ignore[valid-type]
    scale_max: NotRequired[Annotated[int, Field(ge=2, le=100)] | None]
    score: int
    comment: NotRequired[Annotated[str, Field(max_length=10_000)] | None]
    customer_id: NotRequired[Id | None]
    submitted_at: AwareDatetime
    attributes: NotRequired[Attributes]
    source: NotRequired[Source | None]


class TicketIn(TypedDict):
    """A support ticket in its latest known state (re-send it as it changes)."""

    __pydantic_config__ = _CONFIG  # type: ignore[misc]

    external_id: Id
    created_at: AwareDatetime
    first_response_at: NotRequired[AwareDatetime | None]
    resolved_at: NotRequired[AwareDatetime | None]
    handle_seconds: NotRequired[Annotated[float, Field(ge=0, allow_inf_nan=False)] | None]
    contacts: NotRequired[Annotated[int, Field(ge=1, le=2_147_483_647), _default(1)]]
    escalated: NotRequired[Annotated[bool, _default(False)]]
    reopened: NotRequired[Annotated[bool, _default(False)]]
    channel: NotRequired[Annotated[Label, StringConstraints(to_lower=True)] | None]
    team: NotRequired[Label | None]
    agent: NotRequired[Label | None]
    customer_id: NotRequired[Id | None]
    attributes: NotRequired[Attributes]
    source: NotRequired[Source | None]


class CounterIn(TypedDict):
    """One observation of a business counter (`POST /api/v1/metrics`)."""

    __pydantic_config__ = _CONFIG  # type: ignore[misc]

    name: Annotated[
        str,
        # letters are folded to lower case after the pattern is checked
        StringConstraints(
            strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z][A-Za-z0-9_.\-]{0,127}$"
        ),
    ]
    value: Annotated[float, Field(allow_inf_nan=False)]
    at: AwareDatetime
    kind: NotRequired[Literal["flow", "level"] | None]
    external_id: NotRequired[Id | None]
    attributes: NotRequired[Attributes]
    source: NotRequired[Source | None]


# --- the rules across fields, and the defaults ---------------------------------------------

#: An error found by a finishing pass: (record index, field, message).
Problem = tuple[int, str, str]


def _attributes(record: dict[str, Any], index: int, problems: list[Problem]) -> None:
    """The record's attributes as stored (`attribute_strings`), or a problem with one."""
    try:
        record["attributes"] = attribute_strings(record.get("attributes"))
    except AttributeTooLong as exc:
        problems.append((index, f"attributes.{exc.key}", str(exc)))


def _finish_responses(records: list[dict[str, Any]], source: str) -> list[Problem]:
    """Scores on their survey's scale (NPS and eNPS always 0–10); default scale and source."""
    problems: list[Problem] = []
    for index, record in enumerate(records):
        get = record.get
        survey = record["survey"]
        scale = get("scale_max")
        if scale is None:
            scale = record["scale_max"] = SCALE_MAX[survey]
        elif scale != 10 and survey in ("nps", "enps"):
            problems.append(
                (index, "scale_max", f"{survey} is always on 0–10; scale_max must be 10")
            )
            continue
        score = record["score"]
        if not SCALE_MIN[survey] <= score <= scale:
            problems.append(
                (
                    index,
                    "score",
                    f"score {score} is outside the {survey} scale {SCALE_MIN[survey]}–{scale}",
                )
            )
        if not get("source"):
            record["source"] = source
        if not get("comment"):
            record["comment"] = None
        _attributes(record, index, problems)
    return problems


def _finish_tickets(records: list[dict[str, Any]], source: str) -> list[Problem]:
    """A first response and a resolution after the creation; default counts and flags."""
    problems: list[Problem] = []
    for index, record in enumerate(records):
        get = record.get
        created = record["created_at"]
        for name in ("first_response_at", "resolved_at"):
            value = get(name)
            if value is not None and value < created:
                problems.append((index, name, f"{name} is before created_at"))
        if not get("source"):
            record["source"] = source
        if "contacts" not in record:
            record["contacts"] = 1
        if "escalated" not in record:
            record["escalated"] = False
        if "reopened" not in record:
            record["reopened"] = False
        _attributes(record, index, problems)
    return problems


def _finish_counters(records: list[dict[str, Any]], source: str) -> list[Problem]:
    """The kind follows the name unless given (levels: customers, headcount, followers)."""
    problems: list[Problem] = []
    for index, record in enumerate(records):
        get = record.get
        if not get("kind"):
            record["kind"] = "level" if record["name"] in LEVEL_COUNTERS else "flow"
        if not get("source"):
            record["source"] = source
        _attributes(record, index, problems)
    return problems


NUL_MESSAGE = "text must not contain a NUL character (\\u0000)"


def _nul_problems(records: list[dict[str, Any]]) -> list[Problem]:
    """Text holding a NUL character: PostgreSQL cannot store one, and no one means to send it.

    A JSON body can only carry one escaped (`\\u0000`), so the API runs this only for a body
    that holds that escape; files and other callers always run it.
    """
    problems: list[Problem] = []
    for index, record in enumerate(records):
        for name, value in record.items():
            if type(value) is str:
                if "\x00" in value:
                    problems.append((index, name, NUL_MESSAGE))
            elif name == "attributes" and value:
                problems.extend(
                    (index, f"attributes.{key}", NUL_MESSAGE)
                    for key, item in value.items()
                    if type(item) is str and "\x00" in item
                )
    return problems


def _problems(
    kind: str, records: list[dict[str, Any]], source: str, *, scan_nul: bool
) -> list[Problem]:
    """The finishing pass's problems (which also fills the defaults), by record."""
    problems = _FINISH[kind](records, source)
    if scan_nul:
        problems += _nul_problems(records)
        problems.sort(key=lambda problem: problem[0])
    return problems


# --- validation ----------------------------------------------------------------------------

RecordKind = Literal["responses", "tickets", "metrics"]

#: Each kind's shape (documented in the API's OpenAPI schema) and its finishing pass.
SHAPES: dict[str, type[Any]] = {
    "responses": ResponseIn,
    "tickets": TicketIn,
    "metrics": CounterIn,
}
_FINISH: dict[str, Callable[[list[dict[str, Any]], str], list[Problem]]] = {
    "responses": _finish_responses,
    "tickets": _finish_tickets,
    "metrics": _finish_counters,
}


@cache
def _adapter(kind: str) -> TypeAdapter[list[dict[str, Any]]]:
    return TypeAdapter(list[SHAPES[kind]])  # type: ignore[valid-type]


def fields(kind: str) -> frozenset[str]:
    """The fields a record of this kind may carry."""
    return frozenset(SHAPES[kind].__annotations__)


def validate_rows(kind: str, records: Sequence[Any], *, source: str) -> list[dict[str, Any]]:
    """Validate records into rows to store; `source` is the default for those naming none.

    Raises pydantic's `ValidationError`: each error's `loc` starts with the record's index in
    `records`, then names the field at fault; errors come in the records' order, those of the
    rules across fields with the others.
    """
    try:
        rows = _adapter(kind).validate_python(records)
    except ValidationError as exc:
        raise _with_rules(kind, records, exc, source, scan_nul=True) from None
    return _finished(kind, rows, source, indexed=True, scan_nul=True)


def validate_row(kind: str, record: Any, *, source: str) -> dict[str, Any]:
    """Validate one record into the row to store (errors' `loc` names the field)."""
    row = _single_adapter(kind).validate_python(record)
    return _finished(kind, [row], source, indexed=False, scan_nul=True)[0]


def validate_json_rows(
    kind: str, body: bytes, *, source: str, max_items: int
) -> list[dict[str, Any]]:
    """Validate a JSON body, one record or an array of at most `max_items`, into rows.

    pydantic-core parses the body itself, straight into the records (no intermediate Python
    objects). Errors are pydantic's:
    `json_invalid` for a body that is not JSON, `too_long` for too many records, `list_type` for
    a body that is neither an object nor an array; for a single object, `loc` has no index.
    """
    scan_nul = b"\\u0000" in body  # JSON text cannot hold a NUL otherwise
    if body.lstrip()[:1] == b"{":
        row = _single_adapter(kind).validate_json(body)
        return _finished(kind, [row], source, indexed=False, scan_nul=scan_nul)
    try:
        rows = _json_adapter(kind, max_items).validate_json(body)
    except ValidationError as exc:
        if not _item_errors(exc):
            raise
        raise _with_rules(kind, from_json(body), exc, source, scan_nul=scan_nul) from None
    return _finished(kind, rows, source, indexed=True, scan_nul=scan_nul)


@cache
def _single_adapter(kind: str) -> TypeAdapter[dict[str, Any]]:
    return TypeAdapter(SHAPES[kind])


@cache
def _json_adapter(kind: str, max_items: int) -> TypeAdapter[list[dict[str, Any]]]:
    many: Any = Annotated[list[SHAPES[kind]], Field(max_length=max_items)]  # type: ignore[valid-type]
    return TypeAdapter(many)


def _item_errors(exc: ValidationError) -> set[int]:
    """The indexes of the records a list validation refused."""
    return {e["loc"][0] for e in exc.errors() if e["loc"] and isinstance(e["loc"][0], int)}


def _with_rules(
    kind: str, records: Sequence[Any], exc: ValidationError, source: str, *, scan_nul: bool
) -> ValidationError:
    """The shape errors of a batch, with those of the rules across fields of the records that
    had their shape, in the records' order (so the first error is the first bad record)."""
    bad = _item_errors(exc)
    if not bad:
        return exc
    good = [i for i in range(len(records)) if i not in bad]
    shaped = _adapter(kind).validate_python([records[i] for i in good])
    details = [
        InitErrorDetails(
            type=e["type"]
            if e["type"] in _BUILTIN_ERRORS
            else PydanticCustomError(e["type"], e["msg"]),
            loc=e["loc"],
            input=e["input"],
            ctx=e.get("ctx", {}),
        )
        for e in exc.errors()
    ]
    details += [
        _rule_error((good[index], field), shaped[index].get(field), message)
        for index, field, message in _problems(kind, shaped, source, scan_nul=scan_nul)
    ]
    details.sort(key=lambda detail: detail["loc"][0] if detail["loc"] else -1)
    return ValidationError.from_exception_data(kind, details)


#: The error types pydantic-core can rebuild by name; ours (`attribute_value`) are rebuilt
#: from their message.
_BUILTIN_ERRORS = frozenset(get_args(cs.ErrorType))


def _rule_error(loc: tuple[int | str, ...], value: Any, message: str) -> InitErrorDetails:
    return InitErrorDetails(
        type="value_error", loc=loc, input=value, ctx={"error": ValueError(message)}
    )


def _finished(
    kind: str, rows: list[dict[str, Any]], source: str, *, indexed: bool, scan_nul: bool
) -> list[dict[str, Any]]:
    """Rows once the rules across fields hold and the defaults are in; otherwise a
    `ValidationError` naming each record (when `indexed`) and field at fault."""
    problems = _problems(kind, rows, source, scan_nul=scan_nul)
    if problems:
        raise ValidationError.from_exception_data(
            kind,
            [
                _rule_error(
                    (index, field) if indexed else (field,), rows[index].get(field), message
                )
                for index, field, message in problems
            ],
        )
    return rows


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON schema of one record of this kind, for the API's documentation."""
    return TypeAdapter(SHAPES[kind]).json_schema(ref_template="#/components/schemas/{model}")
