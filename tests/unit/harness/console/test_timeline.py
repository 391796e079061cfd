"""The timeline's geometry from AWS's job times: bars for waiting and running on one axis, a
job not yet ended drawn to now, and an edge from a dependency's end to its dependent's start."""

from harness.console.timeline import LABEL_WIDTH, WIDTH, Shown, spans, timeline

T0 = 1_796_292_000_000


def job(
    job_id: str,
    status: str,
    created: int,
    started: int | None = None,
    stopped: int | None = None,
    **more,
):
    record = {"jobId": job_id, "jobName": job_id, "status": status, "createdAt": T0 + created}
    if started is not None:
        record["startedAt"] = T0 + started
    if stopped is not None:
        record["stoppedAt"] = T0 + stopped
    return record | more


def test_a_finished_job_waits_then_runs_in_the_colour_of_its_end():
    assert spans(job("a", "SUCCEEDED", 0, 2000, 5000), now_ms=T0 + 9000) == [
        (T0, T0 + 2000, "waiting"),
        (T0 + 2000, T0 + 5000, "SUCCEEDED"),
    ]


def test_a_running_job_runs_until_now_and_a_waiting_one_waits_until_now():
    now = T0 + 9000
    assert spans(job("a", "RUNNING", 0, 2000), now)[-1] == (T0 + 2000, now, "running")
    assert spans(job("b", "RUNNABLE", 1000), now) == [(T0 + 1000, now, "waiting")]


def test_a_job_that_ended_without_starting_is_one_bar_of_its_end():
    assert spans(job("a", "FAILED", 0, stopped=3000), T0 + 9000) == [(T0, T0 + 3000, "FAILED")]


def test_the_axis_spans_the_first_creation_to_the_last_end():
    drawn = timeline(
        [Shown(job("a", "SUCCEEDED", 0, 0, 5000)), Shown(job("b", "SUCCEEDED", 5000, 5000, 10000))],
        now_ms=T0 + 60_000,
    )

    first, second = (row.bars[-1] for row in drawn.rows)
    assert first.x == LABEL_WIDTH and second.x + second.width == WIDTH
    assert abs(first.width - (WIDTH - LABEL_WIDTH) / 2) < 0.2
    assert drawn.ticks[0].label == "10:00:00"  # UTC


def test_a_dependency_is_an_edge_from_its_end_to_the_dependents_start():
    drawn = timeline(
        [
            Shown(job("first", "SUCCEEDED", 0, 1000, 4000)),
            Shown(job("then", "SUCCEEDED", 500, 4000, 8000), depends_on=("first", "elsewhere")),
        ],
        now_ms=T0 + 9000,
    )

    (edge,) = drawn.edges  # a job not on the timeline has no edge
    first, then = drawn.rows
    assert (edge.waited_on, edge.waiting) == ("first", "then")
    assert edge.x1 == first.bars[-1].x + first.bars[-1].width
    assert edge.x2 == then.bars[0].x
    assert edge.y1 < edge.y2


def test_an_arrays_children_are_labelled_by_index_under_it():
    parent = job("p", "RUNNING", 0, 100, arrayProperties={"size": 2})
    children = [
        Shown(job(f"p:{n}", "SUCCEEDED", 0, 100, 900, arrayProperties={"index": n}), child=True)
        for n in range(2)
    ]

    drawn = timeline([Shown(parent), *children], now_ms=T0 + 1000)

    assert [(row.label, row.child) for row in drawn.rows] == [
        ("p (2 children)", False),
        ("[0] SUCCEEDED", True),
        ("[1] SUCCEEDED", True),
    ]
