"""Registry events built in memory: a registration and a stage (un)assignment, by hand."""

from __future__ import annotations

from lockstep.registry.events import REGISTER, UNASSIGN, Event

A = "churn-model"


def reg(version: str, commit: str, time: int) -> Event:
    return Event(f"{A}@{version}", A, REGISTER, commit, time, version=version)


def stage(action: str, name: str, commit: str, time: int, counter: int) -> Event:
    mark = "!" if action == UNASSIGN else ""
    return Event(
        f"{A}#{name}{mark}#{counter}", A, action, commit, time, stage=name, counter=counter
    )
