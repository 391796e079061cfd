"""moto's WSGI apps, as the edges serve them: every service behind one endpoint, or one."""

from typing import Any

from harness.engine.moto import internals

WERKZEUG_APP = "moto.moto_server.werkzeug_app"


def with_raw_uri(app: Any) -> Any:
    """moto reads the request's path as sent, before percent-decoding, from RAW_URI (set by
    werkzeug's server); waitress gives it as REQUEST_URI."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        environ.setdefault("RAW_URI", environ.get("REQUEST_URI", ""))
        return app(environ, start_response)

    return wrapped


def every_service() -> Any:
    """moto's services, each request dispatched by its signature or host."""
    dispatcher = internals.get(WERKZEUG_APP, "DomainDispatcherApplication")
    return with_raw_uri(dispatcher(internals.get(WERKZEUG_APP, "create_backend_app")))


def one_service(service: str) -> Any:
    """moto's app for `service` alone (the LocalStack edge serves ECR from it)."""
    return with_raw_uri(internals.get(WERKZEUG_APP, "create_backend_app")(service))
