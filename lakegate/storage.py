"""One small storage interface, two implementations: the local filesystem and S3.

Keys are bucket-relative ('transactions/_LATEST.json'). The implementations differ only
where they must: how bytes are stored, how a conditional write is made atomic, and the
URI Spark uses to reach a key.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import hashlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lakegate.errors import Conflict, LakegateError
from lakegate.layout import BUCKETS


class ObjectNotFound(LakegateError, LookupError):
    """The key does not exist."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime
    etag: str


def check_key(key: str) -> str:
    """Refuse keys that are absolute, empty, or walk out of their prefix."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise ValueError(f"storage key {key!r} is not a relative key")
    if any(part in (".", "..") for part in key.rstrip("/").split("/")) or "//" in key:
        raise ValueError(f"storage key {key!r} has an empty, '.' or '..' segment")
    return key


LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
RETENTION_MODE_TAG = "lakegate:audit-retention-mode"
RETENTION_DAYS_TAG = "lakegate:audit-retention-days"


@dataclass(frozen=True)
class Retention:
    """The S3 Object Lock retention a bucket asks of its write-once records (Terraform
    tags silver and gold with it; their bucket policy refuses a record without it)."""

    mode: str
    days: int

    @classmethod
    def from_tags(cls, bucket: str, tags: Mapping[str, str]) -> Retention | None:
        mode, days = tags.get(RETENTION_MODE_TAG), tags.get(RETENTION_DAYS_TAG)
        if mode is None and days is None:
            return None
        if mode not in LOCK_MODES:
            raise LakegateError(
                f"bucket {bucket}: tag {RETENTION_MODE_TAG}={mode!r} is not one of"
                f" {', '.join(LOCK_MODES)}"
            )
        if days is None or not days.isdigit() or int(days) < 1:
            raise LakegateError(
                f"bucket {bucket}: tag {RETENTION_DAYS_TAG}={days!r} is not a whole number"
                " of days of at least 1"
            )
        return cls(mode, int(days))

    def until(self, now: datetime) -> datetime:
        """The retain-until date of a record written now. An hour over the days, so that
        the remaining retention S3 judges (whole days) is never under them."""
        return now.astimezone(UTC) + timedelta(days=self.days, hours=1)


class Storage(ABC):
    """One bucket (or one folder standing in for a bucket)."""

    @abstractmethod
    def uri(self, key: str = "") -> str:
        """The URI Spark uses for a key (file:///... or s3://bucket/...)."""

    @abstractmethod
    def read_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def read_with_etag(self, key: str) -> tuple[bytes, str]:
        """The content and the ETag of that very content (the compare-and-swap token)."""

    @abstractmethod
    def read_head(self, key: str, size: int) -> bytes:
        """The first `size` bytes (fewer for a shorter object)."""

    @abstractmethod
    def write_bytes(
        self, key: str, data: bytes, *, if_none_match: bool = False, if_match: str | None = None
    ) -> str:
        """Write an object and return its ETag.

        if_none_match: only create (Conflict when it exists). if_match: only replace the
        version with that ETag (Conflict otherwise). Both are atomic against other writers.
        """

    def write_once(self, key: str, data: bytes) -> str:
        """Create a record nobody may change or delete (an audit event): create-only,
        and on S3 under the bucket's Object Lock retention. Conflict if it exists."""
        return self.write_bytes(key, data, if_none_match=True)

    @abstractmethod
    def info(self, key: str) -> ObjectInfo | None: ...

    @abstractmethod
    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object under prefix, recursively, in key order."""

    @abstractmethod
    def list_dirs(self, prefix: str) -> builtins.list[str]:
        """The immediate sub-folders of prefix, as keys ending in '/', sorted."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    def purge(self, key: str) -> None:
        """Delete an object for good: on a versioned bucket, every version of it (a plain
        delete there only hides the object behind a delete marker)."""
        self.delete(key)

    def exists(self, key: str) -> bool:
        return self.info(key) is not None

    def read_text(self, key: str) -> str:
        return self.read_bytes(key).decode("utf-8")


def md5_etag(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class LocalStorage(Storage):
    """A folder standing in for a bucket. Writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def uri(self, key: str = "") -> str:
        base = self.root.as_uri()
        return f"{base}/{check_key(key)}" if key else base

    def read_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(f"{self.uri(key)} does not exist") from None

    def read_with_etag(self, key: str) -> tuple[bytes, str]:
        data = self.read_bytes(key)
        return data, md5_etag(data)

    def read_head(self, key: str, size: int) -> bytes:
        try:
            with self._path(key).open("rb") as handle:
                return handle.read(size)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(f"{self.uri(key)} does not exist") from None

    @contextlib.contextmanager
    def _lock(self, key: str) -> Iterator[None]:
        lock_dir = self.root / ".locks"
        lock_dir.mkdir(parents=True, exist_ok=True)
        lock_path = lock_dir / hashlib.sha256(key.encode()).hexdigest()
        with lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def write_bytes(
        self, key: str, data: bytes, *, if_none_match: bool = False, if_match: str | None = None
    ) -> str:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if if_none_match or if_match is not None:
                with self._lock(key):
                    current = target.read_bytes() if target.exists() else None
                    if if_none_match and current is not None:
                        raise Conflict(f"{self.uri(key)} already exists")
                    if if_match is not None and (current is None or md5_etag(current) != if_match):
                        raise Conflict(f"{self.uri(key)} changed since it was read")
                    os.replace(tmp_name, target)
            else:
                os.replace(tmp_name, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
        return md5_etag(data)

    def write_once(self, key: str, data: bytes) -> str:
        etag = self.write_bytes(key, data, if_none_match=True)
        self._path(key).chmod(0o444)  # the local stand-in for Object Lock
        return etag

    def info(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        stat = path.stat()
        return ObjectInfo(
            key=key,
            size=stat.st_size,
            modified=datetime.fromtimestamp(stat.st_mtime, UTC),
            etag=md5_etag(path.read_bytes()),
        )

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        base = self._path(prefix.rstrip("/")) if prefix else self.root
        if not base.is_dir():
            return
        found = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith(".tmp-"):
                    continue
                path = Path(dirpath) / name
                stat = path.stat()
                found.append(
                    ObjectInfo(
                        key=path.relative_to(self.root).as_posix(),
                        size=stat.st_size,
                        modified=datetime.fromtimestamp(stat.st_mtime, UTC),
                        etag="",  # computed on demand by info(); listing stays cheap
                    )
                )
        yield from sorted(found, key=lambda item: item.key)

    def list_dirs(self, prefix: str) -> builtins.list[str]:
        base = self._path(prefix.rstrip("/")) if prefix else self.root
        if not base.is_dir():
            return []
        return sorted(
            f"{prefix}{entry.name}/"
            for entry in os.scandir(base)
            if entry.is_dir() and not entry.name.startswith(".")
        )

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()


# S3 conditional writes reach botocore as request parameters it must know: IfNoneMatch
# on PutObject since 1.35.2, IfMatch since 1.35.69. An older botocore refuses them
# client-side, at the end of a run (decision 0013).
BOTOCORE_FLOOR = (1, 35, 69)


def check_botocore(version: str) -> None:
    found = tuple(int(part) for part in version.split(".")[:3] if part.isdigit())
    if found < BOTOCORE_FLOOR:
        floor = ".".join(map(str, BOTOCORE_FLOOR))
        raise LakegateError(
            f"botocore {version} is older than {floor}, the first to send S3 conditional"
            f" writes (IfNoneMatch/IfMatch): install boto3>={floor} (pip install lakegate does)"
        )


class S3Storage(Storage):
    """A bucket through an injected boto3 S3 client (conditional writes for CAS)."""

    def __init__(self, client, bucket: str) -> None:
        import botocore

        check_botocore(botocore.__version__)
        self.client = client
        self.bucket = bucket
        self._retention: Retention | None = None
        self._retention_read = False

    def uri(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{check_key(key)}" if key else f"s3://{self.bucket}"

    @staticmethod
    def _code(error) -> str:
        return error.response.get("Error", {}).get("Code", "")

    def read_bytes(self, key: str) -> bytes:
        return self.read_with_etag(key)[0]

    def read_with_etag(self, key: str) -> tuple[bytes, str]:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as error:
            if self._code(error) in ("NoSuchKey", "404"):
                raise ObjectNotFound(f"{self.uri(key)} does not exist") from None
            raise
        return response["Body"].read(), response["ETag"].strip('"')

    def read_head(self, key: str, size: int) -> bytes:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(
                Bucket=self.bucket, Key=check_key(key), Range=f"bytes=0-{size - 1}"
            )["Body"]
            return body.read()
        except ClientError as error:
            if self._code(error) == "InvalidRange":  # an empty object
                return b""
            if self._code(error) in ("NoSuchKey", "404"):
                raise ObjectNotFound(f"{self.uri(key)} does not exist") from None
            raise

    def write_bytes(
        self, key: str, data: bytes, *, if_none_match: bool = False, if_match: str | None = None
    ) -> str:
        extra = {}
        if if_none_match:
            extra["IfNoneMatch"] = "*"
        if if_match is not None:
            extra["IfMatch"] = f'"{if_match}"'
        return self._put(key, data, extra)

    def write_once(self, key: str, data: bytes) -> str:
        extra: dict = {"IfNoneMatch": "*"}
        retention = self.retention()
        if retention is not None:
            # S3 requires a checksum on a write that carries Object Lock settings.
            extra.update(
                ObjectLockMode=retention.mode,
                ObjectLockRetainUntilDate=retention.until(datetime.now(UTC)),
                ChecksumAlgorithm="SHA256",
            )
        return self._put(key, data, extra)

    def retention(self) -> Retention | None:
        """The bucket's audit retention, from its tags (read once)."""
        from botocore.exceptions import ClientError

        if not self._retention_read:
            try:
                tag_set = self.client.get_bucket_tagging(Bucket=self.bucket)["TagSet"]
            except ClientError as error:
                if self._code(error) != "NoSuchTagSet":
                    raise
                tag_set = []
            tags = {tag["Key"]: tag["Value"] for tag in tag_set}
            self._retention = Retention.from_tags(self.bucket, tags)
            self._retention_read = True
        return self._retention

    def _put(self, key: str, data: bytes, extra: dict) -> str:
        from botocore.exceptions import ClientError

        try:
            response = self.client.put_object(
                Bucket=self.bucket, Key=check_key(key), Body=data, **extra
            )
        except ClientError as error:
            if self._code(error) in ("PreconditionFailed", "ConditionalRequestConflict", "412"):
                raise Conflict(f"{self.uri(key)} changed concurrently") from None
            raise
        return response["ETag"].strip('"')

    def info(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as error:
            if self._code(error) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return ObjectInfo(key, head["ContentLength"], head["LastModified"], head["ETag"].strip('"'))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    item["Key"], item["Size"], item["LastModified"], item["ETag"].strip('"')
                )

    def list_dirs(self, prefix: str) -> builtins.list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        found: builtins.list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            found.extend(item["Prefix"] for item in page.get("CommonPrefixes", []))
        return sorted(found)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def purge(self, key: str) -> None:
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=check_key(key)):
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if item["Key"] == key:
                    self.client.delete_object(
                        Bucket=self.bucket, Key=key, VersionId=item["VersionId"]
                    )


class Lake:
    """The five buckets of one environment, by role (bronze, silver, ...)."""

    def __init__(self, stores: Mapping[str, Storage]) -> None:
        missing = set(BUCKETS) - set(stores)
        if missing:
            raise ValueError(f"lake is missing buckets: {', '.join(sorted(missing))}")
        self.stores = dict(stores)

    def __getitem__(self, bucket: str) -> Storage:
        return self.stores[bucket]

    @classmethod
    def local(cls, root: Path | str) -> Lake:
        root = Path(root)
        return cls({name: LocalStorage(root / name) for name in BUCKETS})

    @classmethod
    def s3(cls, client, bucket_names: Mapping[str, str]) -> Lake:
        return cls({name: S3Storage(client, bucket_names[name]) for name in BUCKETS})

    @classmethod
    def from_uris(cls, uris: Mapping[str, str], s3_client_factory=None) -> Lake:
        """Buckets given as URIs (as the Glue job receives them): file:// paths or s3://."""
        stores: dict[str, Storage] = {}
        for name, uri in uris.items():
            if uri.startswith("s3://"):
                bucket = uri[len("s3://") :].strip("/")
                if "/" in bucket:
                    raise ValueError(f"{name} location {uri} must be a bucket, not a prefix")
                if s3_client_factory is None:
                    import boto3

                    s3_client_factory = lambda: boto3.client("s3")  # noqa: E731
                stores[name] = S3Storage(s3_client_factory(), bucket)
            else:
                path = uri[len("file://") :] if uri.startswith("file://") else uri
                stores[name] = LocalStorage(Path(path))
        return cls(stores)
