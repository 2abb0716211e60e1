"""A fleet of measuring machines on Ray: each measurement is a Ray task on a node labelled
with the custom resource ``device:<LABEL>``.

Why a custom resource: a node started with ``ray start --resources='{"device:pi4": 1}'``
holds one unit, and every measurement task asks for one, so a node runs at most one
measurement at a time and two never disturb each other; nodes without the label never get
one. Results come back to the driver, which keeps the store, the tables and the report; every
row says where it was measured (``latency_measured_on``: label, host, Ray node).

Nothing here waits without bound: connecting, finding a node with the label and waiting for
labelled nodes that leave mid-run all give up after ``Fleet.wait`` seconds with one line
(``UserError``). Ray is an optional extra (``pip install 'shufflenet-cli[cluster]'``) and is
imported only when a fleet is used.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from ..errors import UserError

RESOURCE_PREFIX = "device:"
DEFAULT_WAIT = 30.0  # seconds to reach the cluster and to find a node with the label


def _ray():
    try:
        import ray
    except ImportError:
        raise UserError(
            "ray: --ray needs Ray on this machine and on the nodes: pip install "
            "'shufflenet-cli[cluster]'"
        ) from None
    return ray


@dataclass
class Fleet:
    """A Ray cluster's nodes carrying ``device:<label>``; ``address`` is ``host:port`` of the
    head (``ray start --head`` prints it), ``ray://host:port`` for Ray Client, or ``auto`` (the
    cluster this machine belongs to).

    Example::

        >>> fleet = Fleet("auto", "pi4")  # doctest: +SKIP
        >>> show = lambda i, value, where: print(i, value, where["text"])
        >>> fleet.map(pow, [(2, 10), (3, 2)], show)  # doctest: +SKIP
        0 1024 pi4:raspberrypi/5c1f09aa
        1 9 pi4:raspberrypi/5c1f09aa
    """

    address: str
    label: str
    wait: float = DEFAULT_WAIT
    nodes: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.label or any(c.isspace() for c in self.label):
            raise UserError(f"device: {self.label!r} must be a label without spaces")
        if not self.address:
            raise UserError("ray: give the head's address (host:port) or auto")
        if not self.wait > 0:
            raise UserError(f"ray-wait: {self.wait!r} must be a positive number of seconds")

    @property
    def resource(self) -> str:
        """The custom resource a node must carry: ``device:<label>``."""
        return RESOURCE_PREFIX + self.label

    def connect(self) -> list[dict]:
        """Join the cluster and wait (at most ``wait`` s) for a node carrying the label; the
        labelled nodes. ``UserError`` when the cluster cannot be reached, no node carries the
        label in time, or a node carries more than one unit (it could run two at once)."""
        ray = _ray()
        if not ray.is_initialized():
            self._check_reachable()
            import logging

            try:
                ray.init(
                    address=self.address,
                    log_to_driver=False,
                    logging_level=logging.ERROR,
                    configure_logging=True,
                )
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise UserError(f"ray: cannot join {self.address}: {_first_line(e)}") from None
        deadline = time.monotonic() + self.wait
        while True:
            nodes = self._labelled_nodes(ray)
            if nodes:
                break
            if time.monotonic() >= deadline:
                labels = sorted(
                    {
                        k[len(RESOURCE_PREFIX) :]
                        for n in ray.nodes()
                        if n.get("Alive")
                        for k in n.get("Resources", {})
                        if k.startswith(RESOURCE_PREFIX)
                    }
                )
                raise UserError(
                    f"ray: no node of the cluster at {self.address} carries {self.resource} "
                    f"(waited {self.wait:g} s; labels there: {', '.join(labels) or 'none'}); "
                    f"start one with ray start --resources='{{\"{self.resource}\": 1}}'"
                )
            time.sleep(0.5)
        for n in nodes:
            amount = n["Resources"][self.resource]
            if amount != 1:
                raise UserError(
                    f"ray: node {n.get('NodeManagerAddress')} carries {self.resource} = "
                    f"{amount:g}; give each node exactly 1, so measurements never share a node"
                )
        self.nodes = nodes
        return nodes

    def _check_reachable(self) -> None:
        """A TCP connection to the head, bounded: ray.init itself retries for minutes."""
        if self.address == "auto":
            return
        hostport = self.address.split("://", 1)[-1]
        host, _, port = hostport.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=min(self.wait, 10.0)).close()
        except ValueError:
            raise UserError(f"ray: {self.address!r} is not host:port or auto") from None
        except OSError as e:
            raise UserError(
                f"ray: cannot reach {self.address} ({e.strerror or type(e).__name__})"
            ) from None

    def _labelled_nodes(self, ray) -> list[dict]:
        return [
            n for n in ray.nodes() if n.get("Alive") and self.resource in n.get("Resources", {})
        ]

    def map(
        self,
        fn: Callable,
        jobs: Sequence[tuple],
        on_result: Callable[[int, object, dict], None],
    ) -> None:
        """Run ``fn(*job)`` for every job as a Ray task on a labelled node (one at a time per
        node, as many at once as there are nodes) and call ``on_result(index, value, where)``
        on this machine as each finishes, in the order they finish. ``where`` says which node
        ran it. A failing task stops the run with one line; so do labelled nodes that have
        all left for longer than ``wait``."""
        if not jobs:
            return
        if not self.nodes:
            self.connect()
        ray = _ray()
        task = ray.remote(_on_node).options(
            num_cpus=0, resources={self.resource: 1}, max_retries=1, name="shufflenet-cli"
        )
        pending = {task.remote(fn, self.label, job): i for i, job in enumerate(jobs)}
        gone_since = None
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
                for ref in done:
                    i = pending.pop(ref)
                    value, where = self._get(ray, ref)
                    on_result(i, value, where)
                if done or self._labelled_nodes(ray):
                    gone_since = None
                    continue
                gone_since = gone_since or time.monotonic()
                if time.monotonic() - gone_since > self.wait:
                    raise UserError(
                        f"ray: every node carrying {self.resource} left the cluster; "
                        f"{len(pending)} measurement(s) not made"
                    )
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    def _get(self, ray, ref):
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as e:
            cause = getattr(e, "cause", None)
            if isinstance(cause, UserError):
                raise UserError(str(cause)) from None
            what = _first_line(cause) if cause is not None else _first_line(e)
            raise UserError(f"ray: a measurement on {self.resource} failed: {what}") from None
        except ray.exceptions.RayError as e:
            raise UserError(
                f"ray: a measurement on {self.resource} failed: {_first_line(e)}"
            ) from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[-1] if text else ''}"


def _on_node(fn: Callable, label: str, job: tuple):
    """The Ray task: ``fn(*job)`` on this node, and where it ran."""
    import ray

    value = fn(*job)
    return value, where_measured(label, ray.get_runtime_context().get_node_id())


def where_measured(label: str, node_id: str | None = None) -> dict:
    """The device label, host name and Ray node of the machine running this."""
    host = socket.gethostname()
    node = (node_id or "")[:8]
    text = f"{label}:{host}" + (f"/{node}" if node else "")
    return {"device": label, "host": host, "node": node, "text": text}


__all__ = ["Fleet", "RESOURCE_PREFIX", "DEFAULT_WAIT", "where_measured"]
