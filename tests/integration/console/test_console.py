"""The console in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium with the driver's path given, so nothing is downloaded), against the session's local
cloud: an upload through the page, its job followed to SUCCEEDED without a reload, its log,
its 12 items and the trigger's log; an array job's children and a dependency on the timeline;
why a job waits, for a dependency or for vCPUs; a waiting job cancelled and a running one
followed and terminated from their pages; items paged and looked up by key; fault rules
added and cleared; a CSV value holding a script shown as text; requests from another site or
for another host refused. Each page's screenshot is written to .cache/test-artifacts/console/
(and the overview's to docs/console.png with CONSOLE_SCREENSHOT_TO_DOCS=1: make console-screenshot).
"""

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from harness.client.pipeline import Pipeline
from harness.control.client import Faults
from harness.paths import CACHE, REPO
from harness.waiting import wait_until
from tests.integration.helpers import (
    a_job_held_back_by_capacity,
    a_job_waiting_on_another,
    base_image,
    csv_bytes,
    free_port,
    products,
    wait_for_job,
)

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
NO_BROWSER = (
    "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
)
ARTIFACTS = CACHE / "test-artifacts" / "console"
README_SCREENSHOT = REPO / "docs" / "console.png"
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


def followed(browser, element) -> None:
    """Click `element` and wait for the page it leads to: the old page's root goes stale
    (reading the page before that would read the old one)."""
    root = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, WAIT_SECONDS).until(lambda _: gone(root))


def gone(element) -> bool:
    """True once `element` left the page. Mid-navigation, Chromium's driver may answer for it
    with an inspector error ("Node with given id does not belong to the document") instead of
    Selenium's stale-element error: both mean it is gone."""
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise
    return False


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
    followed(browser, browser.find_element(By.ID, "send"))
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
    if os.environ.get("CONSOLE_SCREENSHOT_TO_DOCS") == "1":
        shutil.copyfile(ARTIFACTS / "overview.png", README_SCREENSHOT)
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
    browser.get(f"{console}trigger")
    browser.save_screenshot(str(ARTIFACTS / "trigger.png"))
    assert sample.name in browser.find_element(By.ID, "trigger-log").text
    browser.get(console)
    upload = browser.find_element(By.CSS_SELECTOR, f"#uploads tr[data-key$='{sample.name}']")
    assert f"{job['jobName']} SUCCEEDED" in upload.text
    followed(browser, upload.find_element(By.LINK_TEXT, "items"))
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
        followed(browser, browser.find_element(By.ID, "cancel"))
        cancelled = wait_until(
            lambda: pipeline.described(waiting)["status"] == "FAILED" or None,
            WAIT_SECONDS,
            interval=0.5,
        )

    assert reason.startswith(f"waiting on {first}")
    assert cancelled
    assert pipeline.described(waiting)["statusReason"] == "cancelled in the console"


def test_a_job_held_back_by_capacity_says_so_in_words(browser, console, pipeline, unique):
    with a_job_held_back_by_capacity(pipeline, f"hog-{unique}") as (_, waiting):
        assert wait_until(
            lambda: pipeline.described(waiting)["status"] == "RUNNABLE" or None, 30, interval=0.2
        )
        browser.get(console)
        reason = browser.execute_script(
            "return document.querySelector(`tr[data-job='${arguments[0]}'] td:last-child`)"
            ".textContent;",
            waiting,
        )
        browser.save_screenshot(str(ARTIFACTS / "held-by-capacity.png"))

    assert reason.startswith("waiting for 1 vCPU in compute environment")
    assert "which has 0 of 2 free" in reason


def test_an_array_jobs_children_and_a_dependency_are_on_the_timeline(
    browser, console, pipeline, unique
):
    batch, queue = pipeline.batch, pipeline.outputs.job_queue
    definition = batch.register_job_definition(
        jobDefinitionName=f"echo-{unique}",
        type="container",
        containerProperties={"image": base_image(), "command": ["true"], "vcpus": 1, "memory": 64},
    )["jobDefinitionArn"]
    array = batch.submit_job(
        jobName="array", jobQueue=queue, jobDefinition=definition, arrayProperties={"size": 3}
    )["jobId"]
    then = batch.submit_job(
        jobName="then", jobQueue=queue, jobDefinition=definition, dependsOn=[{"jobId": array}]
    )["jobId"]
    assert wait_for_job(batch, then)["status"] == "SUCCEEDED"

    browser.get(f"{console}timeline")
    browser.save_screenshot(str(ARTIFACTS / "timeline.png"))

    children = browser.find_elements(By.CSS_SELECTOR, f"#timeline g.child[data-job^='{array}:']")
    assert sorted(child.get_attribute("data-job") for child in children) == [
        f"{array}:{n}" for n in range(3)
    ]
    assert browser.find_elements(
        By.CSS_SELECTOR, f"#timeline line.edge[data-from='{array}'][data-to='{then}']"
    )
    assert browser.find_elements(By.CSS_SELECTOR, f"g[data-job='{then}'] rect.bar.SUCCEEDED")


def test_a_running_jobs_log_is_followed_and_the_job_terminated_from_its_page(
    browser, console, pipeline, unique
):
    batch = pipeline.batch
    talker = "echo one; sleep 4; echo two; trap 'exit 143' TERM; sleep 60 & wait"
    definition = batch.register_job_definition(
        jobDefinitionName=f"talker-{unique}",
        type="container",
        containerProperties={
            "image": base_image(),
            "command": ["sh", "-c", talker],
            "vcpus": 1,
            "memory": 64,
        },
    )["jobDefinitionArn"]
    job_id = batch.submit_job(
        jobName="talker", jobQueue=pipeline.outputs.job_queue, jobDefinition=definition
    )["jobId"]
    try:
        assert wait_until(
            lambda: pipeline.described(job_id)["status"] == "RUNNING" or None, 60, interval=0.2
        )
        browser.get(f"{console}jobs/{job_id}")
        browser.execute_script("window.loadedOnce = true")
        log = browser.find_element(By.ID, "log")
        streamed = wait_until(lambda: "two" in log.text or None, 30, interval=0.2)
        assert streamed, f"the page's log never showed the second line: {log.text!r}"
        assert browser.execute_script("return window.loadedOnce") is True, "the page reloaded"
        assert log.text.splitlines()[:2] == ["one", "two"]

        followed(browser, browser.find_element(By.ID, "terminate"))
        ended = wait_until(
            lambda: browser.find_element(By.ID, "state").text == "FAILED" or None, 60, interval=0.2
        )
        browser.save_screenshot(str(ARTIFACTS / "terminated-job.png"))
    finally:
        batch.terminate_job(jobId=job_id, reason="test over")

    assert ended, "the page never showed the terminated job's end"
    assert browser.find_element(By.ID, "reason").text == "terminated in the console"
    assert pipeline.described(job_id)["statusReason"] == "terminated in the console"


def test_items_are_paged_and_looked_up_by_key(browser, console, pipeline, unique):
    rows = products(unique, 60)
    upload = pipeline.upload_bytes(pipeline.upload_key(f"paged-{unique}.csv"), csv_bytes(rows))
    (job,) = pipeline.wait_for_jobs(upload)

    browser.get(f"{console}jobs/{job['jobId']}")
    first_page = len(browser.find_elements(By.CSS_SELECTOR, "#items tbody tr"))
    count = browser.find_element(By.ID, "item-count").text
    followed(browser, browser.find_element(By.LINK_TEXT, "more"))
    second_page = len(browser.find_elements(By.CSS_SELECTOR, "#items tbody tr"))
    browser.save_screenshot(str(ARTIFACTS / "items.png"))
    assert browser.find_elements(By.ID, "next") == []
    key = rows[42][0]
    browser.find_element(By.ID, "key").send_keys(key)
    followed(browser, browser.find_element(By.ID, "lookup"))
    found = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#items td")]

    assert (first_page, count, second_page) == (50, "the first 50 items · more", 10)
    assert key in found and rows[42][1] in found
    assert browser.find_element(By.ID, "item-count").text == f"one item with key {key}"


def test_fault_rules_are_added_and_cleared_from_the_page(browser, console, local_cloud, unique):
    faults = Faults(local_cloud.endpoint)
    browser.get(console)
    form = browser.find_element(By.ID, "add-fault")
    for name, value in {"service": "s3", "operation": "GetObject", "error": "SlowDown"}.items():
        form.find_element(By.NAME, name).send_keys(value)
    form.find_element(By.NAME, "match").send_keys(f"nothing-matches-{unique}")
    form.find_element(By.NAME, "count").send_keys("2")
    followed(browser, browser.find_element(By.ID, "add-rule"))
    shown = browser.find_element(By.ID, "rules").text
    browser.save_screenshot(str(ARTIFACTS / "fault-rules.png"))
    added = faults.listed()

    followed(browser, browser.find_element(By.ID, "clear-rules"))

    assert "SlowDown, at most 2 times" in shown and f"nothing-matches-{unique}" in shown
    assert [(r["service"], r["operation"], r["error"], r["count"]) for r in added] == [
        ("s3", "GetObject", "SlowDown", 2)
    ]
    assert faults.listed() == []
    assert "none: every call is answered" in browser.find_element(By.ID, "rules").text


def test_the_overview_shows_the_stack_the_compute_environment_and_iam(
    browser, console, local_cloud
):
    browser.get(console)

    assert browser.find_element(By.ID, "stack").text.endswith("_COMPLETE")
    assert "vCPUs used by this queue's jobs" in browser.find_element(By.ID, "capacity").text
    assert browser.find_element(By.ID, "iam").text.startswith(
        "not enforced (this engine cannot)"
        if local_cloud.engine.name == "localstack"
        else "not enforced (harness iam on enforces it)"
    )


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
