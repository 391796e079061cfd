"""Charts of the benchmarks' results, as SVG files with no plotting library.

    python -m bench.charts [RESULTS_DIR [OUTPUT_DIR]]   (defaults: bench/results, docs/benchmarks)

Draws, from whichever results exist (each benchmark's JSON, per engine):
- processor-throughput.svg: rows/s of every run of `make bench` (the naive baseline, the raw
  clients, the processor by file size, with 10 ms per request, its own work), by engine;
- writers.svg: rows/s by number of writers, with and without latency (`make bench-writers`);
- inner-loop.svg: seconds from a save to the stack deployed and to the new code running, by
  path, with the targets (`make bench-inner-loop`);
- console.svg: median seconds of each console page with a full cloud, with the target
  (`make bench-console`).
"""

import json
import sys
from html import escape
from pathlib import Path

from harness.paths import REPO

BAR_HEIGHT = 18
LABEL_WIDTH = 300
PLOT_WIDTH = 420
COLOURS = ("#2f6f9f", "#d08a2c", "#5a9f55", "#9f4f6f")


def bar_chart(title: str, unit: str, groups: dict[str, list[tuple[str, float]]]) -> str:
    """Horizontal bars, one colour per group (e.g. an engine), labelled with their values."""
    rows = [(group, label, value) for group, bars in groups.items() for label, value in bars]
    highest = max((value for _, _, value in rows), default=1) or 1
    height = 50 + len(rows) * (BAR_HEIGHT + 6) + 20 * len(groups)
    width = LABEL_WIDTH + PLOT_WIDTH + 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    y = 40
    for index, (group, bars) in enumerate(groups.items()):
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<text x="10" y="{y + 12}" font-weight="bold">{escape(group)}</text>')
        y += 20
        for label, value in bars:
            length = PLOT_WIDTH * value / highest
            parts += [
                f'<text x="{LABEL_WIDTH - 8}" y="{y + 13}" text-anchor="end">'
                f"{escape(label)}</text>",
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
                f'fill="{colour}"/>',
                f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 13}">'
                f"{value:,.1f} {escape(unit)}</text>".replace(".0 ", " "),
            ]
            y += BAR_HEIGHT + 6
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def by_engine(results: Path, name: str) -> dict[str, dict]:
    """Every `<name>-<engine>.json` in `results`, by engine."""
    found = {}
    for path in sorted(results.glob(f"{name}-*.json")):
        found[path.stem.removeprefix(f"{name}-")] = json.loads(path.read_text())
    return found


def processor_bars(result: dict) -> list[tuple[str, float]]:
    bars = [("naive PutItem per row", result["naive"]["rows_per_s"])]
    bars += [
        (f"raw BatchWriteItem, {r['threads']} threads", r["rows_per_s"]) for r in result["ceiling"]
    ]
    bars += [
        (f"processor, {int(rows):,} rows", run["rows_per_s"])
        for rows, run in result["processor"].items()
    ]
    bars.append(("processor, 10 ms per request", result["processor_with_latency"]["rows_per_s"]))
    for own in result["processor_own_work"]:
        delay = f", {own['delay_ms']} ms" if own["delay_ms"] else ""
        bars.append((f"own work, {own['rows']:,} rows{delay}", own["rows_per_s"]))
    return bars


def writers_bars(result: dict) -> dict[str, list[tuple[str, float]]]:
    return {
        f"{latency} ms added per request": [
            (f"{run['writers']} writers", run["rows_per_second"]) for run in runs
        ]
        for latency, runs in result["by_latency_ms"].items()
    }


def persistence_bars(result: dict) -> list[tuple[str, float]]:
    rows = f"{result['rows']:,} rows"
    return [
        (f"persistence {state}, {rows} (median)", result["median_rows_per_s"][state])
        for state in ("off", "on")
    ]


def inner_loop_bars(result: dict) -> list[tuple[str, float]]:
    bars = []
    for path, figures in result["results"].items():
        bars.append((f"{path}: save to stack deployed", figures["deployed_median_s"]))
        bars.append((f"{path}: save to new code running", figures["running_median_s"]))
        bars.append((f"{path}: target", figures["target_s"]))
    return bars


def console_bars(result: dict) -> list[tuple[str, float]]:
    bars = [(page, figures["median_s"]) for page, figures in result["pages"].items()]
    return [*bars, ("target", result["target_s"])]


def draw(results: Path, output: Path) -> list[Path]:
    """Write every chart whose results exist; the paths written."""
    output.mkdir(parents=True, exist_ok=True)
    charts: dict[str, str] = {}
    if processor := by_engine(results, "processor"):
        groups = {engine: processor_bars(result) for engine, result in processor.items()}
        charts["processor-throughput.svg"] = bar_chart(
            "make bench: rows per second", "rows/s", groups
        )
    for engine, result in by_engine(results, "writers").items():
        title = f"make bench-writers ({engine}, {result['rows']:,} rows): rows per second"
        charts[f"writers-{engine}.svg"] = bar_chart(title, "rows/s", writers_bars(result))
    if inner := by_engine(results, "inner-loop"):
        groups = {engine: inner_loop_bars(result) for engine, result in inner.items()}
        charts["inner-loop.svg"] = bar_chart("make bench-inner-loop: median seconds", "s", groups)
    if persistence := by_engine(results, "persistence"):
        groups = {engine: persistence_bars(result) for engine, result in persistence.items()}
        charts["persistence.svg"] = bar_chart(
            "make bench: the processor with the engine's persistence off and on", "rows/s", groups
        )
    if console := by_engine(results, "console"):
        groups = {engine: console_bars(result) for engine, result in console.items()}
        charts["console.svg"] = bar_chart(
            "make bench-console: median seconds per page", "s", groups
        )
    written = []
    for name, svg in charts.items():
        (output / name).write_text(svg)
        written.append(output / name)
    return written


def main(argv: list[str]) -> int:
    results = Path(argv[0]) if argv else REPO / "bench" / "results"
    output = Path(argv[1]) if len(argv) > 1 else REPO / "docs" / "benchmarks"
    written = draw(results, output)
    if not written:
        print(f"no results in {results}: run a benchmark first", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
