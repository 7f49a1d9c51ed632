"""Run under mpirun by test_distributed.py: rank 1 fails in the way $EMBER_FAULT names
while rank 0 waits in an all-reduce; the job must end, with an error, not hang."""
from __future__ import annotations

import datetime
import os
import signal
import time

import ember
import ember.distributed as dist


def main():
    fault = os.environ["EMBER_FAULT"]
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=3))
    if dist.get_rank() == 1:
        if fault == "raise":
            raise ValueError("rank 1 cannot go on")
        if fault == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if fault == "stuck":
            time.sleep(100)
    t = ember.ones(4)
    dist.all_reduce(t)
    dist.barrier()


if __name__ == "__main__":
    main()
