"""lockstep.cluster: a scheduler address that is malformed or where nothing listens fails at once,
naming the address and the setting it came from (no cluster is started here)."""

from __future__ import annotations

import socket

import pytest

from lockstep.cluster import check_address, connect, fold_backend, probe
from lockstep.errors import LockstepError


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("address", ["127.0.0.1:8786", "tcp://127.0.0.1", "http://host:1"])
def test_a_malformed_address_is_named(address):
    with pytest.raises(LockstepError, match=rf"--scheduler: '{address}' is not a scheduler"):
        check_address(address)


def test_nothing_listening_fails_naming_the_address_and_the_fix():
    address = f"tcp://127.0.0.1:{closed_port()}"
    with pytest.raises(LockstepError, match=rf"--scheduler: cannot reach .* at {address} \("):
        probe(address)
    with pytest.raises(LockstepError, match=r"start it \(`dask scheduler`"):
        connect(address)


def test_the_train_stage_names_its_setting():
    address = f"tcp://127.0.0.1:{closed_port()}"
    with (
        pytest.raises(LockstepError, match=rf"train.scheduler: cannot reach .* at {address}"),
        fold_backend(address),
    ):
        pytest.fail("the folds must not run when the scheduler cannot be reached")
