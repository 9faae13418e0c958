"""Executes a notebook through a real Jupyter kernel (tslab), optionally twice in the same kernel.

Used by test/notebooks.test.ts. After each pass it runs a probe cell (given on the command line)
and records its stdout, so the test can check that re-running the whole notebook in one kernel
leaves the same number of tensors behind. Writes a JSON report:
{"cells": [{"index", "source", "outputs": [text...], "stderr": [text...], "status"}], "probes": [text, ...]}
with the outputs of the last pass. tslab reports compile and runtime errors as stderr stream text,
not as error outputs, so the report keeps stderr apart for the test to show. `status` is the
kernel's execute_reply status: "ok", "error", or "abort" where tslab dropped the cell unrun (it
aborts every request that arrives within 200 ms after an error), which leaves no output at all.
"""
import argparse
import json
import os
import sys

import nbformat
from nbclient import NotebookClient


def texts(outputs):
    out, err = [], []
    for o in outputs:
        if o.get("output_type") == "stream":
            (err if o.get("name") == "stderr" else out).append(o.get("text", ""))
        elif o.get("output_type") == "error":
            err.append(f"{o.get('ename')}: {o.get('evalue')}")
        else:
            data = o.get("data", {})
            for mime in ("text/plain", "text/html"):
                if mime in data:
                    value = data[mime]
                    out.append(value if isinstance(value, str) else "".join(value))
    return out, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("report")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--probe", default="")
    ap.add_argument("--timeout", type=int, default=900)
    args = ap.parse_args()

    nb = nbformat.read(args.notebook, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        allow_errors=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}},
    )
    statuses = {}
    client.on_cell_executed = lambda cell, cell_index, execute_reply: statuses.__setitem__(cell_index, execute_reply["content"].get("status"))
    probes = []
    with client.setup_kernel():
        for _ in range(args.passes):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
            if args.probe:
                probe = nbformat.v4.new_code_cell(args.probe)
                nb.cells.append(probe)  # nbclient stores outputs by index, so the probe needs a slot
                client.execute_cell(probe, len(nb.cells) - 1)
                nb.cells.pop()
                out, err = texts(probe.outputs)
                probes.append("".join(out + err))

    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        out, err = texts(cell.get("outputs", []))
        cells.append({"index": index, "source": cell.source, "metadata": dict(cell.metadata), "outputs": out, "stderr": err, "status": statuses.get(index)})
    with open(args.report, "w") as f:
        json.dump({"cells": cells, "probes": probes}, f)


if __name__ == "__main__":
    sys.exit(main())
