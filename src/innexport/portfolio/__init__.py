"""portfolio layer."""
