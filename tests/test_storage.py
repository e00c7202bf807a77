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
