"""Background work for pictures: clearing API uploads no post took."""

from __future__ import annotations

from huey import crontab

from app.jobs import jobs
from app.services import media


# Hourly: an upload is kept a day for its post, so it goes within 25 hours.
@jobs.periodic(crontab(minute="17"), name="media.remove_unattached")
def remove_unattached_uploads() -> int:
    return media.remove_unattached()
