"""The console's web app without a cloud (its data from a stand-in object): only its own Host,
actions only from its own Origin, user data escaped, and bad input answered with what is wrong."""

import io

from werkzeug.test import Client

from harness.client.job_records import job_record
from harness.console.app import ConsoleApp
from harness.console.data import untoken
from harness.console.timeline import Shown, timeline
from harness.errors import BadInput

MARKUP = "<img src=x onerror=alert(1)>"

PORT = 4580
OWN = f"http://127.0.0.1:{PORT}"
JOB = {"jobId": "j1", "jobName": MARKUP, "status": "RUNNABLE", "createdAt": 1796292000000}


class Data:
    """What ConsoleData would return, with user data holding markup."""

    def __init__(self) -> None:
        self.uploaded: list[str] = []

    def overview(self) -> dict:
        outputs = {"bucket": "b", "upload_prefix": "uploads/"}
        capacity = {"name": "env", "state": "ENABLED", "max_vcpus": 16, "vcpus_in_use": 1.0}
        return {
            "engine": "moto",
            "endpoint": "e",
            "stack": {"name": "s", "status": "CREATE_COMPLETE"},
            "outputs": outputs,
            "capacity": capacity,
            "iam_enforced": None,
            "fault_rules": [],
        }

    def uploads(self, job_ids: list[str]) -> list[dict]:
        job = job_record(JOB, {})
        return [{"key": f"uploads/{MARKUP}.csv", "size": 1, "modified": "t", "jobs": [job]}]

    def jobs(self) -> tuple[list[dict], int]:
        return [job_record(JOB, {"j1": "waiting on <b>j0</b> (RUNNING)"})], 1

    def timeline(self):
        return timeline([Shown(JOB)], now_ms=JOB["createdAt"] + 1000)

    def items(self, source=None, after=None):
        untoken(after) if after else None
        raise AssertionError("a page token that is not one is refused before the table is read")

    def add_fault(self, form: dict[str, str]) -> dict:
        raise BadInput("a rule has exactly one of error, latency_ms, unprocessed")

    def upload(self, filename: str, body: bytes) -> str:
        self.uploaded.append(filename)
        return f"uploads/{filename}"


def client() -> tuple[Client, Data]:
    data = Data()
    return Client(ConsoleApp(data, PORT)), data  # type: ignore[arg-type]


def test_user_data_is_escaped_in_the_page():
    page = client()[0].get("/", base_url=OWN).text

    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page
    assert "waiting on &lt;b&gt;j0&lt;/b&gt; (RUNNING)" in page
    assert "uploads/&lt;img src=x onerror=alert(1)&gt;.csv" in page


def test_user_data_is_escaped_in_the_timelines_drawing():
    page = client()[0].get("/timeline", base_url=OWN).text

    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page


def test_a_rule_the_engine_refuses_is_answered_with_why():
    answer = client()[0].post(
        "/faults", base_url=OWN, data={"service": "s3"}, headers={"Origin": OWN}
    )

    assert answer.status_code == 400
    assert answer.text == "a rule has exactly one of error, latency_ms, unprocessed"


def test_a_page_token_that_is_not_one_is_refused():
    answer = client()[0].get("/items?after=not-a-token", base_url=OWN)

    assert answer.status_code == 400
    assert "not a page token of the console" in answer.text


def test_another_host_is_refused_even_for_a_page():
    answer = client()[0].get("/", base_url=f"http://attacker.example:{PORT}")

    assert answer.status_code == 403
    assert "not the console's own" in answer.text


def test_an_action_needs_the_consoles_own_origin():
    console, data = client()

    def upload(headers: dict[str, str]):
        form = {"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")}
        return console.post("/upload", base_url=OWN, data=form, headers=headers)

    foreign, without, own = upload({"Origin": "http://a.b"}), upload({}), upload({"Origin": OWN})

    assert (foreign.status_code, without.status_code, own.status_code) == (403, 403, 303)
    assert data.uploaded == ["x.csv"]
    assert own.headers["Location"].endswith("/?uploaded=uploads/x.csv")
