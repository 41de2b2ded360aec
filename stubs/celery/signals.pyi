from collections.abc import Callable
from typing import Any

_Handler = Callable[..., None]

class Signal:
    def connect(self, receiver: _Handler, /, **kwargs: Any) -> _Handler: ...

task_postrun: Signal
worker_ready: Signal
