"""``aipo collect``: run the declared metric sources and write the small files the build reads.

The only package that imports an engine library (duckdb, pyspark), lazily; the build never
imports it. :mod:`.engine` is the interface, :mod:`.duckdb` and :mod:`.spark` the engines,
:mod:`.run` the orchestration.
"""
