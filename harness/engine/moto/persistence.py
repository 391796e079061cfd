"""The embedded engine's saved state: moto's backends (snapshot.py) and the Batch stand-in's
resources and jobs, pickled as the payload of one file (harness/cloud/saved_state.py) that the
engine reads when it starts and writes when it stops or is asked to.

The file names the versions of the harness and moto that wrote it; one written by other
versions is still tried, and one that cannot be read is set aside
(`<name>.unreadable-<time>`) and the engine starts empty, saying so: it never stops half-way.
"""

import io
import logging
import pickle
import threading
import time
import uuid
import weakref
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import installed_version
from harness.batch.service import BatchService
from harness.cloud import saved_state
from harness.engine.moto import internals, snapshot

logger = logging.getLogger("harness.engine")

DOCKER_MODEL = "moto.utilities.docker_utilities"
DOCKER_CLIENT = "_DockerModel__docker_client"  # DockerModel's own, private attribute


@dataclass(frozen=True)
class _LockType:
    type: type
    new: Any


LOCK_TYPES = (
    _LockType(type(threading.Lock()), threading.Lock),
    _LockType(type(threading.RLock()), threading.RLock),
)
HARNESS_VERSION = installed_version() or "unknown (not installed)"


@dataclass(frozen=True)
class Restored:
    header: saved_state.Header
    batch: dict[str, Any]  # BatchService.saved_state()


@dataclass(frozen=True)
class SavedState:
    path: Path

    def save(self, batch: BatchService) -> saved_state.Header:
        started = time.monotonic()
        header = saved_state.Header(
            engine="moto",
            harness=HARNESS_VERSION,
            moto=internals.MOTO_VERSION,
            saved_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            id=uuid.uuid4().hex,
        )
        payload = self._pickled(batch)
        saved_state.write(self.path, header, payload)
        seconds = time.monotonic() - started
        size = len(payload) / 1e6
        logger.info("state saved to %s (%.1f MB, %.1f s)", self.path, size, seconds)
        return header

    @staticmethod
    def _pickled(batch: BatchService) -> bytes:
        """The state as bytes. Threads other than requests (a function's invocation, a job)
        may change a dict while it is read: then it is read again."""
        return saved_state.read_while_changing(lambda: _pickled_once(batch))

    def load(self) -> "Restored | None":
        """Put the saved state's moto backends into the fresh engine; the state's header
        and the Batch stand-in's part, for the caller to restore. None when there is no
        saved state, or it cannot be read (it is set aside, saying why)."""
        if not self.path.exists():
            logger.info("no saved state at %s: the engine starts empty", self.path)
            return None
        try:
            header, payload = saved_state.read(self.path)
            if header.engine != "moto":
                raise ValueError(f"it is the {header.engine} engine's")
            self._warn_of_other_versions(header)
            state = pickle.loads(payload)
            services = snapshot.apply(state["moto_backends"])
        except Exception as error:
            self._set_aside(f"it cannot be read ({error!r})")
            return None
        logger.info(
            "state restored from %s (%s): %s",
            self.path,
            header.describe(),
            ", ".join(services) or "no services",
        )
        return Restored(header, state["batch"])

    def _warn_of_other_versions(self, header: saved_state.Header) -> None:
        if (header.harness, header.moto) != (HARNESS_VERSION, internals.MOTO_VERSION):
            logger.warning(
                "%s was written by harness %s with moto %s; this is harness %s with moto %s: "
                "restoring it all the same",
                self.path,
                header.harness,
                header.moto,
                HARNESS_VERSION,
                internals.MOTO_VERSION,
            )

    def _set_aside(self, why: str) -> None:
        aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
        self.path.replace(aside)
        logger.warning(
            "the saved state %s was not restored: %s. It is kept as %s and the engine starts "
            "empty; the next `harness up` deploys the stack again",
            self.path,
            why,
            aside,
        )


def _pickled_once(batch: BatchService) -> bytes:
    state = {"moto_backends": snapshot.capture(), "batch": batch.saved_state()}
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    except RuntimeError:  # changed while read: read again
        raise
    except Exception as error:
        culprit = _culprit(state)
        logger.error("the state was not saved: %s cannot be saved (%r)", culprit, error)
        raise
    return buffer.getvalue()


def _culprit(state: dict[str, Any]) -> str:
    """Which part of the state cannot be pickled: a moto module's backends, or Batch's."""
    parts = {f"moto's {module} backends": value for module, value in state["moto_backends"].items()}
    for name, part in {**parts, "the Batch stand-in's state": state["batch"]}.items():
        try:
            _Pickler(io.BytesIO()).dump(part)
        except Exception:
            return name
    return "part of the state"


class _Pickler(pickle.Pickler):
    """Pickles what plain pickle cannot in moto's backends:
    - a defaultdict whose factory is a lambda (SSM's tags), with a factory that makes the
      same, and a subclass whose __init__ takes other arguments (SSM's ParameterDict), without
      calling it;
    - one of moto's dict classes whose items or item assignment differ from a dict's (S3's
      versioned keys, whose items are each key's latest version only), by its stored entries;
    - a WeakValueDictionary (Lambda's functions by ARN), by its entries (each also held
      elsewhere, so they stay alive);
    - a lock (ECR's, EC2's), as a new one: nothing holds it while the engine is stopped;
    - a model that runs Docker containers (a Lambda function), without its Docker client,
      which it then makes again when first needed."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, internals.get(DOCKER_MODEL, "DockerModel")):
            # its __getstate__ leaves the Docker client out, and nothing sets it back
            state = {**obj.__getstate__(), DOCKER_CLIENT: None}
            return (_new_object, (type(obj),), state)
        for lock in LOCK_TYPES:
            if isinstance(obj, lock.type):
                return (lock.new, ())
        if isinstance(obj, weakref.WeakValueDictionary):
            return (weakref.WeakValueDictionary, (dict(obj),))
        if isinstance(obj, dict) and _reads_differently(obj):
            attributes = getattr(obj, "__dict__", None) or None
            return (_new_mapping, (type(obj), list(dict.items(obj))), attributes)
        if isinstance(obj, defaultdict):
            factory = _picklable_factory(obj.default_factory)
            if type(obj) is defaultdict and factory is obj.default_factory:
                return NotImplemented
            attributes = getattr(obj, "__dict__", None) or None
            return (_new_defaultdict, (type(obj), factory), attributes, None, iter(obj.items()))
        return NotImplemented


def _new_object(cls: type[object]) -> Any:
    return cls.__new__(cls)


def _reads_differently(mapping: dict[Any, Any]) -> bool:
    """One of moto's own dict classes whose items or item assignment are not a dict's (the
    standard library's, such as OrderedDict, pickle themselves)."""
    kind = type(mapping)
    overridden = kind.items is not dict.items or kind.__setitem__ is not dict.__setitem__
    return overridden and kind.__module__.startswith("moto.")


def _new_mapping(cls: type[dict[Any, Any]], entries: list[tuple[Any, Any]]) -> Any:
    """A dict of class `cls` holding `entries` as stored, without calling its __init__ or
    its own item assignment."""
    made = cls.__new__(cls)
    for key, value in entries:
        dict.__setitem__(made, key, value)
    return made


@dataclass(frozen=True)
class _DefaultdictFactory:
    """Makes defaultdicts whose own factory is `inner` (a picklable lambda's stand-in)."""

    inner: Any

    def __call__(self) -> defaultdict[Any, Any]:
        return defaultdict(self.inner)


def _picklable_factory(factory: Any) -> Any:
    """`factory`, or for a lambda one that makes the same: its result's type, or for a
    defaultdict a _DefaultdictFactory of its own factory."""
    if getattr(factory, "__name__", "") != "<lambda>":
        return factory
    made = factory()
    if isinstance(made, defaultdict):
        return _DefaultdictFactory(_picklable_factory(made.default_factory))
    return type(made)


def _new_defaultdict(cls: type[defaultdict[Any, Any]], factory: Any) -> Any:
    """A defaultdict of class `cls` with `factory`, without calling `cls.__init__`."""
    made = cls.__new__(cls)
    defaultdict.__init__(made, factory)
    return made
