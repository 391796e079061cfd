"""S3 ObjectCreated -> one Batch job per orders file, with the object's bucket, key and ETag as
parameters (the harness's `pipeline` fixture finds an upload's jobs by key and ETag)."""

import hashlib
import os
import re
import urllib.parse

import boto3

batch = boto3.client("batch")


def handler(event, context):
    jobs = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        etag = record["s3"]["object"].get("eTag", "")
        stem = re.sub(r"[^A-Za-z0-9_-]", "-", key.rsplit("/", 1)[-1])[:80]
        digest = hashlib.sha256(f"{bucket}/{key}/{etag}".encode()).hexdigest()[:12]
        response = batch.submit_job(
            jobName=f"totals-{stem}-{digest}",
            jobQueue=os.environ["JOB_QUEUE"],
            jobDefinition=os.environ["JOB_DEFINITION"],
            parameters={"bucket": bucket, "key": key, "etag": etag},
        )
        jobs.append(response["jobId"])
    print({"submitted": jobs})
    return {"jobIds": jobs}
