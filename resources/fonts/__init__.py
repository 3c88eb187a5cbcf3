"""Fonts shipped with the app (DejaVu Sans, which prints the rupee sign); see LICENSE."""
