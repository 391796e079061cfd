"""Inner-loop benchmark: seconds from saving a processor edit to that code running in a job.

    make bench-inner-loop        (brings the local cloud up first when it is down)

On the warm local cloud, in a copy of this checkout deployed under a prefix of its own (the
repository's files and stack are not touched), each round appends a line to the processor,
then either runs `make local-up` in the copy or lets watch mode (`harness watch`)
see the save, uploads a small CSV, and waits until a job on the new job definition revision
is RUNNING. Printed per path: seconds from the save to the deployed stack and to the job
running, median and worst of BENCH_ROUNDS (3; 1 with BENCH_SMOKE=1), against the targets
(watch <= 10 s, `make local-up` <= 20 s). Results also go to bench/results/inner-loop-<engine>.json.
Each round checks that the deploy made a new job definition revision and that a job ran on
it; at the end the copy's stack is deleted, and the run fails unless it is gone.
"""

import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.common import setting, write_results
from harness import project
from harness.client import aws
from harness.client.pipeline import Pipeline
from harness.cloud.lifecycle import LocalCloud
from harness.deploy import watch
from harness.deploy.cdk import describe_stack, stack_outputs
from harness.paths import REPO
from harness.progress import show_progress
from harness.project import CdkApp
from harness.waiting import wait_until

ROUNDS = int(setting("BENCH_ROUNDS", "3", "1"))
TARGETS = {"make local-up": 20.0, "watch": 10.0}
PROCESSOR_FILE = "batch/processor/cli.py"


def copy_checkout(target: Path) -> None:
    """The tracked files with their timestamps, the wheels, and links to .venv, node_modules
    and the engine's wheels (so that `make setup` in the copy finds everything up to date, as
    a second `make local-up` here does)."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    wheels = [p.relative_to(REPO).as_posix() for p in (REPO / "batch" / "wheels").glob("*.whl")]
    for relative in filter(None, [*tracked, *wheels]):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relative, destination)
    for linked in (".venv", "node_modules", ".cache/engine-wheels"):
        (target / linked).parent.mkdir(parents=True, exist_ok=True)
        (target / linked).symlink_to(REPO / linked)


def save_edit(copy: Path, round_number: int) -> float:
    path = copy / PROCESSOR_FILE
    path.write_text(path.read_text() + f"# inner-loop benchmark edit {round_number}\n")
    return path.stat().st_mtime


def latest_revision(pipeline: Pipeline, name: str) -> str:
    """The ARN of the newest ACTIVE revision of job definition `name`: the one the trigger's
    SubmitJob (by name) runs."""
    answer = pipeline.batch.describe_job_definitions(jobDefinitionName=name, status="ACTIVE")
    return str(max(answer["jobDefinitions"], key=lambda d: d["revision"])["jobDefinitionArn"])


def seconds_to_running(pipeline: Pipeline, before: str, saved_at: float, name: str) -> float:
    """Upload, then the seconds from the save until a job on the revision the deploy made
    (not `before`, the one before the edit) started RUNNING."""
    revision = latest_revision(pipeline, pipeline.outputs.job_definition)
    if revision == before:
        raise RuntimeError(f"the deploy after the edit made no new revision of {before}")
    upload = pipeline.upload_bytes(f"uploads/{name}.csv", b"ProductId,Name\nbench-1,One\n")

    def started_at() -> int | None:
        jobs = pipeline.jobs_for(upload)
        started = [job.get("startedAt") for job in jobs if job["jobDefinition"] == revision]
        return next(filter(None, started), None)

    started = wait_until(started_at, timeout=120, interval=0.1)
    if started is None:
        raise TimeoutError(f"no job on {revision} started within 120 s")
    return started / 1000 - saved_at


def deployed_pipeline(cloud: LocalCloud, app: CdkApp) -> Pipeline:
    outputs = stack_outputs(cloud.endpoint, app)
    if outputs is None:
        raise RuntimeError(f"{app.stack_name} is not deployed")
    return Pipeline(cloud.endpoint, outputs)


def with_make_local_up(cloud: LocalCloud, copy: Path, app: CdkApp, round_number: int) -> dict:
    pipeline = deployed_pipeline(cloud, app)
    before = latest_revision(pipeline, pipeline.outputs.job_definition)
    saved_at = save_edit(copy, round_number)
    environment = {**os.environ, **app.environment}
    subprocess.run(
        ["make", "local-up"],
        cwd=copy,
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deployed = time.time() - saved_at
    running = seconds_to_running(
        deployed_pipeline(cloud, app), before, saved_at, f"up-{round_number}"
    )
    return {"deployed": deployed, "running": running}


def with_watch(cloud: LocalCloud, copy: Path, app: CdkApp, rounds: int) -> list[dict]:
    ready = threading.Event()
    stopped = threading.Event()

    class WhenRedeployed(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith(("ready:", "deploy failed")):
                ready.set()

    logging.getLogger(watch.__name__).addHandler(WhenRedeployed())
    watcher = watch.Watcher(cloud, app)
    thread = threading.Thread(target=watcher.run, args=(stopped.is_set,), daemon=True)
    thread.start()
    time.sleep(1)
    results = []
    try:
        for round_number in range(rounds):
            pipeline = deployed_pipeline(cloud, app)
            before = latest_revision(pipeline, pipeline.outputs.job_definition)
            ready.clear()
            saved_at = save_edit(copy, 100 + round_number)
            if not ready.wait(timeout=120):
                raise TimeoutError("watch mode did not redeploy within 120 s")
            deployed = time.time() - saved_at
            running = seconds_to_running(pipeline, before, saved_at, f"watch-{round_number}")
            results.append({"deployed": deployed, "running": running})
    finally:
        stopped.set()
        thread.join()
    return results


def summarize(rounds: list[dict], target: float) -> dict:
    running = [r["running"] for r in rounds]
    return {
        "rounds": rounds,
        "deployed_median_s": round(statistics.median(r["deployed"] for r in rounds), 1),
        "running_median_s": round(statistics.median(running), 1),
        "running_worst_s": round(max(running), 1),
        "target_s": target,
        "worst_over_target": round(max(running) / target, 2),
    }


def main() -> int:
    cloud = LocalCloud()
    show_progress()
    print("==> bringing the local cloud up (warm-up, not timed)", file=sys.stderr)
    cloud.up()
    app_directory = Path(tempfile.mkdtemp(prefix="inner-loop-"))
    copy_checkout(app_directory)
    app = project.load(app_directory, {"PIPELINE_PREFIX": f"bench{uuid.uuid4().hex[:6]}"})
    try:
        print(f"==> first deploy of the copy as {app.stack_name} (not timed)", file=sys.stderr)
        cloud.deploy(app)
        results = {
            "make local-up": summarize(
                [with_make_local_up(cloud, app_directory, app, n) for n in range(ROUNDS)],
                TARGETS["make local-up"],
            ),
            "watch": summarize(with_watch(cloud, app_directory, app, ROUNDS), TARGETS["watch"]),
        }
    finally:
        delete_stack(cloud, app.stack_name)
        shutil.rmtree(app_directory, ignore_errors=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}"
    print(f"\ninner loop on a warm local cloud ({machine}), {ROUNDS} rounds each")
    print(f"{'path':<15}{'save->deployed':>16}{'save->running':>15}{'worst':>8}{'target':>8}")
    for path, figures in results.items():
        deployed, running = figures["deployed_median_s"], figures["running_median_s"]
        print(
            f"{path:<15}{deployed:>14.1f} s{running:>13.1f} s"
            f"{figures['running_worst_s']:>6.1f} s{figures['target_s']:>6.0f} s"
            f"   worst/target {figures['worst_over_target']:.2f}"
        )
    figures = {"machine": machine, "date": time.strftime("%Y-%m-%d"), "results": results}
    output = write_results(f"inner-loop-{cloud.engine.name}", figures)
    print(f"\nresults: {output.relative_to(REPO)}")
    return 0


def delete_stack(cloud: LocalCloud, stack_name: str) -> None:
    """Delete the copy's stack and wait until it is gone; raise when it is not."""
    aws.client("cloudformation", cloud.endpoint).delete_stack(StackName=stack_name)

    def status() -> str | None:
        description = describe_stack(cloud.endpoint, stack_name)
        if description is None:
            return "gone"
        state = str(description["StackStatus"])
        return None if state.endswith("IN_PROGRESS") else state

    final = wait_until(status, timeout=120, interval=0.5)
    if final not in ("gone", "DELETE_COMPLETE"):
        raise RuntimeError(f"deleting {stack_name} ended in {final}: see the engine's log")


if __name__ == "__main__":
    sys.exit(main())
