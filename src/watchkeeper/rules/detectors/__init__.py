"""Anomaly detectors for alert rules: sudden (mad, cusum, page_hinkley, adwin) and gradual
(ewma, trend, burn_rate) changes in a metric series, one file each.

>>> import numpy as np
>>> from watchkeeper.alerting.config import AnomalySpec
>>> detector = build_detector(AnomalySpec("mad", direction="up"), window_seconds=3600)
>>> detector.detect(np.r_[np.full(200, 5.0), 9.0]).alarm
True
"""

from watchkeeper.rules.detectors.base import Detection, Detector, DetectorConfig, Scores, Trace
from watchkeeper.rules.detectors.registry import (
    BUILTIN_DETECTORS,
    DetectorType,
    Param,
    Registry,
    build_detector,
    default_registry,
)
from watchkeeper.rules.detectors.season import Season

__all__ = [
    "BUILTIN_DETECTORS",
    "Detection",
    "Detector",
    "DetectorConfig",
    "DetectorType",
    "Param",
    "Registry",
    "Scores",
    "Season",
    "Trace",
    "build_detector",
    "default_registry",
]
