"""The embedded engine's moto state: every backend of every service that holds something, to be
pickled in one piece with the rest of the engine's state (harness/engine/moto/persistence.py),
since their objects refer to each other across services (a stack's resources are the S3,
DynamoDB and Lambda models themselves).

moto keeps a service's state in one BackendDict (account -> region -> backend), created when
the service's module is imported, filled on first use and then listed in
`BackendDict._instances`. `capture()` takes every filled one; `apply()` imports each
service's module again and puts the backends back into its BackendDict, so moto's request
handlers find them as if they had been created there.
"""

import importlib
from typing import Any

from harness.engine.moto import internals

BASE_BACKEND = "moto.core.base_backend"
# (the module of the service's backend class, the service's name) -> account -> region -> backend
State = dict[tuple[str, str], dict[str, dict[str, Any]]]


def filled_backend_dicts() -> list[Any]:
    """Every service's BackendDict that holds at least one backend, once."""
    backend_dict = internals.get(BASE_BACKEND, "BackendDict")
    instances = internals.get(BASE_BACKEND, "BackendDict._instances")
    unique = {id(backends): backends for backends in instances}
    return [
        backends
        for backends in unique.values()
        if isinstance(backends, backend_dict) and any(len(r) for r in backends.values())
    ]


def capture() -> State:
    """Every filled backend, by its service."""
    return {
        (backends.backend.__module__, backends.service_name): {
            account: dict(regions) for account, regions in backends.items()
        }
        for backends in filled_backend_dicts()
    }


def apply(state: State) -> list[str]:
    """Put captured backends back (into an engine that holds nothing yet); returns the
    services restored. Every service is found before any is changed: state that does not fit
    this moto raises and changes nothing."""
    backend_dict = internals.get(BASE_BACKEND, "BackendDict")
    targets = []
    for (module, service), accounts in state.items():
        loaded = vars(importlib.import_module(module)).values()
        (backends,) = [
            value
            for value in loaded
            if isinstance(value, backend_dict) and value.service_name == service
        ]
        targets.append((backends, accounts))
    for backends, accounts in targets:
        for account, regions in accounts.items():
            backends[account].update(regions)
    return sorted(service for _, service in state)
