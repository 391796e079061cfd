"""Container output to CloudWatch Logs as Batch's awslogs driver sends it (moto in-process)."""

import boto3
from moto import mock_aws

from harness.batch.logsink import CloudWatchLogSink
from harness.waiting import wait_until
from tests.unit.fakes import FakeLogs


def test_lines_arrive_in_order_and_empty_lines_are_skipped_as_awslogs_does():
    with mock_aws():
        logs = boto3.client("logs")
        writer = CloudWatchLogSink(logs).open("definition/default/task-1")
        for line in ["usage: processor", "", "  --bucket BUCKET", ""]:
            writer.write(line)
        writer.close()

        events = logs.get_log_events(
            logGroupName="/aws/batch/job", logStreamName="definition/default/task-1"
        )["events"]

    assert [event["message"] for event in events] == ["usage: processor", "  --bucket BUCKET"]


def test_a_line_before_a_quiet_spell_is_sent_within_about_a_second_while_the_stream_is_open():
    logs = FakeLogs()
    writer = CloudWatchLogSink(logs).open("definition/default/task-2")
    writer.write("started")

    sent = wait_until(lambda: logs.events == ["started"] or None, timeout=3, interval=0.05)
    writer.write("stopping")
    writer.close()

    assert sent, "the line waited for the next one"
    assert logs.events == ["started", "stopping"]
