"""The ``monitor`` params section (conf/monitor/default.yaml) as a frozen dataclass."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..errors import LockstepError

DURATION = re.compile(r"^(\d+)([smhdw])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# Everything `lockstep monitor` found (text included); reports/monitoring.json (lockstep.paths)
# is the DVC metric: numbers only.
MONITORING_REPORT = "reports/monitoring_report.json"


@dataclass(frozen=True)
class MonitorParams:
    seed: int
    store: str = "monitoring/outcomes"
    log_dir: str = "logs/predictions"
    id_column: str | None = None
    label_column: str | None = None
    time_column: str = "observed_at"
    window: str = "7d"
    min_labels: int = 100
    bootstrap_samples: int = 200
    confidence: float = 0.95
    alpha: float = 0.01
    degradation: dict[str, float] = field(default_factory=lambda: {"roc_auc": 0.05})
    calibration_margin: float = 0.05
    ab_min_effect: float = 0.02
    ab_power: float = 0.8
    retrain_min_labels: int = 500

    def __post_init__(self) -> None:
        duration(self.window, "monitor.window")
        if not 0 < self.alpha < 1 or not 0 < self.confidence < 1 or not 0 < self.ab_power < 1:
            raise LockstepError("monitor.alpha, confidence and ab_power must be in (0, 1)")
        if self.bootstrap_samples < 20 or self.min_labels < 2 or self.retrain_min_labels < 1:
            raise LockstepError(
                "monitor.bootstrap_samples must be at least 20, min_labels at least 2 and "
                "retrain_min_labels at least 1"
            )
        if self.ab_min_effect <= 0 or self.calibration_margin < 0:
            raise LockstepError("monitor.ab_min_effect must be > 0, calibration_margin >= 0")


def duration(text: str, where: str) -> timedelta:
    """``7d``, ``12h``, ``2w``... as a timedelta; a clear error for anything else."""
    match = DURATION.match(str(text).strip())
    if not match or int(match.group(1)) == 0:
        raise LockstepError(f"{where}: '{text}' is not a duration such as 7d, 12h, 30m or 2w")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def since_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise LockstepError(f"--since '{text}' is not an ISO date or time (2026-11-01)") from exc
