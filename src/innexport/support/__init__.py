"""support layer."""
