"""Running a call off the UI thread and handing its result back on the UI thread.

The shape is Anki's CollectionOp: build the op, say what happens on success (and, if the
default is not right, on failure), then run it::

    BackgroundOp(self, lambda: branch.update_branch(db, user, details, now=now)) \\
        .success(self._saved).failure(self._refused).run_in_background()

The callable runs in a QThreadPool (the global one unless a pool is given); the callbacks run
on the thread that built the op, through a queued signal. When the op has a parent widget and
that widget is gone by the time the work ends, the callbacks are skipped: a closed panel is
never called back.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, Generic, Self, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.errors import error_sentence, log_failure
from domain.log import ui as log

# Exceptions raised by our own layers carry a sentence written for the person at the desk.

T = TypeVar("T")


class _Relay(QObject):
    """Carries one outcome from the worker thread to the thread that created it.

    Signals:
        done(object, object): (result, None) on success, (None, exception) on failure.
    """

    done = Signal(object, object)


class BackgroundOp(QObject, Generic[T]):
    """One call run in a thread pool, with its outcome delivered on the UI thread.

    Signals:
        succeeded(object): the call returned this value.
        failed(object): the call raised this exception.
        finished(): emitted after either of the above (and after the callbacks ran).
    """

    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()

    # Ops in flight keep themselves alive here until their outcome is delivered; nothing
    # looks ops up through it.
    _in_flight: ClassVar[set[BackgroundOp[Any]]] = set()
    # Delivered ops stay referenced here until a later op starts or delivers. Dropping an
    # op's last reference inside its own _deliver would destroy the QObject in the middle
    # of its own event, which PySide survives only most of the time (a segfault in
    # ~QObject, caught under gdb).
    _retired: ClassVar[list[BackgroundOp[Any]]] = []

    def __init__(self, parent: QWidget | None, call: Callable[[], T]) -> None:
        super().__init__()
        self._parent = parent
        self._call = call
        self._on_success: Callable[[T], object] | None = None
        self._on_failure: Callable[[Exception], object] | None = None
        self._relay = _Relay()
        self._relay.done.connect(self._deliver)
        self._started = False
        self._delivering = False

    def success(self, callback: Callable[[T], object]) -> Self:
        """Call `callback(result)` on the UI thread when the call returns."""
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[Exception], object]) -> Self:
        """Call `callback(exception)` on the UI thread when the call raises."""
        self._on_failure = callback
        return self

    def run_in_background(self, pool: QThreadPool | None = None) -> Self:
        """Start the call in `pool` (the global pool by default); returns at once."""
        if self._started:
            raise RuntimeError("This operation has already been started")
        self._started = True
        BackgroundOp._release_retired()
        BackgroundOp._in_flight.add(self)
        relay, call = self._relay, self._call

        def work() -> None:
            outcome: tuple[object, object]
            try:
                outcome = (call(), None)
            except Exception as exc:  # every failure goes back to the UI thread
                outcome = (None, exc)
            try:
                relay.done.emit(*outcome)
            except RuntimeError:
                # The app quit while this ran and its objects are gone ("Signal source has
                # been deleted"): there is nobody left to tell.
                log.debug("a background op finished after the app quit")

        (pool or QThreadPool.globalInstance()).start(work)
        return self

    @classmethod
    def _release_retired(cls) -> None:
        # An op still delivering (a callback that runs a nested event loop) stays.
        cls._retired = [op for op in cls._retired if op._delivering]

    @Slot(object, object)
    def _deliver(self, result: object, error: object) -> None:
        BackgroundOp._release_retired()
        BackgroundOp._in_flight.discard(self)
        BackgroundOp._retired.append(self)
        if self._parent is not None and not shiboken6.isValid(self._parent):
            log.debug("dropping the outcome of a background op whose widget is gone")
            return
        self._delivering = True
        try:
            if isinstance(error, Exception):
                self.failed.emit(error)
                (self._on_failure or self._default_failure)(error)
            else:
                self.succeeded.emit(result)
                if self._on_success is not None:
                    self._on_success(result)  # type: ignore[arg-type]
        finally:
            self._delivering = False
            self.finished.emit()

    def _default_failure(self, error: Exception) -> None:
        show_error(self._parent, error)


class ProgressRelay(QObject):
    """Carries progress reports from a worker thread to `on_report` on the UI thread.

    A background call is handed `relay.report` and calls it with whatever its service
    reports; `on_report` gets the same values on the thread that built the relay, in order,
    and so may touch widgets.

    Signals:
        reported(object): the values of one report, as a tuple.
    """

    reported = Signal(object)

    def __init__(self, on_report: Callable[..., object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_report = on_report
        self.reported.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def report(self, *values: object) -> None:
        """Report `values`; safe to call from any thread."""
        self.reported.emit(values)

    @Slot(object)
    def _deliver(self, values: tuple[object, ...]) -> None:
        self._on_report(*values)


class OpCounter:
    """Starts a widget's background ops of one kind and counts those still in flight, so
    the widget can say whether it is idle (tests wait on that; nothing else polls it).

    It also numbers the runs: `begin()` before building a run's call, and `is_latest(n)`
    in its callbacks tells whether a later run has replaced it. Use one counter per kind of
    operation (a refresh, an import): two kinds sharing one would each take the other's
    run for a newer one of their own, and drop its outcome.
    """

    def __init__(self, owner: QWidget) -> None:
        self._owner = owner
        self.in_flight = 0
        self.latest = 0

    def begin(self) -> int:
        """The number of a new run; the outcomes of earlier runs are stale from now on."""
        self.latest += 1
        return self.latest

    def is_latest(self, number: int) -> bool:
        """No run has begun since run `number`."""
        return number == self.latest

    def run(
        self,
        call: Callable[[], T],
        on_success: Callable[[T], object],
        on_failure: Callable[[Exception], object],
        pool: QThreadPool | None = None,
    ) -> None:
        """Run `call` for the owner; the count drops once the callbacks have run."""
        self.in_flight += 1

        def done() -> None:
            self.in_flight -= 1

        op = BackgroundOp(self._owner, call).success(on_success).failure(on_failure)
        op.finished.connect(done)
        op.run_in_background(pool)

    @property
    def idle(self) -> bool:
        return self.in_flight == 0


class StepQueue(QObject):
    """Work that must happen on the UI thread (building widgets, drawing), cut into steps
    that run one per turn of the event loop, so the window answers between them.

    The queue's timer belongs to its parent and dies with it: a closed panel's steps never run.

    Signals:
        drained(): the last step queued has run.
    """

    drained = Signal()

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._steps: deque[Callable[[], object]] = deque()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_next)

    def add(self, step: Callable[[], object]) -> None:
        """Run `step` after the steps already queued, in a turn of its own."""
        self._steps.append(step)
        if not self._timer.isActive():
            self._timer.start()

    def clear(self) -> None:
        """Forget the steps not yet run."""
        self._steps.clear()
        self._timer.stop()

    @property
    def idle(self) -> bool:
        return not self._steps

    def _run_next(self) -> None:
        if not self._steps:
            return
        step = self._steps.popleft()
        try:
            step()
        finally:
            if self._steps:
                self._timer.start()
            else:
                self.drained.emit()


def run_in_background(
    parent: QWidget | None,
    call: Callable[[], T],
    *,
    on_success: Callable[[T], object] | None = None,
    on_failure: Callable[[Exception], object] | None = None,
    pool: QThreadPool | None = None,
) -> BackgroundOp[T]:
    """Shorthand for BackgroundOp(parent, call).success(...).failure(...).run_in_background()."""
    op = BackgroundOp(parent, call)
    if on_success is not None:
        op.success(on_success)
    if on_failure is not None:
        op.failure(on_failure)
    return op.run_in_background(pool)


def show_error(parent: QWidget | None, error: BaseException) -> None:
    """The default failure handler: log the error, then tell the person in a message box."""
    log_failure(error)
    box = QMessageBox(QMessageBox.Icon.Warning, "Frontdesk", error_sentence(error), parent=parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    box.open()
