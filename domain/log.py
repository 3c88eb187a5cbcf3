"""Loggers named by concern, in one place (as qutebrowser's `log.sync`, `log.db`).

Import the logger of the concern you log about, never `logging.getLogger(__name__)`: the
log file then reads by subject. Handlers are set up once, in main.py; nothing here writes.
"""

from __future__ import annotations

import logging

ROOT = "frontdesk"

root = logging.getLogger(ROOT)
db = logging.getLogger(f"{ROOT}.db")
auth = logging.getLogger(f"{ROOT}.auth")
invoicing = logging.getLogger(f"{ROOT}.invoicing")
promotions = logging.getLogger(f"{ROOT}.promotions")
callbacks = logging.getLogger(f"{ROOT}.callbacks")
pdf = logging.getLogger(f"{ROOT}.pdf")
imports = logging.getLogger(f"{ROOT}.import")
dashboard = logging.getLogger(f"{ROOT}.dashboard")
sync = logging.getLogger(f"{ROOT}.sync")
ui = logging.getLogger(f"{ROOT}.ui")
campaigns = logging.getLogger(f"{ROOT}.campaigns")
