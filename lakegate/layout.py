"""The lake's key layout (SPEC §11): the one place that knows where everything lives.

Keys are relative to their bucket. Every function validates the identifiers it puts
into a key, so nothing user-supplied can escape its prefix.
"""

from __future__ import annotations

from lakegate.ids import Month, validate_dataset, validate_run_id, validate_schema_v

BRONZE, SILVER, GOLD, QUARANTINE, ARTIFACTS = "bronze", "silver", "gold", "quarantine", "artifacts"
BUCKETS = (BRONZE, SILVER, GOLD, QUARANTINE, ARTIFACTS)

SUCCESS = "_SUCCESS"
HALTED = "_HALTED.json"
LATEST = "_LATEST.json"
BRONZE_SUFFIXES = (".csv", ".csv.gz")


# bronze -------------------------------------------------------------------------------
def bronze_month_prefix(dataset: str, month: Month) -> str:
    return f"{validate_dataset(dataset)}/{month.partition}/"


def bronze_month(key: str) -> Month:
    """The month a bronze file is filed under: `<dataset>/year=YYYY/month=MM/<file>`."""
    return Month.from_partition("/".join(key.split("/")[1:3]))


def partition_under(key: str, prefix: str) -> str:
    """The `year=YYYY/month=MM` folder a key lies in right below `prefix` (a run's silver,
    quarantine or condemned folder); a ValueError naming the key when it does not."""
    if not key.startswith(prefix):
        raise ValueError(f"{key!r} is not under {prefix!r}")
    return Month.from_partition("/".join(key[len(prefix) :].split("/")[:2])).partition


# silver -------------------------------------------------------------------------------
def schema_prefix(dataset: str, schema_v: str) -> str:
    return f"{validate_dataset(dataset)}/schema_v={validate_schema_v(schema_v)}/"


def run_prefix(dataset: str, schema_v: str, run_id: str) -> str:
    return f"{schema_prefix(dataset, schema_v)}run_id={validate_run_id(run_id)}/"


def run_partition_prefix(dataset: str, schema_v: str, run_id: str, month: Month) -> str:
    return f"{run_prefix(dataset, schema_v, run_id)}{month.partition}/"


def success_key(dataset: str, schema_v: str, run_id: str) -> str:
    return run_prefix(dataset, schema_v, run_id) + SUCCESS


def run_id_from_dir(name: str) -> str | None:
    """'run_id=X/' (a listed folder) -> 'X' when X is a valid run id, else None."""
    name = name.rstrip("/").rsplit("/", 1)[-1]
    if not name.startswith("run_id="):
        return None
    try:
        return validate_run_id(name[len("run_id=") :])
    except ValueError:
        return None


# quarantine bucket --------------------------------------------------------------------
def quarantine_root(dataset: str) -> str:
    return f"{validate_dataset(dataset)}/quarantine/"


def condemned_root(dataset: str) -> str:
    return f"{validate_dataset(dataset)}/condemned/"


def quarantine_run_prefix(dataset: str, run_id: str) -> str:
    return f"{quarantine_root(dataset)}run_id={validate_run_id(run_id)}/"


def condemned_run_prefix(dataset: str, run_id: str) -> str:
    return f"{condemned_root(dataset)}run_id={validate_run_id(run_id)}/"


def halted_key(dataset: str, run_id: str) -> str:
    return quarantine_run_prefix(dataset, run_id) + HALTED


# publication (silver and gold buckets) ------------------------------------------------
def latest_key(dataset: str) -> str:
    return f"{validate_dataset(dataset)}/{LATEST}"


def current_prefix(dataset: str) -> str:
    return f"{validate_dataset(dataset)}/current/"


def versions_prefix(dataset: str) -> str:
    return f"{validate_dataset(dataset)}/_versions/"


def version_manifest_key(dataset: str, version: int, token: str) -> str:
    """One publication attempt's manifest: its version and a random token, so that two
    racing publishers never write the same key (the pointer's swap decides which one
    is published)."""
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"version {version!r} must be a positive integer")
    if not token.isalnum():
        raise ValueError(f"token {token!r} must be letters and digits")
    return f"{versions_prefix(dataset)}v{version:08d}-{token}.json"


def audit_prefix(dataset: str) -> str:
    return f"{validate_dataset(dataset)}/_audit/"


def audit_key(dataset: str, stamp: str, event: str, subject: str, token: str) -> str:
    """One audit event's key: it sorts by time and names the event and its subject.
    Fields are separated by '.', which neither an event nor a run id can contain."""
    return f"{audit_prefix(dataset)}{stamp}.{event}.{subject}.{token}.json"


def parse_audit_key(key: str) -> tuple[str, str, str]:
    """(time stamp, event, subject) from an audit event's key, without reading it."""
    stamp, event, subject, _ = key.rsplit("/", 1)[-1].split(".", 3)
    return stamp, event, subject
