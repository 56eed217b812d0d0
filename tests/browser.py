"""How Chromium is launched here: Debian's build, not a downloaded one.

Without the background-networking flags Chromium keeps dialling hosts this
machine cannot reach. Shared by the e2e fixtures and scripts/screenshots.py.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
