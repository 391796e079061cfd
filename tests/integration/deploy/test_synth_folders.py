"""Two local clouds of one checkout (a developer's `make local-up` and `make test`'s, on two
ports) deploy the same app at the same time. The CDK CLI locks the folder it synthesizes into,
so each cloud synthesizes into a folder of its own."""

import threading

import pytest

from harness import project
from harness.cloud.lifecycle import LocalCloud
from harness.deploy.cdk import DeployError, cdklocal
from harness.engine import choice

# slow: two synths of the app (about 30 s); no engine is involved, so it runs once, in CI's
# embedded-engine lane.
pytestmark = pytest.mark.slow


def test_two_clouds_synthesize_one_app_at_the_same_time(tmp_path):
    app = project.load()
    clouds = [
        LocalCloud(choice.create("moto", tmp_path / name, port), tmp_path / name, app)
        for name, port in (("first", 4701), ("second", 4702))
    ]
    failures: list[DeployError] = []

    def synth(cloud: LocalCloud) -> None:
        log = cloud.state_dir / "synth.log"
        cloud.state_dir.mkdir()
        try:
            cdklocal(
                ["synth", app.stack_name, "--quiet"], cloud.endpoint, log, app, cloud.assembly(app)
            )
        except DeployError as error:
            failures.append(error)

    threads = [threading.Thread(target=synth, args=(cloud,)) for cloud in clouds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    templates = [cloud.assembly(app) / f"{app.stack_name}.template.json" for cloud in clouds]
    assert all(template.is_file() for template in templates)
    assert templates[0].read_text() == templates[1].read_text()
