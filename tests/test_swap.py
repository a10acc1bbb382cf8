"""lockstep.swap: another library's functions replaced for a while, and always put back."""

from __future__ import annotations

import threading
import time
import types

import pytest

from lockstep.swap import replaced


def library() -> types.SimpleNamespace:
    return types.SimpleNamespace(double=lambda x: 2 * x)


def test_the_wrapper_gets_the_original_and_the_original_comes_back():
    lib = library()
    original = lib.double
    with replaced(lib, {"double": lambda f: lambda x: f(x) + 1}):
        assert lib.double(3) == 7
    assert lib.double is original


def test_the_original_comes_back_after_an_error():
    lib = library()
    original = lib.double
    with (
        pytest.raises(RuntimeError, match="boom"),
        replaced(lib, {"double": lambda f: lambda x: 0}),
    ):
        raise RuntimeError("boom")
    assert lib.double is original


def test_a_name_the_library_does_not_have_is_left_alone():
    lib = library()
    with replaced(lib, {"triple": lambda f: lambda x: 3 * x}):
        assert not hasattr(lib, "triple")
    assert not hasattr(lib, "triple")


def test_two_threads_take_turns_and_leave_the_original():
    lib = library()
    original, seen = lib.double, []

    def use(offset: int) -> None:
        with replaced(lib, {"double": lambda f: lambda x: f(x) + offset}):
            time.sleep(0.05)
            seen.append(lib.double(0) == offset)  # its own wrapper, not the other thread's

    threads = [threading.Thread(target=use, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [True, True]
    assert lib.double is original
