"""DeleteStack on the embedded engine deletes the whole template, dependents first, implicit
dependencies included (the VPC's endpoints, route tables, gateway attachment and gateway), so
nothing of a deleted stack stays behind in the local cloud."""

import uuid

from harness import project
from harness.client import aws
from harness.waiting import wait_until
from tests.integration.helpers import copy_app, csv_bytes, products


def test_a_deleted_stack_leaves_none_of_its_resources(moto_cloud, tmp_path):
    endpoint = moto_cloud.endpoint
    ec2, s3 = aws.client("ec2", endpoint), aws.client("s3", endpoint)
    cloudformation, batch = aws.client("cloudformation", endpoint), aws.client("batch", endpoint)
    vpcs_before = {vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"]}
    copy_app(tmp_path)
    app = project.load(tmp_path, {"PIPELINE_PREFIX": f"del{uuid.uuid4().hex[:8]}"})
    outputs = moto_cloud.deploy(app)
    # an object to empty on delete, outside the upload prefix: no function runs meanwhile
    s3.put_object(Bucket=outputs.bucket, Key="other/x.csv", Body=csv_bytes(products("x", 1)))
    (vpc,) = {vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"]} - vpcs_before
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]

    (stack,) = cloudformation.describe_stacks(StackName=app.stack_name)["Stacks"]

    cloudformation.delete_stack(StackName=app.stack_name)

    def deleted() -> bool:
        stacks = cloudformation.describe_stacks()["Stacks"]
        return all(
            s["StackStatus"] == "DELETE_COMPLETE"
            for s in stacks
            if s["StackName"] == app.stack_name
        )

    assert wait_until(deleted, timeout=60, interval=0.5)
    events = cloudformation.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    assert [e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "DELETE_FAILED"] == []
    assert vpc not in {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    assert ec2.describe_subnets(Filters=in_vpc)["Subnets"] == []
    assert ec2.describe_route_tables(Filters=in_vpc)["RouteTables"] == []
    endpoints = ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"]
    assert {endpoint["State"] for endpoint in endpoints} <= {"deleted"}  # as AWS lists them
    attached = [{"Name": "attachment.vpc-id", "Values": [vpc]}]
    assert ec2.describe_internet_gateways(Filters=attached)["InternetGateways"] == []
    assert outputs.bucket not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
    assert outputs.table not in aws.client("dynamodb", endpoint).list_tables()["TableNames"]
    queues = batch.describe_job_queues(jobQueues=[outputs.job_queue])["jobQueues"]
    assert queues == []
    definitions = batch.describe_job_definitions(jobDefinitionName=outputs.job_definition)
    assert {d["status"] for d in definitions["jobDefinitions"]} <= {"INACTIVE"}
