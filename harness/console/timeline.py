"""The timeline's geometry: each job a row of bars on one time axis (waiting from its creation
to its start, running from its start to its end, or to now), an array job's children in rows
under it, and each dependency an edge from the end of the job waited on to the start of the
one that waited. Times are AWS's own (createdAt, startedAt, stoppedAt, epoch milliseconds):
the Batch API gives no time for the states between creation and start, so SUBMITTED, PENDING,
RUNNABLE and STARTING share the waiting bar."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.client.job_records import iso

# The drawing's own units (an SVG viewBox): labels on the left, the axis on the right.
WIDTH = 1000
LABEL_WIDTH = 260
ROW_HEIGHT = 22
BAR_HEIGHT = 14
AXIS_HEIGHT = 24
FINAL = ("SUCCEEDED", "FAILED")


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    kind: str  # "waiting", "running", or the state the job ended in


@dataclass(frozen=True)
class Row:
    job_id: str
    label: str
    status: str
    y: float
    bars: tuple[Bar, ...]
    child: bool = False


@dataclass(frozen=True)
class Edge:
    """A dependency: from the end of the job waited on to the start of the one waiting."""

    waited_on: str
    waiting: str
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    rows: list[Row] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    height: float = AXIS_HEIGHT


@dataclass(frozen=True)
class Shown:
    """A job on the timeline: its ListJobs or DescribeJobs record, whether it is an array's
    child, and the ids of the jobs it depends on."""

    job: dict[str, Any]
    child: bool = False
    depends_on: tuple[str, ...] = ()


def timeline(shown: Sequence[Shown], now_ms: int) -> Timeline:
    """The rows, edges and axis ticks of `shown`, in that order, on one axis from the first
    creation to the last end (or `now_ms` for a job that has not ended)."""
    if not shown:
        return Timeline()
    start = min(item.job["createdAt"] for item in shown)
    end = max(max(ended_at(item.job, now_ms) for item in shown), start + 1)
    scale = (WIDTH - LABEL_WIDTH) / (end - start)

    def x_of(ms: int) -> float:
        return round(LABEL_WIDTH + (ms - start) * scale, 1)

    drawn = Timeline(height=AXIS_HEIGHT + ROW_HEIGHT * len(shown))
    rows_by_id: dict[str, Row] = {}
    for number, item in enumerate(shown):
        job = item.job
        y = AXIS_HEIGHT + number * ROW_HEIGHT
        bars = tuple(
            Bar(x_of(begin), max(round(x_of(finish) - x_of(begin), 1), 1.0), kind)
            for begin, finish, kind in spans(job, now_ms)
        )
        row = Row(job["jobId"], label(job), job["status"], y, bars, item.child)
        drawn.rows.append(row)
        rows_by_id[row.job_id] = row
    middle = (ROW_HEIGHT - BAR_HEIGHT) / 2 + BAR_HEIGHT / 2
    for item, row in zip(shown, drawn.rows, strict=True):
        for dependency in item.depends_on:
            if (waited_on := rows_by_id.get(dependency)) and waited_on.bars and row.bars:
                last = waited_on.bars[-1]
                drawn.edges.append(
                    Edge(
                        dependency,
                        row.job_id,
                        last.x + last.width,
                        waited_on.y + middle,
                        row.bars[0].x,
                        row.y + middle,
                    )
                )
    drawn.ticks = [
        Tick(
            x_of(start + (end - start) * n // 4), (iso(start + (end - start) * n // 4) or "")[11:19]
        )
        for n in range(5)
    ]
    return drawn


def spans(job: dict[str, Any], now_ms: int) -> list[tuple[int, int, str]]:
    """(begin, end, kind) of the job's waiting and running, in milliseconds."""
    created, started = job["createdAt"], job.get("startedAt")
    ended = job["status"] in FINAL
    end = ended_at(job, now_ms)
    result = [
        (created, started if started else end, "waiting" if started or not ended else job["status"])
    ]
    if started:
        result.append((started, end, job["status"] if ended else "running"))
    return result


def ended_at(job: dict[str, Any], now_ms: int) -> int:
    stopped = job.get("stoppedAt")
    return int(stopped) if stopped and job["status"] in FINAL else now_ms


def label(job: dict[str, Any]) -> str:
    index = job.get("arrayProperties", {}).get("index")
    if index is not None:
        return f"[{index}] {job['status']}"
    size = job.get("arrayProperties", {}).get("size")
    return f"{job['jobName']} ({size} children)" if size else job["jobName"]
