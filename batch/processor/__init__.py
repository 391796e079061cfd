"""The Batch job: stream one CSV object from S3 into a DynamoDB table."""
