"""The S3-triggered Lambda that submits one AWS Batch job per uploaded CSV object."""
