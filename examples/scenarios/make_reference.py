"""Write the reference data of the scenario examples: the simulated credit model's validation
set (features, score and label), as `watchkeeper.simulate.CreditSimulation` generates it.

Run: python examples/scenarios/make_reference.py  (writes credit_reference.parquet next to
this file; deterministic)
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from watchkeeper.simulate import CreditSimulation

HERE = Path(__file__).resolve().parent
ROWS = 10_000


def main() -> None:
    table = pa.table(CreditSimulation(seed=5).reference_table(ROWS))
    pq.write_table(table, HERE / "credit_reference.parquet")
    print(f"wrote {table.num_rows:,} rows to {HERE / 'credit_reference.parquet'}")


if __name__ == "__main__":
    main()
