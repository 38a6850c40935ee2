"""A background task for the worker's test: leaves a trace that it ran."""

from django_tasks import task


@task()
def record_run(path: str) -> None:
    with open(path, "a") as f:
        f.write("ran\n")
