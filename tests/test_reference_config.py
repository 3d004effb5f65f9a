"""``models.<m>.reference`` in watchkeeper.yaml: a file, or ``{production: 7d}`` (learned from
the model's first days of traffic); every error names the key path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.errors import ConfigError
from watchkeeper.profiles.dataset import build_profile
from watchkeeper.profiles.serialize import save_profile
from watchkeeper.runtime import load_runtimes, reference_schema
from watchkeeper.schema import ColumnType
from watchkeeper.settings import ProductionReference, load_service_config, parse_service_config

COLUMNS = {"age": "numeric", "plan": "categorical"}


def _model(**keys: Any) -> dict[str, Any]:
    return {"task": "binary_classification", "label": "label", **keys}


def test_a_file_reference_is_still_a_string(tmp_path: Path) -> None:
    pq.write_table(
        pa.table({"age": [1.0, 2.0], "prediction": [0.1, 0.9], "label": [0, 1]}),
        tmp_path / "reference.parquet",
    )
    (tmp_path / "watchkeeper.yaml").write_text(
        "models:\n  credit:\n    task: binary_classification\n"
        "    reference: reference.parquet\n    label: label\n"
    )
    config = load_service_config(tmp_path / "watchkeeper.yaml")
    assert config.models["credit"].reference == "reference.parquet"
    runtime = load_runtimes(config)["credit"]
    assert runtime.schema.names == ["age"] and runtime.learned_path is None


def test_a_production_reference_from_yaml(tmp_path: Path) -> None:
    (tmp_path / "watchkeeper.yaml").write_text(
        "store: wk\nmodels:\n  credit:\n    task: binary_classification\n"
        "    reference: {production: 7d}\n    label: label\n"
        "    schema: {columns: {age: numeric, plan: categorical}}\n"
    )
    config = load_service_config(tmp_path / "watchkeeper.yaml")
    model = config.models["credit"]
    assert model.reference == ProductionReference("7d")
    assert model.production_period("models.credit") == timedelta(days=7)
    runtime = load_runtimes(config)["credit"]
    # the schema comes from schema.columns; nothing learned yet
    assert [(c.name, c.type) for c in runtime.schema] == [
        ("age", ColumnType.NUMERIC),
        ("plan", ColumnType.CATEGORICAL),
    ]
    assert runtime.full_reference is None
    assert runtime.learned_path == tmp_path / "wk" / "references" / "credit.wkprofile"


@pytest.mark.parametrize(
    ("model", "key"),
    [
        # not a duration
        (
            _model(reference={"production": "soon"}, schema={"columns": COLUMNS}),
            "models.credit.reference.production",
        ),
        # a misspelt key
        (
            _model(reference={"prodution": "7d"}, schema={"columns": COLUMNS}),
            "models.credit.reference.prodution",
        ),
        # the mapping without its one key
        (_model(reference={}, schema={"columns": COLUMNS}), "models.credit.reference"),
        # neither a file name nor a mapping
        (_model(reference=7, schema={"columns": COLUMNS}), "models.credit.reference"),
        # without a file the features' types must be given
        (_model(reference={"production": "7d"}), "models.credit.schema.columns"),
        # the period would be deleted by the retention before it is complete
        (
            _model(reference={"production": "30d"}, retention="14d", schema={"columns": COLUMNS}),
            "models.credit.reference.production",
        ),
    ],
)
def test_bad_references_name_the_key(model: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_service_config({"models": {"credit": model}})
    assert str(caught.value).startswith(key + ":"), str(caught.value)


def test_prediction_and_label_types_follow_the_task_unless_given() -> None:
    regression = parse_service_config(
        {
            "models": {
                "m": {
                    "task": "regression",
                    "label": "y",
                    "reference": {"production": "1d"},
                    "schema": {"columns": {"x": "numeric"}},
                }
            }
        }
    ).models["m"]
    multiclass = parse_service_config(
        {
            "models": {
                "m": {
                    "task": "multiclass_classification",
                    "label": "y",
                    "reference": {"production": "1d"},
                    "schema": {"columns": {"x": "numeric", "y": "numeric"}},
                }
            }
        }
    ).models["m"]
    assert [(c.name, c.type.value) for c in reference_schema(regression)] == [
        ("x", "numeric"),
        ("prediction", "numeric"),
        ("y", "numeric"),
    ]
    assert [(c.name, c.type.value) for c in reference_schema(multiclass)] == [
        ("x", "numeric"),
        ("prediction", "categorical"),
        ("y", "numeric"),
    ]


def test_a_learned_reference_that_no_longer_fits_the_schema_is_an_error(tmp_path: Path) -> None:
    data = {
        "store": "wk",
        "models": {"credit": _model(reference={"production": "1d"}, schema={"columns": COLUMNS})},
    }
    config = parse_service_config(data, str(tmp_path))
    path = tmp_path / "wk" / "references" / "credit.wkprofile"
    path.parent.mkdir(parents=True)
    save_profile(build_profile(pa.table({"age": [1.0], "prediction": [0.5], "label": ["1"]})), path)
    with pytest.raises(ConfigError, match=r"^models\.credit\.schema\.columns: .*delete that file"):
        load_runtimes(config)
