"""The portfolio of a support structure: :mod:`~innexport.portfolio.compute` sums up its firms'
diagnostics (pandas in and out), :mod:`~innexport.portfolio.disclosure` hides what would single out
a firm before sharing. The wording, the workbook and the brief are in :mod:`innexport.rendering.portfolio`."""
