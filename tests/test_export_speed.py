"""An export of 100,000 posts finishes in ≤ 60 s within ≤ 200 MB.

The posts are bulk-inserted with core INSERTs in chunks; the export then
runs in a child process of its own, so its peak resident memory (VmHWM, the
whole interpreter and app included) is measured apart from the test's.
Marked slow: inserting and exporting take several seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.export_models import Export
from app.extensions import db
from app.models import Post, PostVersion, post_tags, table_of
from app.services import exports

pytestmark = pytest.mark.slow

POSTS = 100_000
CHUNK = 5_000
MAX_SECONDS = 60
MAX_MEGABYTES = 200

CHILD = """
import json, resource, sys, time
from app import create_app
from app.services import exports

def rss():
    # This process's peak resident memory so far, in MB. VmHWM belongs to
    # this program's own memory map; ru_maxrss would also count the forking
    # pytest process's size, which Linux carries across exec.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

app = create_app("testing")
with app.test_request_context():
    before = rss()
    started = time.perf_counter()
    exports.build_export(int(sys.argv[1]), "http://localhost/settings/export")
    seconds = time.perf_counter() - started
# The whole process's peak is asserted; the peak before the export (the
# interpreter and the app) is printed beside it to show the export's share.
print(json.dumps({"seconds": seconds, "megabytes": rss(), "before": before}))
"""


def test_an_export_of_100k_posts_is_fast_and_small(
    app, make_user, app_env: dict[str, str]
) -> None:
    alice = make_user("alice")
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with app.app_context():
        posts = table_of(Post)
        for first in range(0, POSTS, CHUNK):
            db.session.execute(
                sa.insert(posts),
                [
                    {
                        "user_id": alice.id,
                        "body": f"Post {n} about #topic{n % 50} with some more words",
                        "created_at": start + timedelta(minutes=n),
                        "reply_count": 0,
                        "like_count": 0,
                    }
                    for n in range(first, first + CHUNK)
                ],
            )
        ids = db.session.scalars(sa.select(posts.c.id).limit(1000)).all()
        db.session.execute(
            sa.insert(post_tags), [{"post_id": i, "tag": "topic"} for i in ids]
        )
        db.session.execute(
            sa.insert(table_of(PostVersion)),
            [
                {
                    "post_id": i,
                    "body": "before",
                    "written_at": start,
                    "replaced_at": start,
                }
                for i in ids
            ],
        )
        export = Export(user_id=alice.id)
        db.session.add(export)
        db.session.commit()
        export_id = export.id

    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(export_id)],
        env={**os.environ, **app_env},
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS * 3,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\nexport of {POSTS} posts: {figures}")

    with app.app_context():
        export = db.session.get(Export, export_id)
        assert export is not None
        assert export.status == "ready"
        assert export.done == export.total == POSTS
        path = exports.file_path(export)
    with zipfile.ZipFile(path) as archive, archive.open("posts.json") as stream:
        written = json.load(stream)
    assert len(written) == POSTS
    assert written[0]["tags"] == ["topic"]
    assert written[0]["history"][0]["body"] == "before"
    assert written[-1]["body"].startswith(f"Post {POSTS - 1} ")
    assert figures["seconds"] <= MAX_SECONDS
    assert figures["megabytes"] <= MAX_MEGABYTES
