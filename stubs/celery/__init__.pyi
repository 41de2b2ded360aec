from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar, overload

_P = ParamSpec("_P")
_R = TypeVar("_R")

class Task(Generic[_P, _R]):
    name: str
    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> _R: ...
    def delay(self, *args: _P.args, **kwargs: _P.kwargs) -> Any: ...
    def apply_async(
        self,
        args: tuple[Any, ...] | list[Any] | None = ...,
        kwargs: dict[str, Any] | None = ...,
        countdown: float | None = ...,
        **options: Any,
    ) -> Any: ...

class Celery:
    conf: Any
    def __init__(self, main: str | None = ..., **kwargs: Any) -> None: ...
    def config_from_object(self, obj: Any, namespace: str | None = ...) -> None: ...
    def autodiscover_tasks(self, packages: list[str] | None = ..., **kwargs: Any) -> None: ...
    @overload
    def task(self, fun: Callable[_P, _R], /) -> Task[_P, _R]: ...
    @overload
    def task(self, **options: Any) -> Callable[[Callable[_P, _R]], Task[_P, _R]]: ...
