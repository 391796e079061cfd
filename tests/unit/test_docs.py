"""The README and docs/ name only commands, make targets and variables that exist."""

import re

from harness.batch import eks, validation
from harness.cli.main import parser
from harness.paths import REPO
from infra.config import SETTINGS, environment_name

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
CODE_FOLDERS = ("harness", "infra", "lambda", "batch", "bench")


def code_in_pages() -> str:
    """The pages' code: fenced blocks and inline spans, where commands are written."""
    text = "\n".join(page.read_text() for page in PAGES)
    blocks = re.findall(r"```.*?\n(.*?)```", text, re.S)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return "\n".join([*blocks, *spans])


def test_every_make_target_the_docs_name_is_in_the_makefile():
    targets = set(re.findall(r"^([a-z][a-z-]*):", (REPO / "Makefile").read_text(), re.M))
    named = set(re.findall(r"\bmake ([a-z][a-z-]+)", code_in_pages()))
    assert {"local-up", "demo", "test"} <= named, "the pages were read"
    assert named - targets == set()


def test_every_harness_subcommand_the_docs_name_exists():
    (commands,) = [a for a in parser()._actions if getattr(a, "choices", None)]
    # a command starts its line or span, or a shell substitution: `eval "$(harness env)"`
    named = set(re.findall(r"(?:^|\$\()(?:\.venv/bin/)?harness ([a-z]+)", code_in_pages(), re.M))
    assert {"jobs", "logs", "faults", "env"} <= named, "the pages were read"
    assert named - set(commands.choices) == set()


def test_every_harness_and_pipeline_variable_the_docs_name_is_read_somewhere():
    pages = "\n".join(page.read_text() for page in PAGES)
    named = set(re.findall(r"\b((?:HARNESS|PIPELINE)_[A-Z_]+)\b", pages))
    sources = [path for folder in CODE_FOLDERS for path in (REPO / folder).rglob("*.py")]
    others = [REPO / "Makefile", REPO / "compose.yaml", *(REPO / ".ci").iterdir()]
    code = "\n".join(path.read_text() for path in [*sources, *others])
    assert {"HARNESS_PORT", "PIPELINE_PREFIX"} <= named, "the pages were read"
    settings = {environment_name(setting) for setting in SETTINGS}  # the app's, by name
    assert {name for name in named if name not in code and name not in settings} == set()


BATCH_TABLES = {
    "SubmitJob": (validation.SUBMIT_JOB_HONOURED, validation.SUBMIT_JOB_NO_EFFECT),
    "SubmitJob containerOverrides": (validation.CONTAINER_OVERRIDES_HONOURED, {}),
    "RegisterJobDefinition": (validation.DEFINITION_HONOURED, validation.DEFINITION_NO_EFFECT),
    "containerProperties": (validation.CONTAINER_HONOURED, validation.CONTAINER_NO_EFFECT),
    "Create/UpdateComputeEnvironment": (
        validation.COMPUTE_ENVIRONMENT_HONOURED,
        validation.COMPUTE_ENVIRONMENT_NO_EFFECT,
    ),
    "Create/UpdateJobQueue": (validation.JOB_QUEUE_HONOURED, validation.JOB_QUEUE_NO_EFFECT),
    "eksConfiguration": (eks.EKS_CONFIGURATION_HONOURED, eks.EKS_CONFIGURATION_NO_EFFECT),
    "podProperties": (eks.POD_HONOURED, eks.POD_NO_EFFECT),
    "podProperties containers": (eks.CONTAINER_HONOURED, eks.CONTAINER_NO_EFFECT),
}


def test_the_batch_field_tables_are_the_stand_ins_own():
    page = (REPO / "docs" / "batch-stand-in.md").read_text()
    sections = dict(re.findall(r"^### ([^\n]+)\n(.*?)(?=^#|\Z)", page, re.M | re.S))
    assert set(sections) == set(BATCH_TABLES)
    for heading, (honoured, no_effect) in BATCH_TABLES.items():
        rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]*?) *\|$", sections[heading], re.M))
        assert {name for name, said in rows.items() if said.startswith("honoured")} == honoured
        reasons = {n: s.removeprefix("no effect: ") for n, s in rows.items() if "no effect" in s}
        assert reasons == no_effect, heading
        assert set(rows) == honoured | set(no_effect), heading
