"""The worker processes of a bulk import, and the process settings that keep it fast.

Workers are spawned (not forked: the writer holds database connections), run at a
lower priority than the writer, and collect cyclic garbage seldom; so does the
writer while an import runs. Ctrl-C reaches the writer alone, which ends them.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from evidence.bulkprep import PreparedFile, PrepContext, prepare_files

WORKER_NICENESS = 10  # workers yield the CPU to the writer (bench/README.md)
GC_THRESHOLD = 10_000  # allocations between gen-0 collections during an import (default 700)


def _warm_up() -> None:
    # The one writer is the pipeline's bottleneck; on a machine with as many workers as
    # CPUs it would otherwise wait for a CPU while workers map batches it cannot yet take.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    # Import the mapping code (pydantic models, scipy) before the first batch arrives.
    import evidence.bulkprep
    import evidence.importers.ctgov
    import evidence.importers.ctgov_xml
    import evidence.stats  # noqa: F401

    # A study maps to ~130 short-lived models, so with the default gen-0 threshold the
    # cycle collector runs every few studies and walks every module, class and schema
    # just imported. Freezing those and collecting less often cut mapping CPU by ~25%
    # (bench/README.md); nothing the mapping builds is cyclic garbage worth chasing.
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """SIGINT ignored inside (main thread only: elsewhere signal.signal() is refused)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Pool:
    """Worker processes mapping batches, with a bounded number of batches in flight."""

    def __init__(self, jobs: int) -> None:
        import multiprocessing

        # spawn, not fork: the writer holds database connections a fork would share.
        self.executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_warm_up)

    def submit(self, fmt: str, files: list[tuple[str, bytes, str]],
               context: PrepContext) -> Future[list[PreparedFile]]:
        """The batch's future; after a worker died, a failed one (the writer maps it)."""
        try:
            return self._submit(fmt, files, context)
        except BrokenProcessPool as exc:
            # A worker was killed (out of memory, say): the executor takes no more work.
            # The writer maps the batches still to come itself, slower but complete.
            failed: Future[list[PreparedFile]] = Future()
            failed.set_exception(exc)
            return failed

    def _submit(self, fmt: str, files: list[tuple[str, bytes, str]],
                context: PrepContext) -> Future[list[PreparedFile]]:
        # A submit may spawn a worker. Ctrl-C in a terminal reaches every process of its
        # group; a worker born ignoring it (an ignored signal stays ignored across exec,
        # and Python then installs no handler) leaves it to the writer, which ends the
        # workers (stop) instead of each printing its own KeyboardInterrupt traceback.
        # A Ctrl-C within the few milliseconds of a spawn is lost; the next one counts.
        with sigint_ignored():
            return self.executor.submit(prepare_files, fmt, files, context)

    def close(self) -> None:
        """Wait for the workers to exit (every batch has been taken)."""
        self.executor.shutdown(wait=True)

    def stop(self) -> None:
        """Drop the queued batches and end the workers now, in the middle of their batches."""
        # It runs after a first Ctrl-C; a second one here (people press it twice) would
        # leave the workers that were not yet ended running. Stopping takes milliseconds.
        with sigint_ignored():
            self._stop()

    def _stop(self) -> None:
        # shutdown(wait=False) alone lets the running batches finish, and the interpreter
        # waits for them at exit. (Python 3.14 has terminate_workers() for this.)
        workers = list(self.executor._processes.values())
        manager: threading.Thread | None = getattr(self.executor, "_executor_manager_thread", None)
        self.executor.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.terminate()
        # The executor's own thread sees them end and reaps them. Joining them here as well
        # would race it: the join whose waitpid loses returns before the exit is recorded.
        if manager is not None:
            manager.join()


_collections_lock = threading.Lock()
_imports_running = 0  # imports inside fewer_collections, in any thread of this process
_to_restore: tuple[tuple[int, int, int], bool] = (gc.get_threshold(), False)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """The cycle collector of this process runs as seldom as a worker's, until the end.

    Process-wide: with imports in several threads, the first to start changes the
    settings and the last to end puts them back.
    """
    global _imports_running, _to_restore
    with _collections_lock:
        _imports_running += 1
        if _imports_running == 1:
            # What is alive now outlives the import: no collection need walk it. Not when
            # the program froze objects itself: unfreeze() could not tell ours from its.
            froze = gc.get_freeze_count() == 0
            _to_restore = (gc.get_threshold(), froze)
            if froze:
                gc.freeze()
            gc.set_threshold(GC_THRESHOLD, *_to_restore[0][1:])
    try:
        yield
    finally:
        with _collections_lock:
            _imports_running -= 1
            if _imports_running == 0:
                threshold, froze = _to_restore
                gc.set_threshold(*threshold)
                if froze:
                    gc.unfreeze()
