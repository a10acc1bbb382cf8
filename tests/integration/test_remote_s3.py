"""An S3 remote (dvc-s3) against moto's S3-compatible server on 127.0.0.1: push, then a fresh
clone restores every output with `dvc repro --pull` and runs nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import output_hashes, run, stages_run

pytestmark = pytest.mark.slow

BUCKET = "lockstep-test"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
OUTPUT_ROOTS = ("data/raw", "data/validated.parquet", "data/split", "data/features", "models")


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free port of 127.0.0.1, with one empty bucket; stopped afterwards."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def use_s3(repo: Path, endpoint: str) -> None:
    """Make the S3 remote this clone's default, in the git-ignored .dvc/config.local."""
    (repo / ".dvc/config.local").write_text(
        "[core]\n    remote = s3\n"
        "['remote \"s3\"']\n"
        f"    url = s3://{BUCKET}/dvc\n"
        f"    endpointurl = {endpoint}\n"
        "    access_key_id = testing\n"
        "    secret_access_key = testing\n"
        "    region = us-east-1\n"
    )


def test_push_then_a_fresh_clone_pulls_everything_and_runs_nothing(project, tmp_path, s3_endpoint):
    use_s3(project, s3_endpoint)
    run(["dvc", "push", "--run-cache"], project, **CREDENTIALS)
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(project), str(clone)], tmp_path)
    use_s3(clone, s3_endpoint)

    # --allow-missing skips every unchanged stage without pulling (what CI needs for a report);
    # --pull alone pulls each unchanged stage's outputs instead of running it.
    skipped = run(["dvc", "repro", "--pull", "--allow-missing"], clone, **CREDENTIALS)
    assert stages_run(skipped.stdout) == []
    repro = run(["dvc", "repro", "--pull"], clone, **CREDENTIALS)

    assert stages_run(repro.stdout) == []
    assert "Pulling data for" in repro.stdout
    assert output_hashes(clone, *OUTPUT_ROOTS) == output_hashes(project, *OUTPUT_ROOTS)
    assert "up to date" in run(["dvc", "status"], clone, **CREDENTIALS).stdout
    assert run(["git", "status", "--porcelain"], clone).stdout == ""
