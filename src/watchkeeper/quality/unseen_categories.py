"""Unseen categories: values of a categorical or boolean column the reference never had.

A model has learnt nothing about a category it never saw. Their share of the current non-null
values decides the severity: any is info, at least 1% a warning, at least 5% high. When the
reference kept only its most frequent categories (a very high-cardinality column), an
"unseen" value may just be a rare one, so the finding stays at info.

>>> import pyarrow as pa
>>> from watchkeeper.profiles.dataset import build_profile
>>> ref = build_profile(pa.table({"plan": ["basic", "pro"] * 50}))
>>> plans = ["basic"] * 90 + ["gold"] * 8 + ["free"] * 2
>>> cur = build_profile(pa.table({"plan": plans}), reference=ref)
>>> [(f.severity.value, f.message) for f in unseen_categories(ref, cur)]
[('high', "plan: 2 categories never seen in reference make up 10.0% of current values,
   e.g. 'gold', 'free'")]
"""

from __future__ import annotations

from watchkeeper.profiles.categorical import CategoricalProfile
from watchkeeper.profiles.dataset import DatasetProfile
from watchkeeper.quality._common import column_pairs, percent, share
from watchkeeper.quality.base import NO_CONTEXT, CheckContext, Finding, Severity

CHECK = "unseen_categories"
WARNING_SHARE = 0.01
HIGH_SHARE = 0.05
EXAMPLES = 5


def unseen(reference: CategoricalProfile, current: CategoricalProfile) -> list[tuple[str, int]]:
    """Current categories absent from the reference, with their counts, most frequent first.

    >>> import pyarrow as pa
    >>> from watchkeeper.profiles.categorical import profile_categorical
    >>> r = profile_categorical(pa.chunked_array([["a", "b"]]))
    >>> unseen(r, profile_categorical(pa.chunked_array([["a", "c", "d", "c", None]])))
    [('c', 2), ('d', 1)]
    """
    known = set(reference.categories)
    return [
        (name, int(n))
        for name, n in zip(current.categories, current.counts.tolist(), strict=True)
        if name not in known
    ]


def unseen_share(reference: CategoricalProfile, current: CategoricalProfile) -> float:
    """Share of the current non-null values that fall in unseen categories."""
    return share(sum(n for _, n in unseen(reference, current)), current.present)


def unseen_categories(
    reference: DatasetProfile, current: DatasetProfile, context: CheckContext = NO_CONTEXT
) -> list[Finding]:
    """One finding per categorical or boolean column with categories new in current data."""
    findings = []
    for name, cur, ref in column_pairs(reference, current, CategoricalProfile):
        if ref is None or ref.present == 0:
            continue  # nothing to compare with: the empty-columns check reports it
        new = unseen(ref, cur)
        if not new:
            continue
        values = sum(n for _, n in new)
        fraction = share(values, cur.present)
        examples = [category for category, _ in new[:EXAMPLES]]
        noun = "categories" if len(new) > 1 else "category"
        verb = "make" if len(new) > 1 else "makes"
        message = (
            f"{name}: {len(new)} {noun} never seen in reference {verb} up {percent(fraction)} of "
            "current values, e.g. " + ", ".join(repr(e) for e in examples)
        )
        if ref.other:
            severity = Severity.INFO
            message += " (the reference profile kept only its most frequent categories)"
        elif fraction >= HIGH_SHARE:
            severity = Severity.HIGH
        elif fraction >= WARNING_SHARE:
            severity = Severity.WARNING
        else:
            severity = Severity.INFO
        details = {"categories": len(new), "values": values, "examples": examples}
        findings.append(Finding(CHECK, severity, name, message, fraction, details))
    return findings
