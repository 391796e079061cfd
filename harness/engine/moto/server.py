"""The embedded engine's process: moto's server with the Batch stand-in on the same endpoint.

One edge endpoint serves every service, Batch included: requests signed for `batch` go to
the stand-in, all others to moto. Clients then need only AWS_ENDPOINT_URL, which is also
the one variable moto gives the Lambda functions it runs, so the unchanged trigger reaches
the stand-in without configuration of its own.

Run: python -m harness.engine.moto.server --port 4566   (binds 127.0.0.1 unless told)
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading
from typing import Any

from werkzeug.serving import make_server

HEALTH_PATH = "/_harness/health"


def build_app(endpoint: str, account_id: str) -> Any:
    # moto reads these settings when it is imported and when functions run.
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from harness.batch.responses import is_batch_request
    from harness.batch.service import BatchService
    from harness.engine.moto import cloudformation, patches

    patches.apply()
    batch = BatchService(account_id, endpoint)
    cloudformation.install(batch)
    moto_app = DomainDispatcherApplication(create_backend_app)
    batch_app = batch.app()

    def edge(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"engine": "moto", "batch": "stand-in"}).encode()]
        if is_batch_request(environ):
            return batch_app(environ, start_response)
        return moto_app(environ, start_response)

    return edge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    os.environ["MOTO_PORT"] = str(args.port)
    account_id = os.environ.setdefault("MOTO_ACCOUNT_ID", "000000000000")
    app = build_app(f"http://{args.host}:{args.port}", account_id)
    server = make_server(args.host, args.port, app, threaded=True)
    # shutdown() waits for serve_forever() to return, so it cannot run on this thread.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    logging.getLogger("harness.engine").info("serving on http://%s:%d", args.host, args.port)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
