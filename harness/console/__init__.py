"""The local cloud in the browser: the deployed pipeline, its jobs as they change (and why
each waiting one waits), a job's log and the items it wrote, and an upload; served on
127.0.0.1 by `harness console`. It reads and acts only through the harness's own clients
(harness.client, harness.control), so it works alike on every engine."""
