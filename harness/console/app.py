"""The console's web app: pages rendered on the server (escaped), one stream of the jobs'
states for the page to follow, and the actions, each refused unless the request comes from
the console's own page (its Host and its Origin: no other site, and no DNS rebinding)."""

import json
import time
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any

import jinja2
from botocore.exceptions import ClientError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect, secure_filename
from werkzeug.wrappers import Request, Response

from harness.client.pipeline import NoSuchJob
from harness.console.data import ConsoleData
from harness.errors import BadInput
from harness.paths import PACKAGE

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(PACKAGE / "console" / "templates"),
    autoescape=True,  # object keys, CSV values and log lines are user data
)
STATIC = PACKAGE / "console" / "static"
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css"}
NO_CACHE = {"Cache-Control": "no-cache"}
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
ROUTES = Map(
    [
        Rule("/", endpoint="index", methods=["GET"]),
        Rule("/events", endpoint="events", methods=["GET"]),
        Rule("/timeline", endpoint="timeline", methods=["GET"]),
        Rule("/jobs/<job_id>", endpoint="job", methods=["GET"]),
        Rule("/jobs/<job_id>/log", endpoint="log", methods=["GET"]),
        Rule("/jobs/<job_id>/<any(cancel, terminate):action>", endpoint="stop", methods=["POST"]),
        Rule("/items", endpoint="items", methods=["GET"]),
        Rule("/trigger", endpoint="trigger", methods=["GET"]),
        Rule("/upload", endpoint="upload", methods=["POST"]),
        Rule("/faults", endpoint="add_fault", methods=["POST"]),
        Rule("/faults/clear", endpoint="clear_faults", methods=["POST"]),
        Rule("/static/<name>", endpoint="static", methods=["GET"]),
    ]
)


class ConsoleApp:
    """The WSGI app; `port`: the one it is served on, the only one its pages come from."""

    def __init__(self, data: ConsoleData, port: int) -> None:
        self.data = data
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as error:
            response = error.get_response()
        except BadInput as error:  # a fault rule or a page token the console cannot take
            response = Response(str(error), status=HTTPStatus.BAD_REQUEST, mimetype="text/plain")
        except ClientError as error:  # the cloud refused an action: AWS's own words
            answer = error.response["Error"]
            text = f"{answer.get('Code')}: {answer.get('Message')}"
            response = Response(text, status=HTTPStatus.BAD_REQUEST, mimetype="text/plain")
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.host not in self.hosts:
            return refused(f"Host {request.host!r} is not the console's own")
        if request.method != "GET" and request.headers.get("Origin") not in {
            f"http://{host}" for host in self.hosts
        }:
            return refused("an action must come from the console's own page (Origin)")
        endpoint, arguments = ROUTES.bind_to_environ(request.environ).match()
        return getattr(self, f"on_{endpoint}")(request, **arguments)

    def on_index(self, request: Request) -> Response:
        jobs, total = self.data.jobs()
        return page(
            "index.html",
            overview=self.data.overview(),
            uploads=self.data.uploads([job["jobId"] for job in jobs]),
            jobs=jobs,
            total=total,
            uploaded=request.args.get("uploaded"),
        )

    def on_timeline(self, request: Request) -> Response:
        return page("timeline.html", timeline=self.data.timeline())

    def on_items(self, request: Request) -> Response:
        key, source = request.args.get("key"), request.args.get("source")
        if key:
            found = self.data.item(key)
            return page("items.html", key=key, items=[found] if found else [], next=None)
        items = self.data.items(source=source, after=request.args.get("after"))
        return page("items.html", source=source, items=items.items, next=items.next)

    def on_trigger(self, request: Request) -> Response:
        return page("trigger.html", log=self.data.trigger_log())

    def on_job(self, request: Request, job_id: str) -> Response:
        try:
            shown = self.data.job(job_id)
        except NoSuchJob as error:
            raise NotFound(str(error)) from error
        return page("job.html", **shown)

    def on_events(self, request: Request) -> Response:
        return Response(self._job_states(), mimetype="text/event-stream", headers=NO_CACHE)

    def on_log(self, request: Request, job_id: str) -> Response:
        return Response(self._log_lines(job_id), mimetype="text/event-stream", headers=NO_CACHE)

    def _job_states(self) -> Iterator[bytes]:
        """Every change of the jobs' states (and reasons), as server-sent events."""
        last, quiet_since = None, time.monotonic()
        while True:
            shown, total = self.data.jobs()
            jobs = json.dumps({"jobs": shown, "total": total})
            if jobs != last:
                last, quiet_since = jobs, time.monotonic()
                yield f"data: {jobs}\n\n".encode()
            elif time.monotonic() - quiet_since > HEARTBEAT_SECONDS:
                quiet_since = time.monotonic()
                yield b": still here\n\n"
            time.sleep(POLL_SECONDS)

    def on_upload(self, request: Request) -> Response:
        file = request.files.get("file")
        filename = secure_filename(file.filename or "") if file else ""
        if not file or not filename:
            return Response("choose a file to upload", status=HTTPStatus.BAD_REQUEST)
        key = self.data.upload(filename, file.read())
        return redirect(f"/?uploaded={key}", code=HTTPStatus.SEE_OTHER)

    def _log_lines(self, job_id: str) -> Iterator[bytes]:
        """A job's log as it is written (one event per line), then an `end` event with the
        job's final state and reason."""
        for line in self.data.follow(job_id):
            yield f"data: {json.dumps(line)}\n\n".encode()
        yield f"event: end\ndata: {json.dumps(self.data.state(job_id))}\n\n".encode()

    def on_stop(self, request: Request, job_id: str, action: str) -> Response:
        self.data.stop(job_id, terminate=action == "terminate")
        return redirect(f"/jobs/{job_id}", code=HTTPStatus.SEE_OTHER)

    def on_add_fault(self, request: Request) -> Response:
        self.data.add_fault(request.form.to_dict())
        return redirect("/#faults", code=HTTPStatus.SEE_OTHER)

    def on_clear_faults(self, request: Request) -> Response:
        self.data.clear_faults()
        return redirect("/#faults", code=HTTPStatus.SEE_OTHER)

    def on_static(self, request: Request, name: str) -> Response:
        path = STATIC / name
        if path.suffix not in STATIC_TYPES or not path.is_file():
            raise NotFound(name)
        return Response(path.read_bytes(), mimetype=STATIC_TYPES[path.suffix])


def page(template: str, **values: Any) -> Response:
    body = TEMPLATES.get_template(template).render(**values)
    return Response(body, mimetype="text/html", headers=NO_CACHE)


def refused(why: str) -> Response:
    return Response(f"refused: {why}", status=HTTPStatus.FORBIDDEN, mimetype="text/plain")
