"""Compile and run programs in child processes, so that a crash or a hang is a result, not the end.

A `Pool` keeps a few worker processes (`python -m benchmarks.fuzzing.workers`), sends each
a program's source and arguments, and waits with a timeout. A worker killed by a signal (SIGFPE,
SIGSEGV, SIGABRT) gives a "crash" outcome, one past the timeout is killed and gives "hang"; either
way a fresh worker takes its place. Workers are also replaced every `recycle` jobs, so memory that
thousands of compilations leave behind does not pile up.
"""

from __future__ import annotations

import multiprocessing.connection
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Job:
    source: str  # defines `f`
    args: tuple[np.ndarray, ...]
    optimize: bool  # False: tracer.jit(f, optimize=False); True: the default pipeline


@dataclass
class ErrorInfo:
    """An exception raised in a worker, as data (exceptions of every library need not pickle)."""

    type: str
    bases: tuple[str, ...]  # names of its classes, most derived first (for comparing with NumPy's)
    message: str
    tracer_error: bool  # a tracer.TracerError: a clear error that names the user's line
    where: str = ""  # the last frames of the traceback


@dataclass
class Outcome:
    status: str  # "ok", "error" (an exception), "crash" (the process died), "hang" (past the timeout)
    values: list[np.ndarray] | None = None
    error: ErrorInfo | None = None
    detail: str = ""  # the signal or exit code of a crash
    seconds: float = 0.0
    stderr: str = field(default="", repr=False)


def run_job(job: Job) -> Outcome:
    """In the worker: trace, compile and run `f` once; results as NumPy arrays."""
    import ir.errors
    import tracer
    from benchmarks.fuzzing.program import load

    start = time.perf_counter()
    try:
        fn = load(job.source)
        results = tracer.jit(fn, optimize=job.optimize)(*job.args)
        values = [np.asarray(r) for r in results]
        return Outcome("ok", values=[v.copy() for v in values], seconds=time.perf_counter() - start)
    except Exception as err:  # noqa: BLE001  (every exception is a result here)
        info = ErrorInfo(type(err).__name__, tuple(c.__name__ for c in type(err).__mro__), str(err)[:2000],
                         isinstance(err, ir.errors.PyreactantError),
                         "".join(traceback.format_exception(err)[-3:])[-1500:])
        return Outcome("error", error=info, seconds=time.perf_counter() - start)


ROOT = Path(__file__).resolve().parents[2]


def _worker_main() -> None:
    """`python -m benchmarks.fuzzing.workers`: jobs come in on stdin, outcomes go out on the original
    stdout; fd 1 and 2 then point at the log (XLA's "Check failed: ..." before an abort lands there)."""
    requests = Connection(0, writable=False)
    replies = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    memory_limit = int(os.environ.get("FUZZ_WORKER_MEMORY_LIMIT", "0"))
    if memory_limit:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    import tracer  # noqa: F401  (import once, before the first job's clock starts)

    replies.send("ready")
    while True:
        try:
            job = requests.recv()
        except EOFError:
            return
        if job is None:
            return
        replies.send(run_job(job))


class Worker:
    """One child process (spawned fresh: XLA's threads do not survive a fork)."""

    def __init__(self, memory_limit: int):
        handle, self.stderr_path = tempfile.mkstemp(prefix="fuzz-worker-", suffix=".log")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                   FUZZ_WORKER_MEMORY_LIMIT=str(memory_limit))
        env.pop("PYREACTANT_CACHE_DIR", None)  # every compilation from scratch: no persistent cache
        self.process = subprocess.Popen([sys.executable, "-m", "benchmarks.fuzzing.workers"], cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=handle)
        os.close(handle)
        self.requests = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.conn = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.jobs = 0
        self.ready = False

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, job) -> None:
        self.requests.send(job)

    def wait_ready(self, timeout: float) -> bool:
        if not self.ready and self.conn.poll(timeout):
            try:
                self.ready = self.conn.recv() == "ready"
            except EOFError:
                return False
        return self.ready

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait(10)
        for conn in (self.requests, self.conn):
            conn.close()
        try:
            os.unlink(self.stderr_path)
        except OSError:
            pass

    def stderr_tail(self, lines: int = 6) -> str:
        try:
            with open(self.stderr_path, errors="replace") as log:
                return "".join(log.readlines()[-lines:]).strip()
        except OSError:
            return ""


def describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


class Pool:
    """`size` workers; `run(jobs)` runs a list of jobs on them at once and returns their outcomes."""

    # Address space per worker: far more than any fuzz program needs, and a program that asks XLA for
    # hundreds of GiB (issue 16 #3) fails in its worker instead of pressing the shared machine.
    MEMORY_LIMIT = 8 << 30

    # Jobs per worker before a fresh one: a worker grows ~2 MiB per 100 jobs (255 -> 266 MiB over 600), and starting
    # one (importing jax and tracer, the first compilation) costs ~2.4 s of CPU, ~10% of the run at every 300 jobs.
    RECYCLE = 2000

    def __init__(self, size: int = 2, timeout: float = 120.0, recycle: int = RECYCLE, memory_limit: int = MEMORY_LIMIT,
                 startup_timeout: float = 180.0):
        self.size, self.timeout, self.recycle, self.memory_limit = size, timeout, recycle, memory_limit
        self.startup_timeout = startup_timeout
        self.workers = [Worker(memory_limit) for _ in range(size)]
        self.restarts = 0

    def _fresh(self, index: int) -> Worker:
        self.workers[index].kill()
        self.workers[index] = Worker(self.memory_limit)
        self.restarts += 1
        return self.workers[index]

    def _ready_worker(self, index: int) -> Worker:
        worker = self.workers[index]
        if worker.jobs >= self.recycle or not worker.alive():
            worker = self._fresh(index)
        if not worker.wait_ready(self.startup_timeout):
            worker = self._fresh(index)
            if not worker.wait_ready(self.startup_timeout):
                raise RuntimeError("a fuzz worker did not start (import of tracer failed?)")
        return worker

    def run(self, jobs: list[Job]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(jobs)
        pending = list(range(len(jobs)))
        while pending:
            batch, pending = pending[: self.size], pending[self.size:]
            running = {}
            for slot, index in enumerate(batch):
                worker = self._ready_worker(slot)
                worker.send(jobs[index])
                worker.jobs += 1
                running[slot] = (index, time.monotonic())
            while running:
                deadline = min(start for _, start in running.values()) + self.timeout
                conns = {self.workers[slot].conn: slot for slot in running}
                ready = multiprocessing.connection.wait(list(conns), max(0.0, deadline - time.monotonic()))
                for conn in ready:
                    slot = conns[conn]
                    index, start = running.pop(slot)
                    try:
                        outcomes[index] = conn.recv()
                    except (EOFError, OSError):
                        worker = self.workers[slot]
                        try:
                            worker.process.wait(10)
                        except subprocess.TimeoutExpired:
                            pass
                        outcomes[index] = Outcome("crash", detail=describe_exit(worker.process.returncode),
                                                  seconds=time.monotonic() - start, stderr=worker.stderr_tail())
                        self._fresh(slot)
                now = time.monotonic()
                for slot, (index, start) in list(running.items()):
                    if now - start >= self.timeout:
                        running.pop(slot)
                        outcomes[index] = Outcome("hang", detail=f"no result after {self.timeout:.0f} s",
                                                  seconds=now - start)
                        self._fresh(slot)
        return outcomes

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.send(None)
                worker.process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            worker.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":
    # Run the imported module's loop, so that outcomes pickle as benchmarks.fuzzing.workers.Outcome.
    from benchmarks.fuzzing import workers

    workers._worker_main()
