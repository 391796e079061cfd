"""The paths of the harness's own routes on the edge, and the setting they share with it.

The engines' edges answer them (health, faults and the job history on both; IAM on the engine
that can enforce it); `harness.control.client` calls them."""

HEALTH_PATH = "/_harness/health"  # GET: {"engine": <name>, ...}
FAULTS_PATH = "/_harness/faults"  # GET, POST a rule, DELETE all
RECLAIM_PATH = "/_harness/faults/reclaim"  # POST {"jobId": ...}: a Spot interruption
IAM_PATH = "/_harness/iam"  # GET, PUT {"enforce": bool}
# GET: {"waiting": {job id: why it waits}}; DELETE: the stand-in's job history, running jobs ended
JOBS_PATH = "/_harness/batch/jobs"
# GET: {"aheadSeconds": ...}; POST {"advanceSeconds": N}: the stand-in's clock moves N seconds
# forward (harness/batch/clock.py), for tests of time limits AWS sets long
CLOCK_PATH = "/_harness/batch/clock"
STATE_PATH = "/_harness/state"  # POST: save the state now; {"path", and the file's header}

# "1": the engine enforces IAM from its start; an engine that cannot refuses to start.
ENFORCE_IAM = "HARNESS_ENFORCE_IAM"
# "0": the engine keeps its state in memory only, never saved (harness/cloud/saved_state.py).
PERSIST = "HARNESS_PERSIST"
