"""A local stand-in for AWS Batch: the API the pipeline uses, jobs run by the Docker engine.

backend.py holds the resources (resources.py) and the jobs (jobs.py, whose states are
states.py's) behind one lock, and checks each request with validation.py (which request
fields are honoured, AWS's limits); executor.py drives a job through its states and
attempts, with capacity.py (vCPU limits; instance_types.py knows the memory an EC2
environment can give), dependencies.py (arrays and dependsOn), retry.py (retry strategies)
and runner.py (one attempt as a container, its output to CloudWatch Logs through
logsink.py); responses.py serves the REST API with errors.py's error shapes; service.py puts
them together per region; cloudformation.py applies a template's AWS::Batch::* properties to
a backend. Nothing here depends on which engine serves the other AWS services.
"""
