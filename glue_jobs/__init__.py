"""The Spark side of Lakegate: schemas, rules and transforms, their I/O, and the jobs."""
