"""What Spark spent its time on, from its event log (the file the Spark UI replays).

Reads the JSON-lines event log of one application and reports per stage: wall time,
tasks, summed executor run time, CPU, GC, shuffle bytes and spill, and the share of
the application's stage time. `python -m bench.eventlog <log file>` prints it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def spark_conf(directory: Path | None) -> dict[str, str]:
    """The settings that make Spark write its event log under `directory` (created;
    made absolute, as a file URI must be); none for None."""
    if directory is None:
        return {}
    directory.mkdir(parents=True, exist_ok=True)
    return {"spark.eventLog.enabled": "true", "spark.eventLog.dir": directory.resolve().as_uri()}


def _metric(task_metrics: dict, *path: str) -> int:
    value = task_metrics
    for key in path:
        value = value.get(key, 0) if isinstance(value, dict) else 0
    return int(value or 0)


def _events(log: Path):
    """The event log's events, one JSON object per line, with their kind."""
    with log.open() as lines:
        for line in lines:
            event = json.loads(line)
            yield event.get("Event"), event


def stages(log: Path) -> list[dict]:
    """One record per completed stage, in completion order."""
    tasks: dict[tuple[int, int], dict] = {}
    done = []
    for kind, event in _events(log):
        if kind == "SparkListenerTaskEnd":
            key = (event["Stage ID"], event["Stage Attempt ID"])
            m = event.get("Task Metrics") or {}
            acc = tasks.setdefault(
                key,
                {
                    "run_ms": 0,
                    "cpu_ns": 0,
                    "gc_ms": 0,
                    "shuffle_read": 0,
                    "shuffle_write": 0,
                    "spill": 0,
                    "input": 0,
                    "output": 0,
                },
            )
            acc["run_ms"] += _metric(m, "Executor Run Time")
            acc["cpu_ns"] += _metric(m, "Executor CPU Time")
            acc["gc_ms"] += _metric(m, "JVM GC Time")
            acc["shuffle_read"] += _metric(
                m, "Shuffle Read Metrics", "Remote Bytes Read"
            ) + _metric(m, "Shuffle Read Metrics", "Local Bytes Read")
            acc["shuffle_write"] += _metric(m, "Shuffle Write Metrics", "Shuffle Bytes Written")
            acc["spill"] += _metric(m, "Disk Bytes Spilled")
            acc["input"] += _metric(m, "Input Metrics", "Bytes Read")
            acc["output"] += _metric(m, "Output Metrics", "Bytes Written")
        elif kind == "SparkListenerStageCompleted":
            info = event["Stage Info"]
            key = (info["Stage ID"], info["Stage Attempt ID"])
            wall = (info.get("Completion Time", 0) - info.get("Submission Time", 0)) / 1000
            done.append(
                {
                    "stage": info["Stage ID"],
                    "name": info["Stage Name"].split(" at ")[0],
                    "where": info["Stage Name"].split(" at ")[-1],
                    "tasks": info["Number of Tasks"],
                    "wall_s": round(wall, 2),
                    **tasks.get(key, {}),
                }
            )
    return done


def counts(log: Path, since_ms: int = 0) -> dict:
    """The Spark jobs submitted at or after `since_ms` (epoch milliseconds) and their
    stages: run, and skipped (a shuffle's output reused from an earlier job). Each job
    is one action; each stage run is one plan compiled and scheduled."""
    jobs, listed, run = 0, set(), set()
    for kind, event in _events(log):
        if kind == "SparkListenerJobStart" and event["Submission Time"] >= since_ms:
            jobs += 1
            listed.update(event.get("Stage IDs", []))
        elif kind == "SparkListenerStageCompleted":
            info = event["Stage Info"]
            if info["Stage ID"] in listed:
                run.add(info["Stage ID"])
    return {"jobs": jobs, "stages": len(run), "stages_skipped": len(listed - run)}


def phases(log: Path) -> dict[str, dict]:
    """Per job description (glue_jobs.run.phase names them): wall seconds during which
    at least one of its jobs ran, the executors' CPU seconds and run seconds of its
    tasks (run seconds over wall seconds is how many cores it kept busy on average),
    its task count, and the most input one of its tasks read (MB): in any of its
    stages (a persisted frame read back counts as input), and in its first stage (for
    the validation phase, the stage that reads the bronze files)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    stage_phase: dict[int, str] = {}
    started: dict[int, tuple[str, int]] = {}
    cpu: dict[str, float] = {}
    run: dict[str, float] = {}
    tasks: dict[str, int] = {}
    largest_input: dict[str, int] = {}
    first_stage: dict[str, int] = {}  # a phase's first stage: the one that reads its input
    scan_input: dict[int, int] = {}  # stage -> the most input one of its tasks read
    for kind, event in _events(log):
        if kind == "SparkListenerJobStart":
            props = event.get("Properties") or {}
            name = props.get("spark.job.description") or "(unnamed)"
            started[event["Job ID"]] = (name, event["Submission Time"])
            for stage in event.get("Stage IDs", []):
                stage_phase[stage] = name
                first_stage[name] = min(first_stage.get(name, stage), stage)
        elif kind == "SparkListenerJobEnd" and event["Job ID"] in started:
            name, begin = started.pop(event["Job ID"])
            spans.setdefault(name, []).append((begin, event["Completion Time"]))
        elif kind == "SparkListenerTaskEnd":
            name = stage_phase.get(event["Stage ID"], "(unnamed)")
            m = event.get("Task Metrics") or {}
            cpu[name] = cpu.get(name, 0.0) + _metric(m, "Executor CPU Time") / 1e9
            run[name] = run.get(name, 0.0) + _metric(m, "Executor Run Time") / 1e3
            tasks[name] = tasks.get(name, 0) + 1
            read = _metric(m, "Input Metrics", "Bytes Read")
            largest_input[name] = max(largest_input.get(name, 0), read)
            scan_input[event["Stage ID"]] = max(scan_input.get(event["Stage ID"], 0), read)
    out = {}
    for name, intervals in spans.items():
        total, end = 0, None
        for begin, finish in sorted(intervals):
            if end is None or begin > end:
                total += finish - begin
                end = finish
            elif finish > end:
                total += finish - end
                end = finish
        out[name] = {
            "wall_s": round(total / 1000, 2),
            "cpu_s": round(cpu.get(name, 0.0), 2),
            "run_s": round(run.get(name, 0.0), 2),
            "tasks": tasks.get(name, 0),
            "max_task_input_mb": round(largest_input.get(name, 0) / 1e6, 1),
            "first_stage_max_task_input_mb": round(
                scan_input.get(first_stage.get(name, -1), 0) / 1e6, 1
            ),
        }
    return out


def cores_busy(phase: dict) -> float:
    """How many executor cores a phase kept busy on average: its tasks' run time over
    its wall time."""
    return round(phase["run_s"] / phase["wall_s"], 2) if phase["wall_s"] else 0.0


def report(records: list[dict]) -> str:
    total = sum(r["wall_s"] for r in records) or 1.0
    head = (
        f"{'stage':>5} {'what':<28} {'tasks':>5} {'wall s':>7} {'share':>6} {'cpu s':>7}"
        f" {'gc s':>5} {'shuf MB':>8} {'spill MB':>8} {'in MB':>7} {'out MB':>7}"
    )
    rows = [head]
    for r in records:
        shuffle = (r.get("shuffle_read", 0) + r.get("shuffle_write", 0)) / 1e6
        rows.append(
            f"{r['stage']:>5} {(r['name'] + ' ' + r['where'])[:28]:<28} {r['tasks']:>5}"
            f" {r['wall_s']:>7.2f} {r['wall_s'] / total:>6.0%} {r.get('cpu_ns', 0) / 1e9:>7.2f}"
            f" {r.get('gc_ms', 0) / 1000:>5.1f} {shuffle:>8.1f} {r.get('spill', 0) / 1e6:>8.1f}"
            f" {r.get('input', 0) / 1e6:>7.1f} {r.get('output', 0) / 1e6:>7.1f}"
        )
    rows.append(f"{'':>5} {'stages in all':<28} {'':>5} {total:>7.2f}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("log", type=Path)
    args = parser.parse_args(argv)
    print(report(stages(args.log)))
    print()
    for name, p in phases(args.log).items():
        print(
            f"{name:<55} wall {p['wall_s']:>7.2f} s  cpu {p['cpu_s']:>7.2f} s"
            f"  tasks {p['tasks']:>4}  cores busy {cores_busy(p):.2f}"
        )
    c = counts(args.log)
    print(f"Spark jobs {c['jobs']}, stages run {c['stages']}, skipped {c['stages_skipped']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
