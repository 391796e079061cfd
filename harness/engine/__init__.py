"""Local AWS engines: the process that serves the AWS APIs the pipeline and the CDK CLI call."""
