"""What one access log line costs, in-process: `python -m bench.log_cost [--lines N]`.

Formats and writes the line a home-page request logs (app.observability), to /dev/null, in
both formats; prints microseconds per line. Steadier than comparing wrk runs at two log
levels, whose noise exceeds the difference."""

import argparse
import logging
import os
import sys
import time

from app.observability import _log_access, configure_logging

SCOPE = {
    "type": "http",
    "client": ("127.0.0.1", 50123),
    "method": "POST",
    "path": "/graphql",
    "http_version": "1.1",
    "quire.access": {
        "request_id": "0" * 32,
        "operation": "Home",
        "sql_statements": 2,
        "cost": 28,
        "executor": "compiled",
        "errors": None,
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=20_000)
    lines = parser.parse_args().lines
    output = sys.stdout
    with open(os.devnull, "w") as devnull:
        sys.stderr = devnull  # where the handler writes
        for json in (True, False):
            configure_logging(level="info", json=json)
            started = time.perf_counter()
            for _ in range(lines):
                _log_access(SCOPE, "/graphql", 200, started, logging.INFO)
            took = time.perf_counter() - started
            name = "JSON" if json else "readable"
            print(f"{name}: {took / lines * 1e6:.1f} µs per line", file=output)
        sys.stderr = sys.__stderr__


if __name__ == "__main__":
    main()
