"""The console in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium with the driver's path given, so nothing is downloaded), against the session's local
cloud: an upload through the page, its job followed to SUCCEEDED without a reload, its log
and its 12 items; a waiting job cancelled from its page; a CSV value holding a script shown
as text; requests from another site or for another host refused. Each page's screenshot is
written to .cache/test-artifacts/console/."""

import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from harness.client.pipeline import Pipeline
from harness.paths import CACHE, REPO
from harness.waiting import wait_until
from tests.integration.helpers import a_job_waiting_on_another, csv_bytes, free_port

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
NO_BROWSER = (
    "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
)
ARTIFACTS = CACHE / "test-artifacts" / "console"
WAIT_SECONDS = 60

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and DRIVER.exists()) or shutil.which("chromedriver") is None,
    reason=NO_BROWSER,
)


@pytest.fixture(scope="module")
def console(local_cloud, tmp_path_factory) -> Iterator[str]:
    """`harness console` for the session's cloud, on a port of its own; its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("console") / "console.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "harness", "console", "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        answering = wait_until(
            lambda: status_of(urllib.request.Request(url)) == 200 or None, 30, interval=0.2
        )
        assert answering, log.read_text()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,1000")
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def status_of(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def state_of(browser, job_id: str) -> str | None:
    """The state the page shows for the job, read in one step (its rows are replaced as the
    states change)."""
    return browser.execute_script(
        "const cell = document.querySelector(`tr[data-job='${arguments[0]}'] td.state`);"
        "return cell ? cell.textContent : null;",
        job_id,
    )


def uploaded_through_the_page(browser, console: str, path: Path, pipeline: Pipeline) -> dict:
    """Upload `path` with the page's form; the job it started, once the page shows it ended
    (the page is not reloaded meanwhile)."""
    browser.get(console)
    browser.find_element(By.ID, "file").send_keys(str(path))
    before = {job["jobId"] for job in pipeline.jobs()}
    browser.find_element(By.ID, "send").click()
    assert wait_until(lambda: "uploaded=" in browser.current_url or None, 10, interval=0.1)
    browser.execute_script("window.loadedOnce = true")
    (job,) = wait_until(
        lambda: [j for j in pipeline.jobs() if j["jobId"] not in before] or None,
        WAIT_SECONDS,
        interval=0.5,
    )
    shown = wait_until(
        lambda: state_of(browser, job["jobId"]) in ("SUCCEEDED", "FAILED") or None,
        WAIT_SECONDS,
        interval=0.2,
    )
    assert shown, f"the page never showed job {job['jobId']} ending"
    assert browser.execute_script("return window.loadedOnce") is True, "the page was reloaded"
    return job


def test_an_upload_through_the_page_is_followed_to_its_log_and_items(
    browser, console, pipeline, unique, tmp_path
):
    sample = tmp_path / f"Sample-{unique}.csv"
    sample.write_bytes((REPO / "samples" / "Sample.csv").read_bytes())

    job = uploaded_through_the_page(browser, console, sample, pipeline)
    browser.save_screenshot(str(ARTIFACTS / "overview.png"))
    assert state_of(browser, job["jobId"]) == "SUCCEEDED"
    link = browser.execute_script(
        "return document.querySelector(`tr[data-job='${arguments[0]}'] a`).href;", job["jobId"]
    )
    browser.get(link)  # the link the page shows
    browser.save_screenshot(str(ARTIFACTS / "job.png"))

    assert browser.find_element(By.ID, "state").text == "SUCCEEDED"
    assert '"summary"' in browser.find_element(By.ID, "log").text
    assert browser.find_element(By.ID, "item-count").text == "12 items"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#items tbody tr")) == 12


def test_a_value_holding_a_script_is_shown_as_text(browser, console, pipeline, unique, tmp_path):
    script = "<script>document.title='owned'</script>"
    upload = tmp_path / f"script-{unique}.csv"
    upload.write_bytes(csv_bytes([[f"{unique}-x", script, "a description"]]))

    job = uploaded_through_the_page(browser, console, upload, pipeline)
    browser.get(f"{console}jobs/{job['jobId']}")

    cells = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#items td")]
    assert script in cells
    assert browser.find_elements(By.CSS_SELECTOR, "#items script") == []
    assert browser.title != "owned"


def test_a_waiting_job_is_cancelled_from_its_page(browser, console, pipeline, unique):
    with a_job_waiting_on_another(pipeline, f"console-{unique}") as (first, waiting):
        assert wait_until(
            lambda: pipeline.described(waiting)["status"] == "PENDING" or None, 30, interval=0.2
        )
        browser.get(f"{console}jobs/{waiting}")
        reason = browser.find_element(By.ID, "reason").text
        browser.save_screenshot(str(ARTIFACTS / "waiting-job.png"))
        browser.find_element(By.ID, "cancel").click()
        cancelled = wait_until(
            lambda: pipeline.described(waiting)["status"] == "FAILED" or None,
            WAIT_SECONDS,
            interval=0.5,
        )

    assert reason.startswith(f"waiting on {first}")
    assert cancelled
    assert pipeline.described(waiting)["statusReason"] == "cancelled in the console"


def test_requests_from_another_site_or_for_another_host_are_refused(console):
    port = console.rstrip("/").rsplit(":", 1)[1]
    foreign_origin = urllib.request.Request(
        f"{console}upload",
        data=b"",
        method="POST",
        headers={"Origin": "http://attacker.example", "Content-Type": "multipart/form-data"},
    )
    rebound = urllib.request.Request(console, headers={"Host": f"attacker.example:{port}"})

    assert status_of(foreign_origin) == 403
    assert status_of(rebound) == 403
    assert status_of(urllib.request.Request(console)) == 200
