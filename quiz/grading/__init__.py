"""Running a submission's tests in a sandbox, the result formats, and the pytest plugin."""
