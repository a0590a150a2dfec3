"""innexport: which capabilities an SME should develop first to improve its innovation and
its export performance at the same time.

The package is organised as one pure core and adapters at its edges:

* core (no I/O, no framework): :mod:`innexport.core.framework` (the capability framework model),
  :mod:`innexport.core.ahp` (AHP weights), :mod:`innexport.core.scoring` (IIP/IEP/IIEP),
  :mod:`innexport.core.classes` (threshold classes), :mod:`innexport.core.flowsort` (FlowSort sorting),
  :mod:`innexport.core.priorities` (what to develop first), :mod:`innexport.core.assessment` (the
  whole pipeline for one or a million firms);
* adapters: :mod:`innexport.files.answers` (answer files), :mod:`innexport.rendering.report` (HTML/PDF),
  :mod:`innexport.rendering.questionnaire` (blank questionnaires), :mod:`innexport.cli`.
"""

from innexport._version import __version__
