"""The Campaigns panel's keys, for the F1 list: importing this costs nothing (the panel
itself brings the campaign services, and numpy through the dashboard's, on first open)."""

from __future__ import annotations

SHORTCUTS = (
    ("Ctrl+N", "Campaigns: build a new campaign"),
    ("Ctrl+T", "Campaigns: add a template to the library"),
    ("Enter / Ctrl+Shift+C", "Campaigns: change the selected template / copy it"),
    ("Ctrl+L", "Campaigns: launch (or resume) the selected campaign"),
    ("Ctrl+Shift+P", "Campaigns: pause the selected campaign"),
    ("Alt+1 / Alt+2 / Alt+3", "Campaigns: the list, the templates, the suggestions"),
    ("Alt+4 / F5", "Campaigns, in the app on the centre: the branches' campaigns / read again"),
    ("Ctrl+Enter", "Campaign builder: next step, then Create"),
    ("Alt+Left", "Campaign builder: the step before"),
    ("Ctrl+1 ... Ctrl+6", "Campaign builder: a step already reached"),
)
