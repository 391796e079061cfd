"""The order-totals app on the local cloud, through the harness's pytest fixtures."""

import json
from decimal import Decimal

import pytest

from harness.client.pipeline import JobWaitTimeout


def orders(*pairs):
    return "".join(json.dumps({"customer": c, "amount": a}) + "\n" for c, a in pairs).encode()


def total(pipeline, customer):
    item = pipeline.item(customer)
    return item and (Decimal(item["total"]["N"]), int(item["orders"]["N"]))


def test_an_orders_file_is_summed_per_customer(pipeline, unique):
    alice, bob = f"alice-{unique}", f"bob-{unique}"
    upload = pipeline.upload_bytes(
        f"orders/{unique}.jsonl", orders((alice, 10.5), (bob, 3), (alice, 4.25))
    )

    (job,) = pipeline.wait_for_jobs(upload)

    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    assert total(pipeline, alice) == (Decimal("14.75"), 2)
    assert total(pipeline, bob) == (Decimal("3"), 1)
    assert any(f"orders/{unique}.jsonl" in line for line in pipeline.log_lines(job["jobId"]))


def test_a_bad_line_fails_the_job_and_changes_no_total(pipeline, unique):
    carol = f"carol-{unique}"
    body = orders((carol, 1)) + b'{"customer": "dave"}\n'
    upload = pipeline.upload_bytes(f"orders/bad-{unique}.jsonl", body)

    (job,) = pipeline.wait_for_jobs(upload)

    assert job["status"] == "FAILED"
    assert job["attempts"][-1]["container"]["exitCode"] == 2
    assert total(pipeline, carol) is None
    assert any("line 2: not an order" in line for line in pipeline.log_lines(job["jobId"]))


@pytest.mark.parametrize("key", ["elsewhere/x.jsonl", "orders/x.csv"])
def test_files_outside_the_orders_prefix_or_suffix_start_no_job(pipeline, unique, key):
    upload = pipeline.upload_bytes(key.replace("x", unique), orders((f"eve-{unique}", 1)))

    with pytest.raises(JobWaitTimeout, match=r"waited 5s for 1 finished jobs \(no job yet"):
        pipeline.wait_for_jobs(upload, timeout=5)
