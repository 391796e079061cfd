"""The `harness` command's parser and its answers to bad input (no engine needed)."""

import argparse
from importlib.metadata import version

import pytest

from harness.cli import cloud, control, data, jobs
from harness.cli.main import main, parser
from harness.client.job_records import iso


@pytest.mark.parametrize(
    ("argv", "run"),
    [
        (["up"], cloud.cmd_up),
        (["watch"], cloud.cmd_watch),
        (["jobs", "--children"], jobs.cmd_jobs),
        (["terminate", "id-1", "--reason", "r"], jobs.cmd_stop),
        (["logs", "--trigger"], jobs.cmd_logs),
        (["upload", "f.csv"], data.cmd_upload),
        (["demo"], data.cmd_demo),
        (["faults", "reclaim", "id-1"], control.cmd_faults_reclaim),
        (["faults", "list", "--json"], control.cmd_faults_list),
        (["iam", "status"], control.cmd_iam),
    ],
)
def test_each_subcommand_runs_its_groups_command(argv, run):
    assert parser().parse_args(argv).run is run


def test_a_missing_file_is_refused_before_the_cloud_is_asked(tmp_path, capsys):
    assert main(["upload", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_version_names_the_installed_distribution(capsys):
    with pytest.raises(SystemExit) as ended:
        main(["--version"])

    assert ended.value.code == 0
    assert capsys.readouterr().out.strip() == f"harness {version('cdk-batch-harness')}"


def test_the_help_lists_the_exit_codes_main_returns():
    assert "0 done, 1 failed, 2 bad input, 130 interrupted" in parser().format_help()


def subcommands(root: argparse.ArgumentParser | None = None) -> dict[str, argparse.ArgumentParser]:
    """Every subcommand by its words ("faults add"), nested ones too."""
    found = {}
    for action in (root or parser())._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subcommand in action.choices.items():
                found[name] = subcommand
                found |= {f"{name} {n}": p for n, p in subcommands(subcommand).items()}
    return found


def test_every_subcommand_has_a_description_and_an_example():
    assert {"up", "jobs", "faults add", "faults reclaim", "state"} <= set(subcommands())
    for name, subcommand in subcommands().items():
        assert subcommand.description, name
        assert subcommand.epilog and subcommand.epilog.startswith("example:\n  "), name
        assert "harness " + name in subcommand.epilog, name


def test_a_faults_action_takes_only_its_own_flags(capsys):
    with pytest.raises(SystemExit) as refused:
        parser().parse_args(["faults", "list", "--service", "s3"])
    assert refused.value.code == 2


@pytest.mark.parametrize("name", ["status", "jobs", "rows", "logs", "faults list"])
def test_what_lists_or_reports_has_json_with_its_shape(name):
    (flag,) = [a for a in subcommands()[name]._actions if "--json" in a.option_strings]
    assert flag.help and flag.help.startswith("print JSON: ")


def test_machine_times_are_iso_8601_in_utc():
    assert iso(1764720000123) == "2025-12-03T00:00:00.123+00:00"
    assert iso(None) is None
