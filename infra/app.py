"""CDK entry point (cdk.json runs `python -m infra.app`)."""

import sys

from aws_cdk import App, Aspects
from cdk_nag import AwsSolutionsChecks

from infra.config import ConfigError, load_config
from infra.pipeline_stack import PipelineStack


def main() -> None:
    app = App()
    try:
        config = load_config(app.node)
    except ConfigError as error:
        sys.exit(f"infra: invalid configuration: {error}")
    PipelineStack(
        app,
        f"{config.prefix}-stack",
        config,
        description="CSV upload -> Lambda -> AWS Batch -> DynamoDB pipeline",
    )
    Aspects.of(app).add(AwsSolutionsChecks())
    app.synth()


if __name__ == "__main__":
    main()
