"""Publishing (SPEC §7): manifest first, then compare-and-swap of _LATEST.json, then
current/ re-derived from the pointer. Only this module writes those keys.

Crash anywhere: before the swap nothing visible changed (an unreferenced manifest is
harmless); after it, current/ is re-derived by the next publication or `sync_current`.
Two promoters racing: the swap lets exactly one win; the other gets Conflict (exit 4).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from lakegate import layout
from lakegate.config import DatasetConfig
from lakegate.errors import BadArgument, Conflict, LakegateError, Refused
from lakegate.faults import crash_point
from lakegate.ids import validate_run_id
from lakegate.manifest import Version
from lakegate.metrics import key_metrics
from lakegate.pointer import Latest, read_latest
from lakegate.storage import Lake, ObjectNotFound
from lakegate.summary import RunSummary
from promotion import audit
from promotion.approvals import Approvals
from promotion.gate import GateResult, evaluate
from promotion.plan import Approval, plan_promotion, plan_rollback

SYMLINK_NAME = "symlink.txt"
CURRENT_VERSION_NAME = "_VERSION"


def validate_person(value: str, what: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise BadArgument(f"{what} must not be empty")
    if len(text) > limit or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise BadArgument(f"{what} must be one line of at most {limit} printable characters")
    return text


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Promoter:
    """Promotion, rejection and rollback of one dataset's runs in one publication bucket."""

    def __init__(
        self,
        lake: Lake,
        config: DatasetConfig,
        caller: Callable[[], str],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        bucket: str = "silver",
        catalog=None,
    ) -> None:
        """`catalog`: a promotion.catalog.GlueCatalog to keep in step with current/."""
        self.lake, self.config, self.caller, self.now = lake, config, caller, now
        self.catalog = catalog
        self.dataset = config.name
        self.store = lake[bucket]

    # reading -----------------------------------------------------------------------
    def summary(self, run_id: str) -> RunSummary | None:
        """The run's _SUCCESS, or None when the run is failed, halted or partial."""
        validate_run_id(run_id)
        for schema_v in self.config.known_schema_versions:
            key = layout.success_key(self.dataset, schema_v, run_id)
            try:
                data = self.store.read_bytes(key)
            except ObjectNotFound:
                continue
            return RunSummary.from_json(data, self.store.uri(key))
        return None

    def current(self) -> tuple[Latest | None, Version | None]:
        latest = read_latest(self.store, self.dataset)
        if latest is None:
            return None, None
        return latest, Version.from_json(self.store.read_bytes(latest.manifest))

    def history(self) -> list[tuple[str, Version]]:
        """Every published version, newest first, following the manifests' chain."""
        latest, version = self.current()
        chain, key = [], latest.manifest if latest else None
        while key:
            version = Version.from_json(self.store.read_bytes(key))
            chain.append((key, version))
            key = version.previous_manifest
        return chain

    def gate(self, run_id: str, summary: RunSummary | None, current: Version | None) -> GateResult:
        published = current is not None and any(
            run_id in content.runs for content in current.partitions.values()
        )
        rejected = run_id in audit.subjects(self.store, self.dataset, "reject")
        return evaluate(
            run_id, summary, self.config, rejected=rejected, already_published=published
        )

    # deciding ----------------------------------------------------------------------
    def _approval(
        self, approver: str | None, reason: str, approvals: Approvals | None = None
    ) -> Approval:
        if approvals is not None:
            approver = approvals.approved_by
        return Approval(
            approved_by=validate_person(approver or "", "approver", 200),
            reason=validate_person(reason, "reason", 2000),
            caller=self.caller(),
            at=_iso(self.now()),
        )

    def promote(
        self, run_id: str, approver: str | None, reason: str, approvals: Approvals | None = None
    ) -> Version:
        approval = self._approval(approver, reason, approvals)
        summary = self.summary(run_id)
        latest, current = self.current()
        gate = self.gate(run_id, summary, current)
        event = {
            "run_id": run_id,
            "approver": approval.approved_by,
            **(approvals.to_event() if approvals else {}),
            "reason": approval.reason,
            "caller": approval.caller,
            "gate": gate.to_dict(),
            "run_metrics": key_metrics(summary),
            "published_version": current.version if current else None,
        }
        if not gate.passed:
            audit.record(self.store, self.dataset, "promote-refused", self.now(), event)
            failed = gate.failures[0]
            raise Refused(f"promotion of {run_id} refused: {failed.name}: {failed.detail}")
        assert summary is not None  # the gate refuses a run without _SUCCESS
        key = audit.record(self.store, self.dataset, "promote", self.now(), event)
        version = replace(
            plan_promotion(
                current, latest.manifest if latest else None, summary, approval, gate.to_dict()
            ),
            audit_event=key,
        )
        self._publish_recorded(version, latest, event, "promote-conflict")
        return version

    def reject(
        self, run_id: str, approver: str | None, reason: str, approvals: Approvals | None = None
    ) -> str:
        approval = self._approval(approver, reason, approvals)
        summary = self.summary(run_id)
        if summary is None and not any(ref.run_id == run_id for ref in self._run_refs()):
            raise BadArgument(f"run {run_id} does not exist for {self.dataset}")
        _, current = self.current()
        return audit.record(
            self.store,
            self.dataset,
            "reject",
            self.now(),
            {
                "run_id": run_id,
                "approver": approval.approved_by,
                **(approvals.to_event() if approvals else {}),
                "reason": approval.reason,
                "caller": approval.caller,
                "gate": self.gate(run_id, summary, current).to_dict(),
                "run_metrics": key_metrics(summary),
            },
        )

    def rollback(self, approver: str, reason: str, to_version: int | None = None) -> Version:
        approval = self._approval(approver, reason)
        chain = self.history()
        if not chain:
            raise Refused(f"nothing is published for {self.dataset}: nothing to roll back")
        (current_key, current), *older = chain
        if to_version is None:
            if current.previous_version is None:
                raise Refused(f"version {current.version} is the first: nothing to roll back to")
            to_version = current.previous_version
        if to_version == current.version:
            raise Refused(f"version {to_version} is already published")
        target = next((v for _, v in older if v.version == to_version), None)
        if target is None:
            raise BadArgument(
                f"version {to_version} does not exist (published: 1..{current.version})"
            )
        event = {
            "version": current.version + 1,
            "rollback_to": to_version,
            "approver": approval.approved_by,
            "reason": approval.reason,
            "caller": approval.caller,
            "published_version": current.version,
        }
        key = audit.record(self.store, self.dataset, "rollback", self.now(), event)
        version = replace(plan_rollback(current, current_key, target, approval), audit_event=key)
        latest, _ = self.current()
        if latest is None or latest.version != current.version:
            raise Conflict("another publication happened meanwhile: run the command again")
        self._publish_recorded(version, latest, event, "rollback-conflict")
        return version

    def _run_refs(self):
        from lakegate.catalog import silver_runs

        return silver_runs(
            self.lake, self.dataset, self.config.known_schema_versions, self.config.bucket
        )

    # publishing --------------------------------------------------------------------
    def _publish_recorded(
        self, version: Version, latest: Latest | None, event: dict, lost_event: str
    ) -> None:
        """Publish; when another publication won, record that in the audit log too."""
        try:
            self._publish(version, latest)
        except Conflict:
            audit.record(
                self.store,
                self.dataset,
                lost_event,
                self.now(),
                {**event, "audit_event": version.audit_event},
            )
            raise

    def _publish(self, version: Version, latest: Latest | None) -> None:
        manifest = layout.version_manifest_key(self.dataset, version.version, secrets.token_hex(6))
        crash_point("promote:before_manifest")
        self.store.write_bytes(manifest, version.to_json(), if_none_match=True)
        crash_point("promote:after_manifest")
        pointer = Latest(
            dataset=self.dataset,
            schema_v=version.schema_v,
            version=version.version,
            partitions=version.runs_by_partition(),
            manifest=manifest,
            published_at=version.published_at,
            approved_by=version.approved_by,
            extra={
                "action": version.action,
                "run_id": version.run_id,
                # The orchestrator's execution that produced the run (SPEC §7), if any.
                "execution_arn": version.run_metrics.get("execution_arn"),
                "audit_event": version.audit_event,
            },
        )
        try:
            if latest is None:
                self.store.write_bytes(
                    layout.latest_key(self.dataset), pointer.to_json(), if_none_match=True
                )
            else:
                self.store.write_bytes(
                    layout.latest_key(self.dataset), pointer.to_json(), if_match=latest.etag
                )
        except Conflict:
            raise Conflict(
                f"another promotion published {self.dataset} first (version"
                f" {version.version} is taken): check `lakegate runs` and run the command again"
            ) from None
        crash_point("promote:after_pointer")
        try:
            self.sync_current()
        except Exception as error:
            raise LakegateError(
                f"published version {version.version}, but updating current/ or the catalog"
                f" failed ({type(error).__name__}: {error}); run `lakegate sync-current`"
            ) from error

    def sync_current(self) -> int:
        """Make current/ serve what _LATEST.json names, repeating until the pointer did
        not move meanwhile, so racing publishers converge on the newest version."""
        while True:
            latest, version = self.current()
            if latest is None or version is None:
                return 0
            prefix = layout.current_prefix(self.dataset)
            wanted = {
                f"{prefix}{partition}/{SYMLINK_NAME}": "".join(
                    f"{self.store.uri(key)}\n" for key in content.files
                )
                for partition, content in version.partitions.items()
            }
            for key, text in sorted(wanted.items()):
                try:
                    if self.store.read_text(key) == text:
                        continue
                except ObjectNotFound:
                    pass
                self.store.write_bytes(key, text.encode())
            for item in self.store.list(prefix):
                if item.key.endswith(SYMLINK_NAME) and item.key not in wanted:
                    self.store.delete(item.key)
            self.store.write_bytes(
                f"{prefix}{CURRENT_VERSION_NAME}", f"{version.version}\n".encode()
            )
            again = read_latest(self.store, self.dataset)
            if again is not None and again.version == latest.version:
                if self.catalog is not None:
                    self.catalog.sync(
                        {p: self.store.uri(f"{prefix}{p}/") for p in version.partitions}
                    )
                return version.version
