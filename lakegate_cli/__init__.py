"""Lakegate's entry points: the `lakegate` command line, `make demo`, the sample generator
and the Java check. They sit above the rings they drive (docs/architecture.md): the core
(`lakegate`), the Spark side (`glue_jobs`) and the publish side (`promotion`); nothing in
those imports from here (the import contracts in pyproject.toml, checked by make lint)."""
