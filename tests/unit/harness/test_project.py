"""The [tool.harness] table: what the harness reads of a CDK app, and its errors."""

from pathlib import Path

import pytest

from harness import project
from harness.contracts import OutputKeys, StackOutputs
from harness.errors import BadInput, HarnessError
from harness.paths import REPO


def app_folder(root: Path, table: str) -> Path:
    (root / "cdk.json").write_text('{"app": "node app.js"}')
    (root / "pyproject.toml").write_text(table)
    return root


def test_this_repository_describes_its_own_app():
    app = project.load(REPO, {"PIPELINE_PREFIX": "team"})

    assert (app.stack_name, app.environment) == ("team-stack", {"PIPELINE_PREFIX": "team"})
    assert (app.job_image, app.job_code) == ("batch", "batch/processor")
    assert app.outputs == OutputKeys()


def test_a_table_names_the_stack_its_outputs_and_what_to_watch(tmp_path):
    folder = app_folder(
        tmp_path,
        '[tool.harness]\nstack = "orders-stack"\nwatch = ["app.js", "job"]\n'
        '[tool.harness.outputs]\ntable = "TotalsTable"\nupload-prefix = ""\n',
    )

    app = project.load(folder)

    assert (app.directory, app.stack_name, app.watch) == (folder, "orders-stack", ("app.js", "job"))
    assert (app.outputs.table, app.outputs.bucket, app.outputs.upload_prefix) == (
        "TotalsTable",
        "BucketName",
        "",
    )
    assert app.job_image is None


@pytest.mark.parametrize(
    ("variables", "stack"),
    [({}, "pipeline-stack"), ({"PREFIX": ""}, "pipeline-stack"), ({"PREFIX": "a"}, "a-stack")],
)
def test_the_stack_reads_variables_as_compose_does(monkeypatch, tmp_path, variables, stack):
    monkeypatch.delenv("PREFIX", raising=False)
    folder = app_folder(tmp_path, '[tool.harness]\nstack = "${PREFIX:-pipeline}-stack"\n')

    assert project.load(folder, variables).stack_name == stack


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("", r"no `stack`; name the stack the harness deploys"),
        ('[tool.harness]\nstack = "s"\nstacks = 1\n', r"unknown key stacks"),
        ("[tool.harness]\nstack = 3\n", r"stack must be a string, not 3"),
        ('[tool.harness]\nstack = "s"\nwatch = "job"\n', r"watch must be a list of strings"),
        (
            '[tool.harness]\nstack = "s"\n[tool.harness.outputs]\nqueue = "Q"\n',
            r"unknown output role queue",
        ),
        ('[tool.harness]\nstack = "${UNSET_FOR_THIS_TEST}"\n', r"UNSET_FOR_THIS_TEST is not set"),
        ("[tool.harness\n", r"pyproject.toml: "),
    ],
)
def test_a_wrong_table_is_bad_input_that_names_the_key(tmp_path, table, message):
    with pytest.raises(BadInput, match=message):
        project.load(app_folder(tmp_path, table))


def test_a_folder_without_a_cdk_app_says_where_to_run(tmp_path):
    with pytest.raises(BadInput, match=r"no CDK app in .* set HARNESS_PROJECT"):
        project.load(tmp_path)


def test_outputs_are_read_by_role_and_a_missing_key_is_named():
    keys = OutputKeys(table="TotalsTable", upload_prefix="")
    outputs = {
        "BucketName": "b",
        "TotalsTable": "t",
        "JobQueueName": "q",
        "JobDefinitionName": "d",
        "TriggerFunctionName": "f",
    }

    assert StackOutputs.from_outputs(outputs, keys) == StackOutputs("b", "t", "q", "d", "f", "")
    with pytest.raises(HarnessError, match=r"stack s has no output 'TableName' .the table role"):
        StackOutputs.from_outputs(outputs, OutputKeys(), "stack s")
