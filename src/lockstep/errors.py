"""The one exception type that user-facing code raises for bad input or bad config.

``LockstepError`` is a plain ``Exception``, so the modules a saved model or the server imports do
not depend on click. The `lockstep` command group (``lockstep.cli.LazyGroup``) turns it into a
click error: ``Error: <message>`` on stderr and exit status ``exit_code`` (1 unless a subclass
says otherwise, as ``registry.policy.Refused`` does with 3).
"""


class LockstepError(Exception):
    """An error a person can act on: what went wrong, where, and how to fix it."""

    exit_code = 1
    # False where nothing was written or deleted: `lockstep` then adds no advice on getting a
    # stage's committed outputs back (lockstep.cli.RECOVER)
    outputs_touched = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def format_message(self) -> str:
        return self.message
