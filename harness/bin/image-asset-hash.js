#!/usr/bin/env node
// Print the asset hash the CDK gives a DockerImageAsset, computed by aws-cdk-lib itself (the
// version the Python app synthesizes with), without synthesizing the app.
// Input (JSON on stdin): {"directory", "buildArgs", "platform", "context"}; output: the hash.
"use strict";
const fs = require("fs");
const cdk = require("aws-cdk-lib");
const { DockerImageAsset, Platform } = require("aws-cdk-lib/aws-ecr-assets");

const input = JSON.parse(fs.readFileSync(0, "utf8"));
const app = new cdk.App({ outdir: fs.mkdtempSync(require("os").tmpdir() + "/asset-hash-"), context: input.context });
const asset = new DockerImageAsset(new cdk.Stack(app, "AssetHash"), "Image", {
  directory: input.directory,
  buildArgs: input.buildArgs,
  platform: input.platform ? Platform.custom(input.platform) : undefined,
});
process.stdout.write(asset.assetHash + "\n");
fs.rmSync(app.outdir, { recursive: true, force: true });
