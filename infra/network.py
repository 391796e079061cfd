"""A VPC for Batch jobs without NAT gateway costs.

Jobs run in public subnets with public IPs (Fargate: assignPublicIp), which is how they
reach ECR to pull the image and CloudWatch Logs. Gateway endpoints for S3 and DynamoDB,
which are free, keep the job's data traffic off the internet. `natGateways` > 0 adds
private subnets behind NAT for teams whose policy forbids public IPs.
"""

from aws_cdk import aws_ec2 as ec2
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.config import PipelineConfig


class Network(Construct):
    def __init__(self, scope: Construct, construct_id: str, config: PipelineConfig) -> None:
        super().__init__(scope, construct_id)
        subnets = [ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)]
        if config.nat_gateways:
            subnets.append(
                ec2.SubnetConfiguration(
                    name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
                )
            )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            vpc_name=f"{config.prefix}-vpc",
            max_azs=2,
            nat_gateways=config.nat_gateways,
            subnet_configuration=subnets,
            # True would add a custom resource backed by a Lambda; no ingress is opened anyway.
            restrict_default_security_group=False,
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDB": ec2.GatewayVpcEndpointOptions(
                    service=ec2.GatewayVpcEndpointAwsService.DYNAMODB
                ),
            },
        )
        self.job_subnets = ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
            if config.nat_gateways
            else ec2.SubnetType.PUBLIC
        )
        self.jobs_need_public_ip = not config.nat_gateways
        NagSuppressions.add_resource_suppressions(
            self.vpc,
            [
                NagPackSuppression(
                    id="AwsSolutions-VPC7",
                    reason="The VPC only carries Batch jobs' calls to AWS APIs and accepts no "
                    "inbound traffic; flow logs would be the stack's largest running cost.",
                )
            ],
        )
