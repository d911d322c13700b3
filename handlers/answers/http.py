"""The KPI API: `GET /api/v1/kpis` (the catalogue) and `GET /api/v1/kpis/{key}` (an answer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from handlers.answers.service import UnknownAttribute, UnknownKpi, answer
from handlers.deps import Deps
from handlers.formatting import to_json
from handlers.http.auth import check_token
from kpis.catalogue import CATALOGUE
from kpis.periods import EXAMPLES, EXPLICIT_EXAMPLES, PeriodError, UnknownTimezone
from kpis.question import DEFAULT_TOP, Question, QuestionError, checked, parse_filters


def _bad(message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": message, **extra}, status_code=400)


def router(deps: Deps) -> APIRouter:
    """The KPI routes, bound to the app's dependencies."""
    api = APIRouter(prefix="/api/v1", tags=["kpis"])

    @api.get("/kpis", summary="The KPI catalogue")
    def catalogue(request: Request) -> JSONResponse:
        refusal = check_token(deps, request)
        if refusal is not None:
            return refusal
        return JSONResponse(
            [
                {
                    "key": k.key,
                    "name": k.name_en,
                    "name_fr": k.name_fr,
                    "family": k.family,
                    "unit": k.unit,
                    "direction": k.direction,
                    "definition": k.definition,
                    "aliases": list(k.aliases),
                }
                for k in CATALOGUE
            ]
        )

    @api.get("/kpis/{key}", summary="A KPI over a period, with comparison, n and CI")
    async def kpi(
        request: Request,
        key: str,
        period: str | None = None,
        filter: Annotated[list[str] | None, Query()] = None,
        by: str | None = None,
        top: Annotated[int, Query(ge=1, le=50)] = DEFAULT_TOP,
        tz: str | None = None,
    ) -> JSONResponse:
        refusal = check_token(deps, request)
        if refusal is not None:
            return refusal
        try:
            filters = parse_filters(filter or [], refusal="bad_api_filter")
            question = checked(Question(key, period, filters, by, top))
            result = await run_in_threadpool(answer, deps=deps, question=question, tz=tz)
        except UnknownKpi as exc:
            return _bad(str(exc), suggestions=exc.suggestions, catalogue="/api/v1/kpis")
        except PeriodError as exc:
            return _bad(str(exc), accepted=[*EXAMPLES, *EXPLICIT_EXAMPLES])
        except UnknownAttribute as exc:
            return _bad(str(exc), suggestions=exc.suggestions, known=exc.known)
        except (QuestionError, UnknownTimezone) as exc:
            return _bad(str(exc))
        return JSONResponse(to_json(result))

    return api
