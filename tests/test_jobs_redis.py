"""The Redis-backed queue, on a real redis-server: one app queues, another
app (as a worker on another machine would) delivers."""

from __future__ import annotations

import shutil

import pytest
from huey import RedisHuey

from app.services import mail
from tests.job_helpers import running_consumer
from tests.mailbox import link_in, mail_to, outbox
from tests.servers import RedisServer, wait_until

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed (scripts/ci-deps.sh installs it)",
)


@pytest.fixture
def redis_url():
    with RedisServer() as server:
        yield server.url


def test_mail_queued_by_one_app_is_delivered_by_another(make_app, make_user, redis_url):
    web = make_app(JOBS_IMMEDIATE="false", JOBS_REDIS_URL=redis_url)
    worker = make_app(JOBS_IMMEDIATE="false", JOBS_REDIS_URL=redis_url)
    user = make_user("john", email="john@example.com")
    assert isinstance(web.extensions["jobs"].huey, RedisHuey)

    with web.test_request_context():
        mail.send_password_reset(user)
    assert worker.extensions["jobs"].huey.pending_count() == 1

    with running_consumer(worker.extensions["jobs"].huey):
        wait_until(lambda: outbox(worker), what="delivery by the other app")
    assert outbox(web) == []
    (message,) = mail_to(worker, "john@example.com")
    assert message.subject == "[Wren] Reset your password"
    # The link, rendered by the web app, works there.
    assert web.test_client().get(link_in(message)).status_code == 200


def test_redis_url_alone_selects_redis(make_app, redis_url):
    app = make_app(JOBS_IMMEDIATE="false", REDIS_URL=redis_url)
    huey = app.extensions["jobs"].huey
    assert isinstance(huey, RedisHuey)
    with app.app_context():
        mail.send_email("x@example.com", "Hello", "address_in_use")
    assert huey.pending_count() == 1
    huey.execute(huey.dequeue())
    assert [m.to for m in outbox(app)] == [["x@example.com"]]
