"""Population analytics: surveys of many firms scored with the framework, compared and analysed.

A *population* is a pandas DataFrame with one row per firm (see :mod:`innexport.population.frame`
for its columns): identity and grouping columns, a survey weight, the observable answers and the
activity, dimension and index scores computed by the core. The functions of this package take and
return pandas objects, for notebooks as for the ``innexport population`` commands.

One module per question (this package imports the core and the readers, never ``rendering``,
``web`` or ``cli``):

* :mod:`~innexport.population.frame` — the table's columns, survey weights, scoring a population;
* :mod:`~innexport.population.io` and :mod:`~innexport.population.mapping` — reading surveys, and
  mapping a survey's own questions onto the framework's observables;
* :mod:`~innexport.population.collect` — a study's own answer files (and the web app's exports) as
  a population table;
* :mod:`~innexport.population.describe` and :mod:`~innexport.population.compare` — counts,
  weighted descriptions, group comparisons with intervals and effect sizes;
* :mod:`~innexport.population.design` — survey designs (strata, primary sampling units, finite
  population corrections) and their variances by Taylor linearisation;
* :mod:`~innexport.population.benchmark` — a firm's percentiles among its peers;
* :mod:`~innexport.population.ordination` — maps: weighted PCA, CA and MCA (drawn by
  :mod:`innexport.rendering.maps`);
* :mod:`~innexport.population.typology` — weighted k-means (scikit-learn) with described clusters;
* :mod:`~innexport.population.weights` — data-driven (test values) and expert (AHP) weights;
* :mod:`~innexport.population.impact` — the effect of each capability on an outcome;
* :mod:`~innexport.population.synergy` — innovation and export together: the bivariate (ordered)
  probit, their residual correlation and the capabilities that raise both;
* :mod:`~innexport.population.items`, :mod:`~innexport.population.reliability` and
  :mod:`~innexport.population.efa` — multi-item scales: their data, alpha and item statistics,
  KMO, Bartlett and exploratory factor analysis; :mod:`~innexport.population.groups` — which rows
  form each group, and reliability group by group; :mod:`~innexport.population.invariance` —
  measurement invariance across groups (multi-group confirmatory factor analysis);
* :mod:`~innexport.population.stream` and :mod:`~innexport.population.engine` — importing a survey
  in row batches (memory that does not grow with the firms) and on a Dask cluster, the same
  function per batch or partition;
* :mod:`~innexport.population.dataset` — describing and benchmarking Parquet datasets larger than
  memory with DuckDB;
* :mod:`~innexport.population.gaia` — PROMETHEE II and the GAIA plane of a population;
* :mod:`~innexport.population.study` — the comparative study of countries, sectors or sizes,
  every section above for each group, stamped with its inputs;
* :mod:`~innexport.population.synthetic` — a random population for tests and timings.
"""
