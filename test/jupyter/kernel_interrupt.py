"""Interrupts training in a real tslab kernel, as Jupyter's stop button does, and reports what followed.

Used by test/interrupt.test.ts. Starts the project's tslab kernel (JUPYTER_PATH), runs set-up
cells, starts a long training cell, interrupts the kernel (a SIGINT, what the stop button sends)
once training has logged a few lines, and does that `repeat` times in a row (the training cell run
again each time), then runs short cells after it. Writes a JSON report:
{"setup": [...], "interruptions": [{"cell": {...}, "quiet": [...]}, ...], "after": [...]} with every
cell's outputs, its wall time and, after each interruption, the outputs that arrived while no cell
was running. The pause after an interruption also keeps the next cell clear of tslab's habit of
aborting every request that arrives within 200 ms of an error.
"""
import argparse
import json
import queue
import sys
import time

from jupyter_client.manager import start_new_kernel


def run_cell(kc, code, timeout=600, interrupt=None):
    """Executes `code`; returns {outputs, stderr, seconds, status}. `interrupt(km)` is called once a
    given number of stdout lines have arrived (for the training cell)."""
    msg_id = kc.execute(code)
    started = time.monotonic()
    out, err = [], []
    interrupted_at = None
    deadline = started + timeout
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(f"cell timed out after {timeout} s: {code[:80]}")
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        t = msg["msg_type"]
        c = msg["content"]
        if t == "stream":
            (err if c["name"] == "stderr" else out).append(c["text"])
            if interrupt is not None and interrupted_at is None and "".join(out).count("\n") >= interrupt["after_lines"]:
                interrupted_at = time.monotonic()
                interrupt["do"]()
        elif t == "error":
            err.append(f"{c['ename']}: {c['evalue']}")
        elif t == "status" and c["execution_state"] == "idle":
            break
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id and reply["msg_type"] == "execute_reply":
            break
    status = reply["content"]["status"]
    ended = time.monotonic()
    result = {"outputs": out, "stderr": err, "seconds": ended - started, "status": status}
    if interrupted_at is not None:
        result["endedAfterInterruptSeconds"] = ended - interrupted_at
    return result


def drain(kc, seconds):
    """Every iopub output that arrives in the next `seconds` while no cell runs."""
    end = time.monotonic() + seconds
    seen = []
    while time.monotonic() < end:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.05, end - time.monotonic()))
        except queue.Empty:
            continue
        if msg["msg_type"] in ("stream", "display_data", "update_display_data", "execute_result", "error"):
            seen.append({"type": msg["msg_type"], "content": msg["content"]})
    return seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec", help="JSON: {cwd, setup: [code], train: code, afterLines: n, repeat: n, after: [code], quietSeconds: s, betweenSeconds: s}")
    ap.add_argument("report")
    args = ap.parse_args()
    spec = json.loads(open(args.spec).read())
    km, kc = start_new_kernel(kernel_name="tslab", cwd=spec["cwd"])
    try:
        report = {"setup": [], "interruptions": [], "after": []}
        for code in spec["setup"]:
            report["setup"].append(run_cell(kc, code))
        repeat = spec.get("repeat", 1)
        for k in range(repeat):
            cell = run_cell(kc, spec["train"], interrupt={"after_lines": spec["afterLines"], "do": km.interrupt_kernel})
            quiet = drain(kc, spec["quietSeconds"] if k == repeat - 1 else spec.get("betweenSeconds", 0.5))
            report["interruptions"].append({"cell": cell, "quiet": quiet})
        for code in spec["after"]:
            report["after"].append(run_cell(kc, code))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    with open(args.report, "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    sys.exit(main())
