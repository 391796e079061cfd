"""The console's web app without a cloud (its data from a stand-in object): only its own Host,
actions only from its own Origin, and user data escaped."""

import io

from werkzeug.test import Client

from harness.client.job_records import job_record
from harness.console.app import ConsoleApp

PORT = 4580
OWN = f"http://127.0.0.1:{PORT}"


class Data:
    """What ConsoleData would return, with user data holding markup."""

    def __init__(self) -> None:
        self.uploads: list[str] = []

    def overview(self) -> dict:
        outputs = {"bucket": "b", "upload_prefix": "uploads/"}
        return {"engine": "moto", "endpoint": "e", "outputs": outputs, "fault_rules": []}

    def jobs(self) -> list[dict]:
        job = {
            "jobId": "j1",
            "jobName": "<img src=x onerror=alert(1)>",
            "status": "RUNNABLE",
            "createdAt": 1796292000000,
        }
        return [job_record(job, {"j1": "waiting on <b>j0</b> (RUNNING)"})]

    def upload(self, filename: str, body: bytes) -> str:
        self.uploads.append(filename)
        return f"uploads/{filename}"


def client() -> tuple[Client, Data]:
    data = Data()
    return Client(ConsoleApp(data, PORT)), data  # type: ignore[arg-type]


def test_user_data_is_escaped_in_the_page():
    page = client()[0].get("/", base_url=OWN).text

    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page
    assert "waiting on &lt;b&gt;j0&lt;/b&gt; (RUNNING)" in page


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
    assert data.uploads == ["x.csv"]
    assert own.headers["Location"].endswith("/?uploaded=uploads/x.csv")
