"""A local stand-in for AWS Batch: the API the pipeline uses, jobs run by the Docker engine.

models.py holds the resources and the job state machine, runner.py runs one attempt in a
container, responses.py serves the REST API, cloudformation.py lets a stack create the
resources. Nothing here depends on which engine serves the other AWS services.
"""
