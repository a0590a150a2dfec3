"""files layer."""
