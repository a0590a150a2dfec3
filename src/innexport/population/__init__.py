"""Population analytics: surveys of many firms scored with the framework, compared and analysed.

A *population* is a pandas DataFrame with one row per firm (see :mod:`innexport.population.frame`
for its columns): identity and grouping columns, a survey weight, the observable answers and the
activity, dimension and index scores computed by the core. The functions of this package take and
return pandas objects, for notebooks as for the ``innexport population`` commands.
"""
