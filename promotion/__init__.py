"""Write-audit-publish for Lakegate runs (SPEC §7). Imports no Spark.

gate.py and plan.py are pure decisions on plain values; audit.py, publisher.py and
catalog.py do the I/O through lakegate.storage; review.py renders what approvers read.
"""
