"""Invoke a Lambda handler once: invoke.py MODULE.FUNCTION EVENT_JSON.

Prints the handler's result as JSON on the last line of stdout and exits 0, or prints the
traceback to stderr, an error object on the last line of stdout, and exits 1.
"""

import importlib
import json
import os
import sys
import time
import traceback
import uuid

sys.path.insert(0, "/var/task")


class Context:
    def __init__(self) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = (
            f"arn:aws:lambda:local:000000000000:function:{self.function_name}"
        )
        self._deadline = time.monotonic() + float(
            os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3")
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> int:
    # The Lambda runtime sets both; boto3 reads only AWS_DEFAULT_REGION.
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    handler_name, event_json = sys.argv[1], sys.argv[2]
    module_name, function_name = handler_name.rsplit(".", 1)
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        result = handler(json.loads(event_json), Context())
    except Exception as error:
        traceback.print_exc()
        sys.stdout.flush()
        print(json.dumps({"errorMessage": str(error), "errorType": type(error).__name__}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
