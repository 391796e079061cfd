"""LocalStack as the local engine (HARNESS_ENGINE=localstack), the Batch stand-in in front."""
