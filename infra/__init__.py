"""The CDK app that deploys the pipeline, to real AWS or (unchanged) to a local engine."""
