"""Frontdesk business rules: plain Python, no I/O, no clock."""
