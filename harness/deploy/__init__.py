"""The CDK app on the local cloud: deploys, the processor's fast path, watch mode."""
