"""Dialogs opened from the panels."""
