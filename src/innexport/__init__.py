"""innexport: which capabilities an SME should develop first to improve its innovation and
its export performance at the same time.

The package is organised as one pure core and adapters at its edges:

* core (no I/O, no framework): :mod:`innexport.framework` (the capability framework model),
  :mod:`innexport.ahp` (AHP weights), :mod:`innexport.scoring` (IIP/IEP/IIEP),
  :mod:`innexport.classes` (threshold classes), :mod:`innexport.flowsort` (FlowSort sorting),
  :mod:`innexport.priorities` (what to develop first), :mod:`innexport.assessment` (the
  whole pipeline for one or a million firms);
* adapters: :mod:`innexport.answers` (answer files), :mod:`innexport.report` (HTML/PDF),
  :mod:`innexport.questionnaire` (blank questionnaires), :mod:`innexport.cli`.
"""

__version__ = "0.1.0"
