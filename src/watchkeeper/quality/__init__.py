"""Data-quality checks of a current dataset against its reference.

One check per module, each a pure function ``(reference, current, context) -> list[Finding]``
over two :class:`~watchkeeper.profiles.dataset.DatasetProfile`; :mod:`watchkeeper.quality.run`
lists them in one tuple and gathers their findings into a :class:`QualityReport`.
"""
