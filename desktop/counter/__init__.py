"""The counter without its widgets: the session an invoice is written in."""
