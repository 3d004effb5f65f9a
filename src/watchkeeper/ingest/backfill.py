"""Backfill: post the rows of a Parquet, CSV or JSON-lines file to the ingest API in batches.

Each row becomes one prediction record (id, timestamp, prediction, the other columns as features)
and, when a label column is named, one label record. Batches are posted one after another with
the SDK's retries; a batch the service rejects as invalid (400 / 422) is counted and skipped, any
other refusal or an unreachable service stops the backfill with a :class:`DeliveryError`.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa

from watchkeeper.data import read_table
from watchkeeper.errors import ConfigError, InputError
from watchkeeper.sdk.delivery import DeliveryError, RetryPolicy, Verdict, deliver, endpoint
from watchkeeper.sdk.records import Kind, encode_batch

INVALID_BATCH = frozenset({400, 422})  # the records are wrong: skip them, go on with the rest
MAX_ERRORS = 10
_NO_EXTRAS = (None,) * 5  # scores, latency_ms, model_version, segment, error


@dataclass(frozen=True)
class BackfillResult:
    """What a backfill did: each record posted (a prediction per row, a label per labelled row)
    is counted once, in ``predictions`` / ``labels`` when the service accepted it or else in
    ``rejected``."""

    rows: int
    predictions: int  # prediction records the service accepted
    labels: int  # label records the service accepted
    rejected: int  # records not written: invalid rows, or in a batch the service refused
    retries: int
    errors: tuple[str, ...]  # the first reasons for rejected records

    @property
    def ok(self) -> bool:
        return self.rejected == 0


@dataclass(frozen=True)
class _Columns:
    id: str
    timestamp: str | None
    prediction: str
    label: str | None
    features: tuple[str, ...]


def ingest_file(
    path: str | Path,
    model: str,
    url: str,
    token: str | None = None,
    *,
    id_column: str = "id",
    timestamp_column: str | None = None,
    prediction_column: str = "prediction",
    label_column: str | None = None,
    feature_columns: Sequence[str] | None = None,
    batch_size: int = 5000,
    progress: bool = True,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
    retry: RetryPolicy | None = None,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> BackfillResult:
    """Post every row of ``path`` to ``url`` as predictions (and labels) of ``model``.

    ``timestamp_column`` defaults to a column named ``timestamp`` when there is one; without a
    timestamp the service stamps the records on arrival.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError("batch_size", batch_size, "must be an integer >= 1")
    if not url.startswith(("http://", "https://")):
        raise ConfigError("url", url, "must be an http:// or https:// URL of the service")
    table = read_table(path, "backfill")
    columns = _columns(
        table, id_column, timestamp_column, prediction_column, label_column, feature_columns
    )
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    poster = _Poster(url, model, retry or RetryPolicy(), rng or random.Random(), sleep)
    with (
        httpx.Client(headers=headers, timeout=timeout, transport=transport) as http,
        _progress_bar(progress, table.num_rows, f"ingesting {Path(path).name}") as advance,
    ):
        for offset in range(0, table.num_rows, batch_size):
            chunk = table.slice(offset, batch_size)
            predictions, labels = _records(chunk, model, columns)
            poster.post(http, Kind.PREDICTIONS, predictions, offset)
            if labels:
                poster.post(http, Kind.LABELS, labels, offset)
            advance(chunk.num_rows)
    return BackfillResult(
        rows=table.num_rows,
        predictions=poster.accepted[Kind.PREDICTIONS],
        labels=poster.accepted[Kind.LABELS],
        rejected=poster.rejected,
        retries=poster.retries,
        errors=tuple(poster.errors),
    )


def _columns(
    table: pa.Table,
    id_column: str,
    timestamp_column: str | None,
    prediction_column: str,
    label_column: str | None,
    feature_columns: Sequence[str] | None,
) -> _Columns:
    names = table.column_names
    if timestamp_column is None and "timestamp" in names:
        timestamp_column = "timestamp"
    named: list[tuple[str, str | None]] = [("id", id_column), ("prediction", prediction_column)]
    named += [("timestamp", timestamp_column), ("label", label_column)]
    for role, column in [*named, *(("feature", f) for f in feature_columns or ())]:
        if column is not None and column not in names:
            raise InputError(
                f"backfill file has no {role} column '{column}'; its columns are {', '.join(names)}"
            )
    nulls = table.column(id_column).null_count
    if nulls:
        raise InputError(f"backfill id column '{id_column}' has {nulls} empty values")
    used = {id_column, prediction_column, timestamp_column, label_column}
    features = (
        feature_columns if feature_columns is not None else [n for n in names if n not in used]
    )
    return _Columns(id_column, timestamp_column, prediction_column, label_column, tuple(features))


def _records(
    chunk: pa.Table, model: str, columns: _Columns
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Raw record tuples, laid out as the SDK queues them, for one slice of the file."""
    ids = chunk.column(columns.id).to_pylist()
    times = chunk.column(columns.timestamp).to_pylist() if columns.timestamp else [None] * len(ids)
    predicted = chunk.column(columns.prediction).to_pylist()
    values = [chunk.column(name).to_pylist() for name in columns.features]
    rows = [dict(zip(columns.features, row, strict=True)) for row in zip(*values, strict=True)]
    if not values:  # no feature columns at all
        rows = [{} for _ in ids]
    predictions = [
        (Kind.PREDICTIONS, model, times[i], ids[i], rows[i], predicted[i], *_NO_EXTRAS)
        for i in range(len(ids))
    ]
    labels: list[tuple[Any, ...]] = []
    if columns.label:
        truth = chunk.column(columns.label).to_pylist()
        labels = [
            (Kind.LABELS, model, times[i], ids[i], truth[i])
            for i in range(len(ids))
            if truth[i] is not None
        ]
    return predictions, labels


class _Poster:
    """Posts batches of one backfill and keeps its counts."""

    def __init__(
        self,
        url: str,
        model: str,
        policy: RetryPolicy,
        rng: random.Random,
        sleep: Callable[[float], None],
    ) -> None:
        self.url, self.model, self.policy, self.rng, self.sleep = url, model, policy, rng, sleep
        self.accepted = dict.fromkeys(Kind, 0)
        self.rejected = self.retries = 0
        self.errors: list[str] = []

    def post(self, http: httpx.Client, kind: Kind, raw: list[tuple[Any, ...]], offset: int) -> None:
        encoded = encode_batch(raw)
        if encoded.rejected:
            self._reject(encoded.rejected, f"rows {offset}+: {encoded.first_error}")
        if not encoded.count:
            return
        target = endpoint(self.url, self.model, kind)
        result = deliver(http, target, encoded.body, self.policy, self.rng, self._pause)
        self.retries += result.retries
        if result.outcome is Verdict.DELIVERED:
            self.accepted[kind] += encoded.count
        elif result.outcome is Verdict.REJECTED and result.status in INVALID_BATCH:
            self._reject(encoded.count, f"{kind} rows {offset}+: {result.reason}")
        else:
            done = self.accepted[Kind.PREDICTIONS]
            raise DeliveryError(
                f"stopped at row {offset}: {kind} could not be delivered to {target} after "
                f"{result.attempts} attempt(s): {result.reason} ({done} predictions were accepted)"
            )

    def _pause(self, seconds: float) -> bool:
        self.sleep(seconds)
        return True

    def _reject(self, count: int, reason: str) -> None:
        self.rejected += count
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(reason)


@contextmanager
def _progress_bar(enabled: bool, total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing is drawn."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda rows: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda rows: bar.advance(task, rows)
