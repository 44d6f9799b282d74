"""python-job: a berth plugin in Python (componentize-py, world `plugin`).

Runs a job container, streams its logs while it runs, waits for it and reports its
exit code, then removes it. It uses berth's typed engine interfaces (containers
create/start/logs/wait/remove); berth links it with the engine component at load time,
so every request still goes through the host's policy.

    berth plugin run python_job.wasm --grant examples/python-job/job.toml -- \
        --label app=batch [--label KEY=VALUE]... [--name NAME] [--keep] IMAGE [CMD...]

The container gets the labels given (a grant with label scoping requires them). Log
lines are written to the plugin's stdout as they arrive (`[stdout] …` / `[stderr] …`).
The result is JSON:

    {"container": "<id>", "image": "busybox", "exit_code": 3,
     "stdout": "hi\n", "stderr": "oops\n", "removed": true}

Build: componentize-py -d ../../wit -w plugin componentize app -o python-job.wasm
"""

import json
import sys
from typing import List, Optional, Tuple

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import common, containers

USAGE = "usage: [--label KEY=VALUE]... [--name NAME] [--keep] IMAGE [CMD...]"


def describe(e: Err) -> str:
    """A readable text for an engine error (`error-code`)."""
    code = e.value
    kind = type(code).__name__.removeprefix("ErrorCode_")
    value = getattr(code, "value", None)
    message = getattr(value, "message", value)
    return f"{kind}: {message}" if message is not None else kind


def parse(args: List[str]) -> Tuple[List[Tuple[str, str]], Optional[str], bool, str, List[str]]:
    labels: List[Tuple[str, str]] = []
    name: Optional[str] = None
    keep = False
    i = 0
    while i < len(args) and args[i].startswith("--"):
        flag = args[i]
        if flag == "--keep":
            keep = True
            i += 1
            continue
        if flag not in ("--label", "--name") or i + 1 >= len(args):
            raise Err(f"bad argument {flag!r}; {USAGE}")
        value = args[i + 1]
        if flag == "--label":
            key, sep, val = value.partition("=")
            if not key or not sep:
                raise Err(f"--label {value!r} is not KEY=VALUE; {USAGE}")
            labels.append((key, val))
        else:
            name = value
        i += 2
    if i >= len(args):
        raise Err(f"no image given; {USAGE}")
    return labels, name, keep, args[i], args[i + 1:]


def spec(image: str, cmd: List[str], labels: List[Tuple[str, str]], name: Optional[str]) -> containers.ContainerSpec:
    return containers.ContainerSpec(
        image=image,
        name=name,
        platform=None,
        cmd=cmd or None,
        entrypoint=None,
        env=[],
        labels=labels,
        working_dir=None,
        user=None,
        hostname=None,
        tty=False,
        open_stdin=False,
        exposed_ports=[],
        stop_signal=None,
        stop_timeout=None,
        network=None,
        network_disabled=False,
        host_config=None,
    )


class Entry(exports.Entry):
    def run(self, args: List[str]) -> str:
        labels, name, keep, image, cmd = parse(args)
        try:
            created = containers.create(spec(image, cmd, labels, name))
        except Err as e:
            raise Err(f"creating the job container failed: {describe(e)}")
        cid = created.id
        out = {"stdout": bytearray(), "stderr": bytearray()}
        try:
            containers.start(cid)
            options = containers.LogsOptions(
                stdout=True, stderr=True, follow=True, timestamps=False,
                tail=None, since=None, until=None,
            )
            # Follow the logs until the container's output ends (it exited).
            with containers.logs(cid, options) as stream:
                while True:
                    frame = stream.next()
                    if frame is None:
                        break
                    which = "stderr" if frame.origin == common.StdStream.STDERR else "stdout"
                    out[which] += frame.data
                    text = bytes(frame.data).decode("utf-8", "replace")
                    sys.stdout.write("".join(f"[{which}] {line}\n" for line in text.splitlines()))
                    sys.stdout.flush()
            exit_code = containers.wait(cid, containers.WaitCondition.NOT_RUNNING)
        except Err as e:
            self.cleanup(cid, keep)
            raise Err(f"running job {cid[:12]} failed: {describe(e)}")
        removed = self.cleanup(cid, keep)
        return json.dumps({
            "container": cid,
            "image": image,
            "exit_code": exit_code,
            "stdout": out["stdout"].decode("utf-8", "replace"),
            "stderr": out["stderr"].decode("utf-8", "replace"),
            "removed": removed,
        })

    @staticmethod
    def cleanup(cid: str, keep: bool) -> bool:
        if keep:
            return False
        try:
            containers.remove(cid, containers.RemoveOptions(force=True, volumes=True, link=False))
            return True
        except Err as e:
            sys.stderr.write(f"removing {cid[:12]} failed: {describe(e)}\n")
            return False
