"""Rail and toolbar icons (monochrome SVG; `currentColor` is replaced by the theme's colour)."""
