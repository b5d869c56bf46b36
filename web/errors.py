"""One error shape: JSON under /api/, a friendly Polish page elsewhere."""

from __future__ import annotations

from flask import jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException, InternalServerError

from search.budget import SearchTimeout
from search.engine import IndexUnavailableError
from search.request import PageOutOfRange, QueryError
from search.store import IndexIncompatibleError

MESSAGES_PL = {
    400: "Nieprawidłowe zapytanie.",
    404: "Nie znaleziono strony.",
    405: "Ta metoda nie jest obsługiwana.",
    500: "Wystąpił błąd serwera. Spróbuj ponownie za chwilę.",
    503: "Wyszukiwarka jest chwilowo niedostępna: indeks nie jest gotowy.",
    "timeout": "Wyszukiwanie trwało zbyt długo i zostało przerwane. Spróbuj prostszego zapytania.",
    "index_incompatible": "Wyszukiwarka jest chwilowo niedostępna: indeks trzeba przebudować.",
}


def error_body(status: int, code: str, message: str, parameter: str | None = None) -> dict:
    """The body of every API error."""
    error = {"status": status, "code": code, "message": message}
    if parameter:
        error["parameter"] = parameter
    return {"error": error}


def _respond(status: int, code: str, message: str, parameter: str | None = None):
    if request.path.startswith("/api/"):
        response = jsonify(error_body(status, code, message, parameter))
        response.status_code = status
        return response
    text = MESSAGES_PL.get(code) or (MESSAGES_PL.get(status, message) if status != 400 else message)
    return render_template("error.html", status=status, message=text), status


def init_app(app) -> None:
    @app.errorhandler(PageOutOfRange)
    def past_the_end(exc: PageOutOfRange):
        args = {k: v for k, v in request.args.items() if k != "page"}
        if exc.last > 1:
            args["page"] = exc.last
        if request.path.startswith("/api/"):
            response = jsonify(error_body(404, "page_out_of_range", exc.message, "page"))
            response.status_code = 404
            response.headers["Link"] = f'<{url_for("api.search", **args)}>; rel="last"'
            return response
        last = url_for("views.index", **args)
        text = f"Nie ma strony {exc.page}: wyniki kończą się na stronie {exc.last}."
        return render_template("error.html", status=404, message=text, link=last,
                               link_label="Przejdź do ostatniej strony wyników"), 404  # fmt: skip

    @app.errorhandler(QueryError)
    def bad_query(exc: QueryError):
        code = "invalid_parameter" if exc.parameter else "invalid_query"
        return _respond(400, code, exc.message, exc.parameter)

    @app.errorhandler(IndexUnavailableError)
    def no_index(exc: IndexUnavailableError):
        app.logger.error("index unavailable: %s", exc)
        return _respond(503, "index_unavailable", "The search index is not available yet.")

    @app.errorhandler(IndexIncompatibleError)
    def incompatible(exc: IndexIncompatibleError):
        app.logger.error("%s", exc)
        return _respond(503, "index_incompatible", str(exc))

    @app.errorhandler(SearchTimeout)
    def timeout(exc: SearchTimeout):
        app.logger.warning("search over budget: %s", request.full_path[:300])
        response = _respond(503, "timeout", str(exc))
        response = app.make_response(response)
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return _respond(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return _respond(500, "internal_error", InternalServerError.description)
