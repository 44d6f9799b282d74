#!/usr/bin/env python3
"""berth-bench's docker-py client: call latency of the Docker SDK for Python.

    docker_py.py SOCKET API OP N WARMUP [ID]

WARMUP unmeasured then N measured calls of OP (ping, version, info, inspect, list) on one
docker.APIClient (docker-py's low-level client, which the high-level one wraps; it parses
the JSON answers into dicts). Each latency is printed in ns on a line of its own.
Exit 3 when docker-py is not installed (pip install docker).
"""
import sys
import time


def main(argv):
    if len(argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    socket, api, op, n, warmup = argv[1], argv[2], argv[3], int(argv[4]), int(argv[5])
    cid = argv[6] if len(argv) > 6 else ""
    try:
        import docker
    except ImportError:
        print("docker-py is not installed (pip install docker)", file=sys.stderr)
        return 3
    client = docker.APIClient(base_url="unix://" + socket, version=api)
    calls = {
        "ping": client.ping,
        "version": client.version,
        "info": client.info,
        "inspect": lambda: client.inspect_container(cid),
        "list": lambda: client.containers(all=True),
    }
    if op not in calls or n < 1 or warmup < 0 or (op == "inspect" and not cid):
        print(__doc__, file=sys.stderr)
        return 2
    call = calls[op]
    for _ in range(warmup):
        call()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(n):
        start = clock()
        call()
        samples.append(clock() - start)
    sys.stdout.write("".join(f"{s}\n" for s in samples))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
