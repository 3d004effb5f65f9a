"""Root cause: which drifted features matter to the model, and which slices lose performance.

``importance`` and ``surrogate`` say how much each feature matters, ``drivers`` ranks drifted
features by drift times importance, ``slices`` finds the data slices that drag a performance
metric down, and ``describe`` turns the results into JSON-ready dicts.
"""
