"""The ``detect`` and ``init`` commands: run detection and init, print what they did."""

from __future__ import annotations

import sys

from watchkeeper.setup import stack as stack_module
from watchkeeper.setup.init_config import InitOptions, InitResult, write_init
from watchkeeper.setup.render import print_table, render_json


def run_detect(as_json: bool, probe: bool) -> int:
    stack = stack_module.detect_stack(stack_module.system_environment(probe))
    if as_json:
        sys.stdout.write(render_json(stack))
    else:
        print_table(stack)
    return 0


def run_init(options: InitOptions, probe: bool) -> int:
    stack = stack_module.detect_stack(stack_module.system_environment(probe))
    result = write_init(options, stack)
    print_init(result)
    return 0


def print_init(result: InitResult) -> None:
    plan, model = result.plan, result.plan.model
    kinds: dict[str, int] = {}
    for column in model.features:
        kinds[column.type.value] = kinds.get(column.type.value, 0) + 1
    features = ", ".join(f"{n} {kind}" for kind, n in kinds.items()) or "none"
    print(f"wrote {result.config}")
    print(f"  model {model.name}: {model.task} — {model.task_reason}")
    print(f"    prediction {model.prediction}, label {model.label or '-'}; features: {features}")
    receivers = "; ".join(f"{name} ({', '.join(i)})" for name, i in plan.receivers.items())
    print(f"  receivers: {receivers}")
    print(f"  route: {plan.route}")
    exports = ", ".join(plan.exports) or "none (no StatsD, Datadog, OTLP or CloudWatch found)"
    print(f"  export: {exports}")
    kept = f", kept {len(result.kept)} existing" if result.kept else ""
    print(
        f"wrote {len(result.copied)} playbooks to {result.playbooks}/{kept} "
        "(alerting.playbooks; edit them for your team)"
    )
    for note in plan.notes:
        print(f"  to do: {note}")
    print("next:")
    print(f"  watchkeeper check --config {result.config}")
    print(f"  watchkeeper serve --config {result.config}")
