"""What the benchmarks share (bench/common.py) and their charts (bench/charts.py)."""

import json
import xml.etree.ElementTree as ElementTree

import pytest

from bench import charts, common


def test_figures_not_produced_are_named_by_their_path():
    results = {"a": 1, "b": None, "c": [{"d": float("nan")}, {"d": 2}], "e": [], "f": {"g": 0}}

    assert common.unproduced(results) == ["b", "c[0].d", "e"]


def test_writing_results_with_a_missing_figure_fails_after_saving_them(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RESULTS", tmp_path)

    with pytest.raises(SystemExit, match=r"figures not produced: runs\[1\]\.seconds"):
        common.write_results("bench", {"runs": [{"seconds": 1.5}, {"seconds": None}]})
    assert json.loads((tmp_path / "bench.json").read_text())["runs"][0]["seconds"] == 1.5


def test_a_chart_is_drawn_per_result_with_a_bar_per_figure(tmp_path):
    inner_loop = {
        "results": {
            "watch": {"deployed_median_s": 3.7, "running_median_s": 4.6, "target_s": 10.0},
            "make local-up": {"deployed_median_s": 11, "running_median_s": 12, "target_s": 20},
        }
    }
    writers = {"rows": 1000, "by_latency_ms": {"0": [{"writers": 1, "rows_per_second": 900}]}}
    (tmp_path / "inner-loop-moto.json").write_text(json.dumps(inner_loop))
    (tmp_path / "writers-moto.json").write_text(json.dumps(writers))

    written = charts.draw(tmp_path, tmp_path / "charts")

    assert sorted(path.name for path in written) == ["inner-loop.svg", "writers-moto.svg"]
    svg = ElementTree.parse(tmp_path / "charts" / "inner-loop.svg").getroot()
    bars = [rect for rect in svg.iter("{http://www.w3.org/2000/svg}rect")][1:]  # 1: background
    texts = [text.text for text in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert len(bars) == 6
    assert "watch: save to new code running" in texts and "4.6 s" in texts
