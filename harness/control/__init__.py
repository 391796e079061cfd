"""The harness's own routes under /_harness/ on every engine's edge, and their one client."""
