"""CloudFormation resource types moto lacks or models differently, for this stack's template.

- AWS::Batch::ComputeEnvironment / JobQueue / JobDefinition / SchedulingPolicy /
  ConsumableResource create resources in the Batch stand-in through its engine-neutral
  translation (harness/batch/cloudformation.py); moto's own Batch model requires a
  ServiceRole that CDK's Fargate environment leaves out, its jobs ignore retry strategies,
  and it has no scheduling policies or consumable resources;
- AWS::S3::Bucket also applies the bucket's NotificationConfiguration (moto ignores it);
- AWS::S3::BucketPolicy is accepted but not enforced (moto has no model for it, and the
  local endpoint is plain HTTP, which TLS-only policies refuse);
- Custom::S3AutoDeleteObjects empties the bucket on delete, as CDK's provider Lambda does;
- AWS::EC2::RouteTable, VPCEndpoint, VPCGatewayAttachment and InternetGateway are deleted with
  their stack (moto creates them but has no delete for them, so the VPC, which cannot go while
  they exist, stayed behind after every DeleteStack).
"""

from typing import Any, ClassVar

from harness.batch import cloudformation as batch
from harness.batch.backend import BatchBackend
from harness.batch.service import BatchService
from harness.engine.base import EngineError
from harness.engine.moto import internals

CloudFormationModel: Any = internals.get("moto.core.common_models", "CloudFormationModel")
FakeBucket: Any = internals.get("moto.s3.models", "FakeBucket")

_service: BatchService | None = None


def batch_backend(account_id: str, region_name: str) -> BatchBackend:
    if _service is None:
        raise EngineError("the Batch stand-in is not attached to this engine")
    return _service.backend(region_name)


class _Resource(CloudFormationModel):
    """A CloudFormation handle on a stand-in resource: Ref is its ARN."""

    attributes: ClassVar[dict[str, str]] = {}

    def __init__(self, arn: str, name: str, region_name: str) -> None:
        self.arn = arn
        self.name = name
        self.region_name = region_name

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.attributes

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return getattr(self, self.attributes[attribute_name])

    def is_created(self) -> bool:
        return True


class ComputeEnvironmentResource(_Resource):
    attributes: ClassVar[dict[str, str]] = {"ComputeEnvironmentArn": "arn"}

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ComputeEnvironmentName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Batch::ComputeEnvironment"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> "ComputeEnvironmentResource":
        created = batch.call(
            batch_backend(account_id, region_name),
            batch.create_compute_environment(resource_name, cloudformation_json["Properties"]),
        )
        return cls(created["computeEnvironmentArn"], created["computeEnvironmentName"], region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> "ComputeEnvironmentResource":
        batch.call(
            batch_backend(account_id, region_name),
            batch.update_compute_environment(
                original_resource.arn, cloudformation_json["Properties"]
            ),
        )
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        for request in batch.delete_compute_environment(self.arn):
            batch.call(batch_backend(account_id, region_name), request)


class JobQueueResource(_Resource):
    attributes: ClassVar[dict[str, str]] = {"JobQueueArn": "arn", "JobQueueName": "name"}

    @staticmethod
    def cloudformation_name_type() -> str:
        return "JobQueueName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Batch::JobQueue"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> "JobQueueResource":
        created = batch.call(
            batch_backend(account_id, region_name),
            batch.create_job_queue(resource_name, cloudformation_json["Properties"]),
        )
        return cls(created["jobQueueArn"], created["jobQueueName"], region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> "JobQueueResource":
        batch.call(
            batch_backend(account_id, region_name),
            batch.update_job_queue(original_resource.arn, cloudformation_json["Properties"]),
        )
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        for request in batch.delete_job_queue(self.arn):
            batch.call(batch_backend(account_id, region_name), request)


class JobDefinitionResource(_Resource):
    attributes: ClassVar[dict[str, str]] = {"JobDefinitionArn": "arn"}

    @staticmethod
    def cloudformation_name_type() -> str:
        return "JobDefinitionName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Batch::JobDefinition"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> "JobDefinitionResource":
        registered = batch.call(
            batch_backend(account_id, region_name),
            batch.register_job_definition(resource_name, cloudformation_json["Properties"]),
        )
        return cls(registered["jobDefinitionArn"], registered["jobDefinitionName"], region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> "JobDefinitionResource":
        """A changed job definition is a new revision, registered before the previous one
        becomes INACTIVE."""
        backend = batch_backend(account_id, region_name)
        properties = cloudformation_json["Properties"]
        registered = batch.call(
            backend, batch.register_job_definition(original_resource.name, properties)
        )
        batch.call(backend, batch.deregister_job_definition(original_resource.arn))
        return cls(registered["jobDefinitionArn"], registered["jobDefinitionName"], region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        batch.call(
            batch_backend(account_id, region_name), batch.deregister_job_definition(self.arn)
        )


class _UpdatedInPlace(_Resource):
    """A stand-in resource that keeps the request body it was created or last updated with,
    to refuse a change CloudFormation would replace it for (harness/batch/cloudformation.py)."""

    translation: ClassVar[batch.UpdatedInPlace]

    def __init__(self, arn: str, name: str, region_name: str, body: dict[str, Any]) -> None:
        super().__init__(arn, name, region_name)
        self.body = body

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.translation.resource_type

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> "_UpdatedInPlace":
        request = cls.translation.create(resource_name, cloudformation_json["Properties"])
        created = batch.call(batch_backend(account_id, region_name), request)
        arn, name = created[cls.translation.arn_key], created[cls.translation.name_key]
        return cls(arn, name, region_name, request[1])

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> "_UpdatedInPlace":
        resource = original_resource
        request, after = cls.translation.changed(
            resource.arn, resource.body, resource.name, cloudformation_json["Properties"]
        )
        batch.call(batch_backend(account_id, region_name), request)
        resource.body = after  # only once it is applied: a rollback compares with it
        return resource

    def delete(self, account_id: str, region_name: str) -> None:
        batch.call(batch_backend(account_id, region_name), self.translation.delete(self.arn))


class SchedulingPolicyResource(_UpdatedInPlace):
    attributes: ClassVar[dict[str, str]] = {"Arn": "arn"}
    translation = batch.SCHEDULING_POLICIES

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"


class ConsumableResourceResource(_UpdatedInPlace):
    attributes: ClassVar[dict[str, str]] = {"ConsumableResourceArn": "arn"}
    translation = batch.CONSUMABLE_RESOURCES

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ConsumableResourceName"


def notification_configuration(properties: dict[str, Any]) -> dict[str, Any] | None:
    """A CloudFormation NotificationConfiguration in the shape moto's S3 backend stores."""
    lambdas = properties.get("NotificationConfiguration", {}).get("LambdaConfigurations", [])
    if not lambdas:
        return None
    return {
        "CloudFunctionConfiguration": [
            {
                "CloudFunction": entry["Function"],
                "Event": [entry["Event"]],
                **(
                    {"Filter": {"S3Key": {"FilterRule": entry["Filter"]["S3Key"]["Rules"]}}}
                    if entry.get("Filter")
                    else {}
                ),
            }
            for entry in lambdas
        ]
    }


class BucketWithNotifications(FakeBucket):
    """moto's bucket model, plus the template's NotificationConfiguration."""

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeBucket:
        bucket = FakeBucket.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        bucket.set_notification_configuration(
            notification_configuration(cloudformation_json["Properties"])
        )
        return bucket

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> FakeBucket:
        bucket = FakeBucket.update_from_cloudformation_json(
            original_resource, new_resource_name, cloudformation_json, account_id, region_name
        )
        bucket.set_notification_configuration(
            notification_configuration(cloudformation_json["Properties"])
        )
        return bucket


class _BucketAttachment(CloudFormationModel):
    """A resource that only names a bucket (in `bucket_property`) and acts on delete."""

    bucket_property: ClassVar[str] = "Bucket"

    def __init__(self, bucket_name: str) -> None:
        self.bucket_name = bucket_name

    @property
    def physical_resource_id(self) -> str:
        return self.bucket_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> "_BucketAttachment":
        return cls(cloudformation_json["Properties"][cls.bucket_property])

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> "_BucketAttachment":
        return cls(cloudformation_json["Properties"][cls.bucket_property])

    def is_created(self) -> bool:
        return True


class BucketPolicyResource(_BucketAttachment):
    """Accepted, not enforced: the local endpoint is plain HTTP, which a TLS-only policy
    (the stack's and the CDK bootstrap bucket's) would refuse for every request."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    def delete(self, account_id: str, region_name: str) -> None:
        """Nothing was applied, so nothing to remove."""


class AutoDeleteObjectsResource(_BucketAttachment):
    """CDK's auto-delete for dev buckets: nothing on create, empty the bucket on delete."""

    bucket_property = "BucketName"

    @staticmethod
    def cloudformation_type() -> str:
        return "Custom::S3AutoDeleteObjects"

    def delete(self, account_id: str, region_name: str) -> None:
        partition = internals.get("moto.utilities.utils", "get_partition")(region_name)
        backend = internals.get("moto.s3.models", "s3_backends")[account_id][partition]
        if self.bucket_name not in backend.buckets:
            return
        bucket = backend.get_bucket(self.bucket_name)
        for key in list(bucket.keys.keys()):
            backend.delete_object(self.bucket_name, key)


class _DeletedWithStack:
    """For an EC2 model moto creates but does not delete: DeleteStack calls `remove` with the
    region's EC2 backend and the resource's physical id (mixed in before moto's model)."""

    @staticmethod
    def remove(backend: Any, physical_id: str) -> None:
        raise NotImplementedError

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        backends = internals.get("moto.ec2.models", "ec2_backends")
        cls.remove(backends[account_id][region_name], resource_name)


class RouteTableResource(
    _DeletedWithStack,
    internals.get("moto.ec2.models.route_tables", "RouteTable"),  # type: ignore[misc]
):
    @staticmethod
    def remove(backend: Any, physical_id: str) -> None:
        backend.delete_route_table(physical_id)


class VpcEndpointResource(
    _DeletedWithStack,
    internals.get("moto.ec2.models.vpcs", "VPCEndPoint"),  # type: ignore[misc]
):
    """Deleted as AWS does: its routes go, it stays listed in the state `deleted`."""

    @staticmethod
    def remove(backend: Any, physical_id: str) -> None:
        backend.delete_vpc_endpoints([physical_id])


class GatewayAttachmentResource(
    _DeletedWithStack,
    internals.get("moto.ec2.models.vpn_gateway", "VPCGatewayAttachment"),  # type: ignore[misc]
):
    """Its physical id is the VPC's: every internet gateway attached to it is detached."""

    @staticmethod
    def remove(backend: Any, physical_id: str) -> None:
        attached = {"attachment.vpc-id": physical_id}
        for gateway in backend.describe_internet_gateways(filters=attached):
            backend.detach_internet_gateway(gateway.id, physical_id)


class InternetGatewayResource(
    _DeletedWithStack,
    internals.get("moto.ec2.models.internet_gateways", "InternetGateway"),  # type: ignore[misc]
):
    @staticmethod
    def remove(backend: Any, physical_id: str) -> None:
        backend.delete_internet_gateway(physical_id)


OVERRIDES: dict[str, type[CloudFormationModel]] = {
    model.cloudformation_type(): model
    for model in (
        SchedulingPolicyResource,
        ConsumableResourceResource,
        ComputeEnvironmentResource,
        JobQueueResource,
        JobDefinitionResource,
        BucketWithNotifications,
        BucketPolicyResource,
        AutoDeleteObjectsResource,
        RouteTableResource,
        VpcEndpointResource,
        GatewayAttachmentResource,
        InternetGatewayResource,
    )
}


def install(service: BatchService | None, replacements: internals.Replacements) -> None:
    """Point moto's CloudFormation at these models (moto looks types up at parse time), the
    Batch ones at `service`."""
    global _service
    _service = service
    parsing = "moto.cloudformation.parsing"
    original = internals.get(parsing, "resource_class_from_type")

    def resource_class_from_type(resource_type: str) -> type[CloudFormationModel]:
        return OVERRIDES.get(resource_type) or original(resource_type)

    replacements.replace(parsing, "resource_class_from_type", resource_class_from_type)
    # The map is built once (lru_cache) from CloudFormationModel's subclasses; the update
    # changes that cached dict, which moto consults when it validates outputs.
    replacements.update(internals.get(parsing, "get_model_map")(), OVERRIDES)


def detach() -> None:
    """After the replacements are undone: the Batch models no longer reach a service."""
    global _service
    _service = None
