"""Typeform: `form_response` webhooks, and the responses export (`--preset typeform`).

Signature: `Typeform-Signature: sha256=` + base64 HMAC-SHA256 of the raw body with the webhook's
secret (developer.typeform.com, "Secure your webhooks"). A form does not say which question is
the score or which survey it is: the webhook URL does (`/webhooks/typeform?survey=nps&field=REF
&scale_max=10&comment=REF`).

- `survey` (required): nps, csat, ces or enps;
- `field`: the scored question's `ref` or `id`; without it, the first `opinion_scale`, `nps` or
  `rating` answer. A `yes_no` (or `legal`) question is a binary CSAT or CES: yes 2, no 1 on 1–2;
- `scale_max`: the scale's top (default 10 for NPS, 5 for CSAT, 7 for CES; Typeform does not
  send it);
- `comment`: the comment question's `ref` or `id`; without it, the first `long_text` answer.

The response's `token` is its external id, `submitted_at` its time; hidden fields become
attributes, the `customer_id` hidden field (else the first email answer) its customer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from handlers.connectors.base import Connector, Ignored, Outcome, Received, Records, Unreadable
from handlers.connectors.fields import (
    at,
    attributes,
    b64,
    expect_signature,
    hmac_digest,
    ident,
    instant,
    listed,
    mapping,
    scale_of,
    text,
)
from handlers.connectors.presets import Columns, Options, Preset, cell, local_instant
from handlers.ingest.files import ColumnError, Row

SURVEYS = ("nps", "csat", "ces", "enps")
#: The question types scored without `?field=`.
SCORED = ("opinion_scale", "nps", "rating")
#: Yes/no questions: a binary CSAT or CES.
BINARY = ("yes_no", "legal")


def survey_of(query: Mapping[str, str]) -> str:
    """The survey kind the webhook URL names."""
    survey = (query.get("survey") or "").strip().lower()
    if not survey:
        raise Unreadable("the webhook URL needs ?survey=nps, csat, ces or enps", "survey")
    if survey not in SURVEYS:
        raise Unreadable(f"?survey={survey} is not one of {', '.join(SURVEYS)}", "survey")
    return survey


#: The export's own columns, which are neither questions nor hidden fields.
_META = {"#", "response type", "start date", "stage date", "submit date", "network id", "tags"}
_HIDDEN = re.compile(r"[a-z_][a-z0-9_]{0,63}")


def _export_rows(columns: Columns, options: Options) -> Callable[[Row], dict[str, Any] | None]:
    """Typeform's responses download: `#` (the response token, as the webhook sends it),
    `Submit Date (UTC)`, `Response Type` (partial responses are skipped), one column per
    question (the scored one named with `--map 'QUESTION=score'`) and per hidden field."""
    if options.survey is None:
        raise ColumnError(None, "the typeform preset needs --survey nps, csat, ces or enps")
    score = options.column_of("score")
    if score is None:
        raise ColumnError(
            None, "the typeform preset needs the scored question: --map 'QUESTION TITLE=score'"
        )
    token = columns.need("typeform", "#")
    submitted = columns.need("typeform", "Submit Date")
    kind = columns.find("Response Type")
    scored = columns.find(score)
    tags = columns.find("Tags")
    hidden = [
        (i, name.strip())
        for i, name in enumerate(columns.header)
        if _HIDDEN.fullmatch(name.strip())
        and name.strip() not in _META
        and name.strip() not in options.mapped
    ]
    zone = columns.zone(submitted, UTC)

    def row(values: Row) -> dict[str, Any] | None:
        if (cell(values, kind) or "completed").lower() != "completed" or not cell(values, scored):
            return None
        at = cell(values, submitted)
        if at is None:
            return None
        extra = {name: cell(values, i) for i, name in hidden}
        customer = extra.pop("customer_id", None)
        return {
            "external_id": cell(values, token),
            "survey": options.survey,
            "scale_max": options.scale_max,
            "customer_id": customer,
            "submitted_at": local_instant(at, "Submit Date", zone),
            "attributes": {**{k: v for k, v in extra.items() if v}, "tags": cell(values, tags)},
        }

    return row


class Typeform(Connector):
    name = "typeform"
    title = "Typeform"
    setting = "KPIBOT_TYPEFORM_SECRET"
    settings_field = "typeform_secret"
    preset = Preset(
        name="typeform",
        kind="responses",
        source="typeform",
        rows=_export_rows,
        about="Typeform's responses download (CSV): `#`, `Submit Date (UTC)`, one column per "
        "question and hidden field; name the scored question with --map 'QUESTION=score'",
        skips="partial responses and responses without a score",
    )

    def verify(self, received: Received, secret: str) -> None:
        expected = "sha256=" + b64(hmac_digest(secret, received.body, "sha256"))
        expect_signature(received.header("Typeform-Signature"), expected, "Typeform-Signature")

    def delivery_id(self, received: Received, payload: Any) -> str | None:
        return text(at(payload, "event_id", None), "event_id")

    def read(self, received: Received, payload: Any) -> Outcome:
        event = at(payload, "event_type", None)
        if event != "form_response":
            return Ignored(f"event type {event!r} is not a form response")
        survey = survey_of(received.query)
        response = mapping(payload, "form_response")
        token = ident(at(response, "token", under="form_response"), "form_response.token")
        submitted = instant(
            at(response, "submitted_at", under="form_response"), "form_response.submitted_at"
        )
        answers = listed(response, "answers")
        fields = listed(response, "definition.fields")
        scored = self._scored(received.query, fields, answers)
        if isinstance(scored, Ignored):
            return scored
        index, answer = scored
        score, binary = self._score(answer, f"form_response.answers.{index}", survey)
        hidden = {str(k): v for k, v in mapping(response, "hidden").items()}
        customer = text(hidden.pop("customer_id", None), "form_response.hidden.customer_id")
        if customer is None:
            customer = next((text(a.get("email"), "email") for a in _typed(answers, "email")), None)
        scale = 2 if binary else scale_of(received.query)
        record: dict[str, Any] = {
            "external_id": token,
            "survey": survey,
            "score": score,
            "scale_max": scale,
            "comment": self._comment(received.query, fields, answers),
            "customer_id": customer,
            "submitted_at": submitted,
            "attributes": {
                **attributes(hidden),
                "form_id": text(at(response, "form_id", None), "form_response.form_id"),
            },
            "event_at": submitted,
        }
        return Records(responses=(record,))

    def _scored(
        self, query: Mapping[str, str], fields: list[Any], answers: list[Any]
    ) -> tuple[int, Mapping[str, Any]] | Ignored:
        """The scored answer (with its index), or Ignored when the respondent skipped it."""
        wanted = (query.get("field") or "").strip()
        if wanted:
            ids = _field_ids(fields, answers, wanted)
            if not ids:
                raise Unreadable(f"the form has no question whose ref or id is {wanted!r}", "field")
            for index, answer in enumerate(answers):
                if isinstance(answer, Mapping) and _id(_field(answer)) in ids:
                    return index, answer
            return Ignored(f"the response does not answer question {wanted!r}")
        for index, answer in enumerate(answers):
            if isinstance(answer, Mapping) and _field(answer).get("type") in SCORED:
                return index, answer
        if any(isinstance(f, Mapping) and f.get("type") in SCORED for f in fields):
            return Ignored("the response does not answer the scored question")
        raise Unreadable(
            "the form has no opinion scale, NPS or rating question: name the scored one with "
            "?field=REF",
            "field",
        )

    @staticmethod
    def _score(answer: Mapping[str, Any], path: str, survey: str) -> tuple[int, bool]:
        """(score, whether it is a yes/no answer)."""
        kind = answer.get("type")
        if kind == "number":
            value = answer.get("number")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise Unreadable("is not a number", f"{path}.number")
            if not float(value).is_integer():
                raise Unreadable(f"{value} is not a whole number", f"{path}.number")
            return int(value), False
        if kind == "boolean" and isinstance(answer.get("boolean"), bool):
            if survey not in ("csat", "ces"):
                raise Unreadable(f"a yes/no answer cannot be a {survey} score", path)
            return (2 if answer["boolean"] else 1), True
        raise Unreadable(f"an answer of type {kind!r} is not a score", path)

    @staticmethod
    def _comment(query: Mapping[str, str], fields: list[Any], answers: list[Any]) -> str | None:
        wanted = (query.get("comment") or "").strip()
        if wanted:
            ids = _field_ids(fields, answers, wanted)
            chosen = [a for a in answers if isinstance(a, Mapping) and _id(_field(a)) in ids]
        else:
            chosen = [a for a in _typed(answers, "long_text", by_field=True)]
        for answer in chosen:
            if answer.get("type") == "text":
                return text(answer.get("text"), "text")
        return None


def _id(found: Mapping[str, Any]) -> str | None:
    """A question's id (a string as Typeform sends it; anything else is no id)."""
    value = found.get("id")
    return value if isinstance(value, str) else None


def _field(answer: Mapping[str, Any]) -> Mapping[str, Any]:
    found = answer.get("field")
    return found if isinstance(found, Mapping) else {}


def _typed(answers: list[Any], kind: str, *, by_field: bool = False) -> list[Mapping[str, Any]]:
    """The answers of a type (`email`), or whose question is of a type (`long_text`)."""
    return [
        a
        for a in answers
        if isinstance(a, Mapping) and (_field(a).get("type") if by_field else a.get("type")) == kind
    ]


def _field_ids(fields: list[Any], answers: list[Any], wanted: str) -> set[str]:
    """The ids of the questions a `ref` or `id` names (answers carry ids, sometimes refs)."""
    questions = [f for f in fields if isinstance(f, Mapping)]
    questions += [_field(a) for a in answers if isinstance(a, Mapping)]
    return {
        found
        for question in questions
        if wanted in (question.get("ref"), question.get("id")) and (found := _id(question))
    }


CONNECTOR = Typeform()
