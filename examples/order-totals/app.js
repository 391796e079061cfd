#!/usr/bin/env node
// Order totals: a JSON-lines file of orders lands under orders/ in a bucket; a Lambda function
// submits one Batch job for it; the job sums each customer's orders into a DynamoDB table.
// A CDK app in JavaScript, so that it needs no build step and no Python CDK.
"use strict";
const path = require("path");
const cdk = require("aws-cdk-lib");
const { Duration, RemovalPolicy, Size, Stack } = cdk;
const batch = require("aws-cdk-lib/aws-batch");
const dynamodb = require("aws-cdk-lib/aws-dynamodb");
const ec2 = require("aws-cdk-lib/aws-ec2");
const ecrAssets = require("aws-cdk-lib/aws-ecr-assets");
const ecs = require("aws-cdk-lib/aws-ecs");
const iam = require("aws-cdk-lib/aws-iam");
const lambda = require("aws-cdk-lib/aws-lambda");
const s3 = require("aws-cdk-lib/aws-s3");

const PREFIX = "orders/";
const SUFFIX = ".jsonl";

class OrderTotalsStack extends Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    // The harness passes a Python image its Docker engine has; AWS builds from the public one.
    const baseImage = this.node.tryGetContext("baseImage") || "python:3.12-slim";

    const table = new dynamodb.Table(this, "Totals", {
      partitionKey: { name: "customer", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const bucketName = `order-totals-${this.account}-${this.region}`;

    const vpc = new ec2.Vpc(this, "Vpc", {
      maxAzs: 1,
      natGateways: 0,
      subnetConfiguration: [{ name: "public", subnetType: ec2.SubnetType.PUBLIC }],
      // true would add a custom resource backed by a second Lambda function
      restrictDefaultSecurityGroup: false,
    });
    const computeEnvironment = new batch.FargateComputeEnvironment(this, "Compute", {
      computeEnvironmentName: "order-totals-compute",
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      maxvCpus: 4,
    });
    const queueName = "order-totals-queue";
    const definitionName = "order-totals-job";
    const queue = new batch.JobQueue(this, "Queue", {
      jobQueueName: queueName,
      computeEnvironments: [{ computeEnvironment, order: 1 }],
    });

    const jobRole = new iam.Role(this, "JobRole", {
      assumedBy: new iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
    });
    jobRole.addToPolicy(new iam.PolicyStatement({
      actions: ["s3:GetObject"],
      resources: [`arn:${this.partition}:s3:::${bucketName}/${PREFIX}*`],
    }));
    jobRole.addToPolicy(new iam.PolicyStatement({
      actions: ["dynamodb:UpdateItem"],
      resources: [table.tableArn],
    }));
    const image = new ecrAssets.DockerImageAsset(this, "JobImage", {
      directory: path.join(__dirname, "job"),
      buildArgs: { BASE_IMAGE: baseImage },
    });
    const definition = new batch.EcsJobDefinition(this, "JobDefinition", {
      jobDefinitionName: definitionName,
      container: new batch.EcsFargateContainerDefinition(this, "Container", {
        image: ecs.ContainerImage.fromDockerImageAsset(image),
        cpu: 0.25,
        memory: Size.mebibytes(512),
        command: ["Ref::bucket", "Ref::key", "Ref::etag"],
        environment: { TABLE_NAME: table.tableName },
        jobRole,
        assignPublicIp: true,
      }),
      retryAttempts: 2,
      timeout: Duration.minutes(10),
    });

    // Batch resources are named and their ARNs built, not referenced, as AWS resolves them
    // and engines that leave Batch to a stand-in do too.
    const submit = new lambda.Function(this, "Submit", {
      functionName: "order-totals-submit",
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: "submit.handler",
      code: lambda.Code.fromAsset(path.join(__dirname, "function")),
      timeout: Duration.seconds(30),
      environment: { JOB_QUEUE: queueName, JOB_DEFINITION: definitionName },
    });
    submit.addToRolePolicy(new iam.PolicyStatement({
      actions: ["batch:SubmitJob"],
      resources: [
        `arn:${this.partition}:batch:${this.region}:${this.account}:job-queue/${queueName}`,
        `arn:${this.partition}:batch:${this.region}:${this.account}:job-definition/${definitionName}:*`,
      ],
    }));
    submit.node.addDependency(queue, definition);

    // The bucket's own notification configuration, not addEventNotification, whose custom
    // resource needs a second Lambda function at deploy time.
    const permission = new lambda.CfnPermission(this, "InvokeFromOrders", {
      action: "lambda:InvokeFunction",
      functionName: submit.functionArn,
      principal: "s3.amazonaws.com",
      sourceAccount: this.account,
      sourceArn: `arn:${this.partition}:s3:::${bucketName}`,
    });
    const bucket = new s3.Bucket(this, "Orders", {
      bucketName,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    bucket.node.defaultChild.notificationConfiguration = {
      lambdaConfigurations: [{
        event: "s3:ObjectCreated:*",
        function: submit.functionArn,
        filter: { s3Key: { rules: [{ name: "prefix", value: PREFIX }, { name: "suffix", value: SUFFIX }] } },
      }],
    };
    bucket.node.addDependency(permission);

    const outputs = {
      OrdersBucket: bucket.bucketName,
      TotalsTable: table.tableName,
      JobQueueName: queueName,
      JobDefinitionName: definitionName,
      SubmitFunctionName: submit.functionName,
      OrdersPrefix: PREFIX,
    };
    for (const [name, value] of Object.entries(outputs)) {
      new cdk.CfnOutput(this, name, { value });
    }
  }
}

const app = new cdk.App();
new OrderTotalsStack(app, "order-totals-stack");
