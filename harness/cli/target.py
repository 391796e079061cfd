"""The deployed pipeline the data and job commands drive."""

from harness.client.pipeline import Pipeline
from harness.cloud.lifecycle import LocalCloud


def pipeline(cloud: LocalCloud) -> Pipeline:
    """The pipeline on the running local cloud, or NotUp saying how to get one."""
    return Pipeline(cloud.endpoint, cloud.outputs())
