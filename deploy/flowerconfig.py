"""Flower's configuration file (`celery flower --conf=deploy/flowerconfig.py`; tornado runs it as Python).

Flower serves `/metrics` without asking for the basic-auth credentials that guard every other page, and
its counters name task types, workers and queues to anyone on the network. This puts the page behind the
same check: the credentials come from FLOWER_BASIC_AUTH, as for the rest of Flower. (Task arguments are
redacted where they are published, by app/task_redaction.py.)
"""

from flower.views.monitor import Metrics

_open_metrics = Metrics.get


async def _metrics_for_signed_in(self) -> None:
    self.get_current_user()  # raises HTTP 401 (with a Basic challenge) unless the credentials match
    await _open_metrics(self)


Metrics.get = _metrics_for_signed_in
