"""The Spark settings that Lakegate's correctness depends on, in one place."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import SparkSession

# Settings for correctness: applied locally and on Glue.
CORRECTNESS_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    # Spark's own empty _SUCCESS marker would collide with the run's _SUCCESS, which
    # Lakegate writes last, as JSON, with the metrics.
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    "spark.sql.sources.partitionOverwriteMode": "static",
}

# Settings the job's output layout and speed depend on, applied locally and on Glue.
JOB_CONF = {
    # A scan's files are packed into as few tasks as the split size allows (not spread
    # over every core), so a month read by one scan is one task and its partition one
    # file (sparkio.read_bronze).
    "spark.sql.files.minPartitionNum": "1",
    # The validated frame is persisted once and read by every output: building it
    # compressed spent a third of the validation stage gathering compression
    # statistics (docs/performance.md). Uncompressed it is larger in memory, and spills
    # to disk past the storage memory.
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
}

# Settings for a local run on a small machine (2 cores).
LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "8",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # The persisted validated frame of 10M rows is ~2.5 GB: with a 4g heap the JVM ran
    # out of room and spent minutes in full collections (docs/performance.md).
    "spark.driver.memory": "8g",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.extraJavaOptions": (
        "-Dlog4j2.configurationFile="
        + str(Path(__file__).parent / "log4j2.properties")
        # Spark compiles a stage into one Java method; past 8000 bytes of bytecode
        # HotSpot would leave it interpreted (validation ran 35% slower).
        + " -XX:-DontCompileHugeMethods"
    ),
}


def apply_correctness_conf(spark: SparkSession) -> None:
    """For a session Lakegate did not build (Glue): set what can be set at runtime."""
    for key, value in {**CORRECTNESS_CONF, **JOB_CONF}.items():
        if not key.startswith("spark.hadoop."):
            spark.conf.set(key, value)
    spark.sparkContext._jsc.hadoopConfiguration().set(
        "mapreduce.fileoutputcommitter.marksuccessfuljobs", "false"
    )


def local_session(app_name: str = "lakegate", **overrides: str) -> SparkSession:
    builder = SparkSession.builder.master(overrides.pop("master", "local[2]")).appName(app_name)
    for key, value in {**CORRECTNESS_CONF, **JOB_CONF, **LOCAL_CONF, **overrides}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
