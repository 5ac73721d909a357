# pyspark-notebook's kernel setting (images/pyspark-notebook @ edaf65ba4ecf): output written to the
# kernel's file descriptors by native code (Spark's JVM logs) stays in the server's log instead of
# flooding notebooks.
c.IPKernelApp.capture_fd_output = False  # type: ignore[name-defined]  # noqa: F821
