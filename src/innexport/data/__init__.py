"""Data shipped with innexport: frameworks, mappings, programme catalogues."""
