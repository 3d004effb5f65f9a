"""Traffic for the harness: what reaches the intake during each step, as HTTP API bodies.

Two sources. :class:`SimulatedTraffic` asks :class:`~watchkeeper.simulate.CreditSimulation`
for each hour's predictions and holds their labels back until their arrival time.
:class:`RecordedTraffic` replays a Parquet, CSV or JSON-lines file of predictions, its columns
mapped as ``watchkeeper ingest`` maps them (``id``, ``timestamp``, ``prediction``, an optional
label column, the rest are features), except that columns named ``latency_ms``,
``model_version`` and ``error`` fill those API fields and ``segment.<key>`` columns the
segment ``key``; labels come from its label column (they arrive with their prediction) or from
a labels file (``id``, ``label`` and, if present, ``timestamp``: when the label arrived).

A step ending at ``tick`` brings the predictions stamped in ``[previous tick, tick)`` and the
labels that arrived by ``tick`` (late labels join windows evaluated before).

>>> from datetime import UTC, datetime, timedelta
>>> from watchkeeper.simulate import CreditSimulation
>>> start = datetime(2026, 3, 2, tzinfo=UTC)
>>> end = start + timedelta(hours=12)
>>> traffic = SimulatedTraffic(CreditSimulation(seed=1), start, end, per_hour=20)
>>> steps = traffic.arrivals(start, [start + timedelta(hours=6), end])
>>> [(s.predictions, s.labels) for s in steps]  # labels arrive hours after their predictions
[(120, 40), (120, 106)]
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import msgspec
import numpy as np
import pyarrow as pa

from watchkeeper.data import read_table
from watchkeeper.errors import InputError
from watchkeeper.sdk.records import Kind, encode_batch
from watchkeeper.simulate import CreditSimulation

HOUR = timedelta(hours=1)
API_FIELDS = ("latency_ms", "model_version", "error")  # prediction fields a column may fill
SEGMENT_PREFIX = "segment."
MAX_ERRORS = 10


@dataclass(frozen=True)
class Arrivals:
    """One step's intake: JSON array bodies as the HTTP API takes them, with their counts."""

    prediction_body: bytes
    predictions: int
    label_body: bytes
    labels: int
    rejected: int = 0  # records that failed the client-side checks (never sent)
    errors: tuple[str, ...] = ()


class Traffic(Protocol):
    """A source of records for one model."""

    @property
    def model(self) -> str | None:
        """The config's model the records are for (None: the config's only model)."""
        ...

    def span(self) -> tuple[datetime, datetime]:
        """The first prediction's time and the end of the traffic."""
        ...

    def arrivals(self, start: datetime, ticks: Sequence[datetime]) -> Iterator[Arrivals]:
        """One :class:`Arrivals` per tick: predictions from ``start`` on."""
        ...


_JSON = msgspec.json.Encoder()


@dataclass(frozen=True)
class SimulatedTraffic:
    """``per_hour`` predictions an hour from ``start`` to ``end``, with the simulation's
    incidents and label delays (hour by hour, so the records do not depend on the step)."""

    simulation: CreditSimulation
    start: datetime
    end: datetime
    per_hour: int
    model: str | None = None

    def span(self) -> tuple[datetime, datetime]:
        return self.start, self.end

    def arrivals(self, start: datetime, ticks: Sequence[datetime]) -> Iterator[Arrivals]:
        waiting: list[tuple[datetime, int, dict[str, Any]]] = []  # labels by arrival time
        order = itertools.count()
        cursor = max(start, self.start)
        for tick in ticks:
            predictions: list[dict[str, Any]] = []
            until = min(tick, self.end)
            while cursor < until:
                upto = min(_next_hour(cursor), until)
                made, labels = self.simulation.generate(cursor, upto, self.per_hour)
                predictions += made
                for label in labels:
                    at = datetime.fromisoformat(label["timestamp"])
                    heapq.heappush(waiting, (at, next(order), label))
                cursor = upto
            arrived = []
            while waiting and waiting[0][0] <= tick:
                arrived.append(heapq.heappop(waiting)[2])
            yield Arrivals(
                _JSON.encode(predictions), len(predictions), _JSON.encode(arrived), len(arrived)
            )


def _next_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0) + HOUR


@dataclass(frozen=True)
class Columns:
    """How the columns of a recorded file map to API fields (``watchkeeper ingest``'s
    options; ``timestamp`` defaults to a column named ``timestamp``)."""

    id: str = "id"
    timestamp: str | None = None
    prediction: str = "prediction"
    label: str | None = None
    features: tuple[str, ...] | None = None


class RecordedTraffic:
    """Predictions (and labels) read from files, replayed in event-time order."""

    def __init__(
        self,
        predictions: str | Path | pa.Table,
        labels: str | Path | pa.Table | None = None,
        columns: Columns | None = None,
        model: str | None = None,
    ) -> None:
        self.model = model
        self.columns = columns or Columns()
        table = (
            predictions if isinstance(predictions, pa.Table) else read_table(predictions, "data")
        )
        self._table, self._times = self._sorted(table)
        self._layout = self._map(self._table)
        self._label_ids, self._label_values, self._label_times = self._labels(labels)

    # -- reading ------------------------------------------------------------------------------

    def _sorted(self, table: pa.Table) -> tuple[pa.Table, np.ndarray]:
        names = table.column_names
        stamp = self.columns.timestamp or ("timestamp" if "timestamp" in names else None)
        if stamp is None or stamp not in names:
            raise InputError(
                f"data: a replay needs event times: no timestamp column "
                f"'{stamp or 'timestamp'}'; its columns are {', '.join(names)}"
            )
        self._stamp = stamp
        times = epoch_seconds(table.column(stamp), f"data column '{stamp}'")
        order = np.argsort(times, kind="stable")
        return table.take(pa.array(order)), times[order]

    def _map(self, table: pa.Table) -> dict[str, Any]:
        names = table.column_names
        c = self.columns
        for role, column in (("id", c.id), ("prediction", c.prediction), ("label", c.label)):
            if column is not None and column not in names:
                raise InputError(
                    f"data has no {role} column '{column}'; its columns are {', '.join(names)}"
                )
        if table.column(c.id).null_count:
            raise InputError(f"data id column '{c.id}' has empty values")
        used = {c.id, c.prediction, self._stamp, c.label}
        api = [n for n in API_FIELDS if n in names and n not in used]
        segments = [n for n in names if n.startswith(SEGMENT_PREFIX) and n not in used]
        if c.features is not None:
            missing = [f for f in c.features if f not in names]
            if missing:
                raise InputError(f"data has no feature column '{missing[0]}'")
            features = list(c.features)
        else:
            taken = used | set(api) | set(segments)
            features = [n for n in names if n not in taken]
        return {"api": api, "segments": segments, "features": features}

    def _labels(
        self, source: str | Path | pa.Table | None
    ) -> tuple[list[Any], list[Any], np.ndarray]:
        """Label ids, values and arrival times, in arrival order."""
        if source is None:
            if self.columns.label is None:
                return [], [], np.zeros(0)
            values = self._table.column(self.columns.label).to_pylist()
            keep = [i for i, v in enumerate(values) if v is not None]
            ids = self._table.column(self.columns.id).to_pylist()
            return [ids[i] for i in keep], [values[i] for i in keep], self._times[keep]
        table = source if isinstance(source, pa.Table) else read_table(source, "labels")
        names = table.column_names
        label = self.columns.label or "label"
        for role, column in (("id", self.columns.id), ("label", label)):
            if column not in names:
                raise InputError(
                    f"labels have no {role} column '{column}'; their columns are {', '.join(names)}"
                )
        ids = table.column(self.columns.id).to_pylist()
        values = table.column(label).to_pylist()
        if "timestamp" in names:
            times = epoch_seconds(table.column("timestamp"), "labels column 'timestamp'")
        else:  # the label is known when its prediction is made
            made = dict(
                zip(self._table.column(self.columns.id).to_pylist(), self._times, strict=True)
            )
            times = np.array([made.get(i, np.nan) for i in ids], dtype=float)
        keep = [i for i in range(len(ids)) if values[i] is not None and not np.isnan(times[i])]
        order = sorted(keep, key=lambda i: times[i])
        return [ids[i] for i in order], [values[i] for i in order], times[order]

    # -- the protocol -------------------------------------------------------------------------

    def span(self) -> tuple[datetime, datetime]:
        if not len(self._times):
            raise InputError("data: the file has no rows")
        first, last = self._times[0], self._times[-1]
        return _moment(first), _moment(last) + timedelta(microseconds=1)

    def arrivals(self, start: datetime, ticks: Sequence[datetime]) -> Iterator[Arrivals]:
        lo = int(np.searchsorted(self._times, start.timestamp(), side="left"))
        label_at = 0
        for tick in ticks:
            hi = int(np.searchsorted(self._times, tick.timestamp(), side="left"))
            predictions = encode_batch(self._raw_predictions(lo, hi))
            upto = int(np.searchsorted(self._label_times, tick.timestamp(), side="right"))
            labels = encode_batch(
                [
                    (Kind.LABELS, "", float(self._label_times[i]), self._label_ids[i], value)
                    for i, value in enumerate(self._label_values[label_at:upto], label_at)
                ]
            )
            lo, label_at = max(lo, hi), upto
            errors = tuple(e for e in (predictions.first_error, labels.first_error) if e)
            yield Arrivals(
                predictions.body,
                predictions.count,
                labels.body,
                labels.count,
                predictions.rejected + labels.rejected,
                errors,
            )

    def _raw_predictions(self, lo: int, hi: int) -> list[tuple[Any, ...]]:
        """Raw record tuples (the SDK's layout) for rows ``lo:hi``."""
        if hi <= lo:
            return []
        chunk = self._table.slice(lo, hi - lo)
        n = chunk.num_rows
        layout = self._layout
        ids = chunk.column(self.columns.id).to_pylist()
        predicted = chunk.column(self.columns.prediction).to_pylist()
        features = {name: chunk.column(name).to_pylist() for name in layout["features"]}
        api = {name: chunk.column(name).to_pylist() for name in layout["api"]}
        segments = {
            name[len(SEGMENT_PREFIX) :]: chunk.column(name).to_pylist()
            for name in layout["segments"]
        }
        none = [None] * n
        latency, version, error = (api.get(name, none) for name in API_FIELDS)
        out = []
        for i in range(n):
            segment = {k: str(v[i]) for k, v in segments.items() if v[i] is not None}
            out.append(
                (
                    Kind.PREDICTIONS,
                    "",
                    float(self._times[lo + i]),
                    ids[i],
                    {name: values[i] for name, values in features.items()},
                    predicted[i],
                    None,
                    latency[i],
                    version[i],
                    segment or None,
                    error[i],
                )
            )
        return out


def epoch_seconds(column: pa.ChunkedArray, what: str) -> np.ndarray:
    """Event times as epoch seconds: Arrow timestamps (no zone: UTC), numbers (epoch
    seconds) or ISO 8601 text."""
    if column.null_count:
        raise InputError(f"{what} has {column.null_count} empty values")
    kind = column.type
    if pa.types.is_timestamp(kind):
        micros = column.cast(pa.timestamp("us", tz=kind.tz)).cast(pa.int64())
        return np.asarray(micros.to_numpy(), dtype=np.int64) / 1e6
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return np.asarray(column.to_numpy(), dtype=float)
    if pa.types.is_date(kind):
        return epoch_seconds(column.cast(pa.timestamp("s")), what)
    out = np.empty(len(column))
    for i, value in enumerate(column.to_pylist()):
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise InputError(f"{what}: row {i}: not an ISO 8601 time (got {value!r})") from None
        out[i] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return out


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(float(seconds), UTC)
