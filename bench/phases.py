"""The runs after the comparison: the decomposition, WORKERS=N and the asyncio/h11 stack.

- decomposition: the baseline against each floor app (bench/floor: FastAPI on asyncpg, and a
  bare ASGI callable on asyncpg) on the read scenarios, so the report can say how far the
  generated app is from what the framework and the driver alone cost;
- workers: the generated app with one worker (pinned to the app CPU) against WORKERS=N, which
  may use every CPU, with the same connections in total (`DB_POOL_SIZE` / N per worker);
- stack: the generated app on uvicorn's default stack (uvloop, httptools) against asyncio/h11.

Only two apps run at a time, so the benchmark never holds more than two pools of connections.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bench.config import BASELINE, FLOOR_APPS, GENERATED, GENERATED_MODULE, Config
from bench.load import Target, run_phase
from bench.servers import ASYNCIO_H11, App, with_options
from bench.stats import Sample

AppFactory = Callable[[str, str, str], App]
"""`make_app(label, module, database)`: an app served like `make serve`, pinned to the app CPU."""
PROBE = "/api/u00000/tasks?limit=1"


def _target(config: Config, label: str, app: App) -> Target:
    return Target(label, app, config.database, config.owners, config.rows)


def _against(
    config: Config, phase: str, scenarios: Sequence[str], reference: Target, other: App
) -> list[Sample]:
    """Start `other`, run `scenarios` interleaved with `reference`, stop `other`."""
    try:
        other.start()
        other.wait_ready(PROBE)
        return run_phase(config, phase, scenarios, [reference, _target(config, other.label, other)])
    finally:
        other.stop()


def reference_label(floor_label: str) -> str:
    """The baseline's label in its rounds against one floor app."""
    return f"{BASELINE}-vs-{floor_label}"


def decomposition(config: Config, make_app: AppFactory, baseline: App) -> list[Sample]:
    samples: list[Sample] = []
    for label, module in FLOOR_APPS.items():
        floor = make_app(label, module, config.database)
        reference = _target(config, reference_label(label), baseline)
        samples += _against(config, "decomposition", config.floor_scenarios, reference, floor)
    return samples


def workers_label(workers: int) -> str:
    return f"{GENERATED}-{workers}w"


STACK_LABEL = f"{GENERATED}-asyncio-h11"


def workers(config: Config, make_app: AppFactory, generated: App) -> list[Sample]:
    """WORKERS=N over every CPU against one pinned worker, the pool split between workers."""
    app = make_app(workers_label(config.workers), GENERATED_MODULE, config.database)
    unpinned = app.command[app.command.index("taskset") + 3 :]  # drop `taskset -c CPU`
    cpus = f"{config.app_cpu},{config.wrk_cpu}"
    app.command = ["taskset", "-c", cpus, *with_options(unpinned, workers=str(config.workers))]
    app.env |= {
        "DB_POOL_SIZE": str(max(1, config.pool_size // config.workers)),
        "DB_MAX_OVERFLOW": str(config.max_overflow // config.workers),
    }
    reference = _target(config, GENERATED, generated)
    return _against(config, "workers", config.extra_scenarios, reference, app)


def stack(config: Config, make_app: AppFactory, generated: App) -> list[Sample]:
    app = make_app(STACK_LABEL, GENERATED_MODULE, config.database)
    app.command = with_options(app.command, **ASYNCIO_H11)
    reference = _target(config, GENERATED, generated)
    return _against(config, "stack", config.extra_scenarios, reference, app)
