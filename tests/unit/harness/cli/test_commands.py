"""The `harness` command's parser and its answers to bad input (no engine needed)."""

from importlib.metadata import version

import pytest

from harness.cli import cloud, control, data, jobs
from harness.cli.main import main, parser


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
        (["faults", "reclaim", "id-1"], control.cmd_faults),
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
