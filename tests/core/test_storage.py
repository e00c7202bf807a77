"""The storage contract, run against both implementations (S3 through moto)."""

import boto3
import pytest
from moto import mock_aws

from lakegate.errors import Conflict
from lakegate.storage import LocalStorage, ObjectNotFound, S3Storage, check_key


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        yield LocalStorage(tmp_path / "bucket")
        return
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(
            Bucket="lakegate-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield S3Storage(client, "lakegate-test")


def test_write_read_list(storage):
    storage.write_bytes("ds/a/1.json", b"one")
    storage.write_bytes("ds/a/b/2.json", b"two")
    storage.write_bytes("ds/c/3.json", b"three")
    assert storage.read_bytes("ds/a/1.json") == b"one"
    assert [o.key for o in storage.list("ds/a/")] == ["ds/a/1.json", "ds/a/b/2.json"]
    assert storage.list_dirs("ds/") == ["ds/a/", "ds/c/"]
    assert storage.read_head("ds/c/3.json", 2) == b"th"
    assert storage.info("ds/c/3.json").size == 5
    assert storage.info("ds/missing") is None


def test_missing_object_is_object_not_found(storage):
    with pytest.raises(ObjectNotFound):
        storage.read_bytes("ds/none.json")


def test_empty_object_head_is_empty(storage):
    storage.write_bytes("ds/empty.csv", b"")
    assert storage.read_head("ds/empty.csv", 100) == b""


def test_create_only_write_refuses_an_existing_key(storage):
    storage.write_bytes("ds/_SUCCESS", b"first", if_none_match=True)
    with pytest.raises(Conflict):
        storage.write_bytes("ds/_SUCCESS", b"second", if_none_match=True)
    assert storage.read_bytes("ds/_SUCCESS") == b"first"


def test_compare_and_swap_succeeds_once_per_version(storage):
    storage.write_bytes("ds/_LATEST.json", b"v1")
    _, etag = storage.read_with_etag("ds/_LATEST.json")
    storage.write_bytes("ds/_LATEST.json", b"v2", if_match=etag)
    with pytest.raises(Conflict):
        storage.write_bytes("ds/_LATEST.json", b"v2-lost-update", if_match=etag)
    assert storage.read_bytes("ds/_LATEST.json") == b"v2"


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "./a", "a\\b", "a/\x00"])
def test_keys_that_escape_are_refused(key):
    with pytest.raises(ValueError):
        check_key(key)


def test_a_botocore_without_conditional_writes_is_refused_in_one_line():
    from lakegate.errors import LakegateError
    from lakegate.storage import BOTOCORE_FLOOR, check_botocore

    check_botocore(".".join(map(str, BOTOCORE_FLOOR)))
    check_botocore("1.40.0")
    for old in ("1.34.131", "1.35.1", "1.35.68"):
        with pytest.raises(LakegateError, match=f"botocore {old} is older than 1.35.69"):
            check_botocore(old)


def test_the_deployed_job_gets_the_botocore_it_needs():
    """On Glue the job's boto3 is what --additional-python-modules installs with the wheel:
    the wheel's own floor, unless pip were told not to install dependencies."""
    import tomllib

    from lakegate.storage import BOTOCORE_FLOOR
    from rehearsal.definitions import glue_jobs
    from rehearsal.roles import Place
    from tests.terraform import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floor = ".".join(map(str, BOTOCORE_FLOOR))
    assert f"boto3>={floor}" in project["dependencies"]
    for job in glue_jobs(Place(), "1").values():
        assert job.default_arguments["--additional-python-modules"].endswith(".whl")
        assert "--no-deps" not in job.default_arguments.get("--python-modules-installer-option", "")
