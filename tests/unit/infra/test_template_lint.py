"""cfn-lint over the synthesized template: the offline check of what a real deploy would
reject (resource schemas, property types, references), for each shape of the stack."""

import json

import pytest
from cfnlint.api import ManualArgs, lint

from tests.unit.infra.test_stack import synthesize

# The tests that synthesize the app share one worker under `--dist loadgroup`: each worker
# that synthesizes starts a jsii runtime (about 5 s) and keeps its own synth cache.
pytestmark = pytest.mark.xdist_group("cdk")

# Each warning left in the template, with the reason it stays.
ACCEPTED = {
    "W3005": "The CDK adds DependsOn on a role that a GetAtt already orders (the trigger "
    "function, and CDK's own auto-delete provider): redundant, harmless, not ours to remove.",
}


@pytest.mark.parametrize(
    "context",
    [{}, {"stage": "prod"}, {"compute": "ec2"}, {"natGateways": "1"}],
    ids=["dev-fargate", "prod", "ec2", "nat"],
)
def test_the_template_has_no_cfn_lint_errors_and_only_accepted_warnings(context):
    _, template = synthesize(**context)

    matches = lint(json.dumps(template.to_json()), config=ManualArgs(regions=["us-east-1"]))

    findings = [f"{m.rule.id} {m.message}" for m in matches if m.rule.id not in ACCEPTED]
    assert findings == []
