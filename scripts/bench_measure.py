#!/usr/bin/env python3
"""The measuring half of `make bench` (scripts/bench.sh builds, starts moto and the world).

Puts scripts/latency_proxy.py in front of moto, then for each run starts a fresh
scripts/runtime_api.py and a fresh release `bootstrap` process pointed at both, waits for the
invocation's response, reads the process's peak RSS, kills it and works out:

* init time: process start (taken in the forked child right before exec) -> first /next poll
* wall time: event delivered -> response posted (the publish is the handler's last call)
* AWS calls: proxied calls that started between delivery and response
* sequential rounds: calls ordered by start; a call opens a new round when it starts after
  every call of the current round has ended
* peak RSS: VmHWM from /proc/PID/status, read before the kill

When the world has `member-event.json` (the same world in a member account), as many runs
again diagnose that event with MEMBER_ROLE_NAME set: the member-account run, each a fresh
process, so the credential cache is cold (one sts:AssumeRole). Its extra rounds and calls
against the own-account runs are reported. A warm cache adds no call at all: the moto test
`org::member_stops_reach_the_central_doctor_which_reads_them_in_the_member_account` counts
one AssumeRole for two events.

Prints the figures against their targets (medians over the runs), the machine, and writes the
same text to --report and the raw figures to DIR/results.json. Every process it starts is
stopped on exit, whatever happens. Only 127.0.0.1 is contacted. Standard library only.
"""

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1 << 20

# Targets from the benchmark issue.
TARGET_WALL_S = 1.0
TARGET_ROUNDS = 6
TARGET_INIT_MS = 30.0
TARGET_RSS_MIB = 40.0
TARGET_ZIP_MIB = 8.0

RESPONSE_TIMEOUT_S = 60.0

children = []  # Popen objects
forked = set()  # pids of bootstrap processes not yet reaped


def cleanup():
    for pid in list(forked):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        forked.discard(pid)
    for proc in reversed(children):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    children.clear()


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def wait_for_file(path, proc, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return f.read().strip()
        if proc.poll() is not None:
            raise SystemExit(f"bench: {what} exited with {proc.returncode} before it was ready")
        time.sleep(0.01)
    raise SystemExit(f"bench: {what} was not ready after {timeout:.0f} s")


def start(args, what, ready_file, log_path):
    if os.path.exists(ready_file):
        os.remove(ready_file)
    log = open(log_path, "wb")
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()
    children.append(proc)
    port = wait_for_file(ready_file, proc, what)
    return proc, int(port)


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in children:
        children.remove(proc)


def launch(path, env, log_path):
    """Forks and execs `path`; returns (pid, monotonic time taken in the child before exec)."""
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    read_end, write_end = os.pipe()  # both close-on-exec: EOF once exec has happened
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(read_end)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(log_fd, 1)
            os.dup2(log_fd, 2)
            started = time.monotonic()
            os.write(write_end, repr(started).encode())
            os.execve(path, [path], env)
        finally:
            os._exit(127)
    forked.add(pid)
    os.close(write_end)
    os.close(log_fd)
    data = b""
    while True:
        chunk = os.read(read_end, 64)
        if not chunk:
            break
        data += chunk
    os.close(read_end)
    if not data:
        reap(pid)
        raise SystemExit(f"bench: could not start {path}; see {log_path}")
    return pid, float(data)


def reap(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    forked.discard(pid)


def exited(pid):
    """The wait status if the child has exited, else None."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        return None
    forked.discard(pid)
    return status


def memory(pid):
    """(VmHWM, VmRSS) in kB from /proc/PID/status."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0])
    return fields.get("VmHWM"), fields.get("VmRSS")


def read_calls(path):
    calls = []
    if not os.path.exists(path):
        return calls
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                calls.append(json.loads(line))
    return calls


def rounds(calls):
    """Maximal groups of overlapping calls, ordered by start."""
    groups, end = [], None
    for call in sorted(calls, key=lambda c: c["start"]):
        if not groups or call["start"] >= end:
            groups.append([call])
            end = call["end"]
        else:
            groups[-1].append(call)
            end = max(end, call["end"])
    return groups


def short_op(call):
    op = call.get("op") or "?"
    op = op.rsplit(".", 1)[-1]  # AmazonEC2ContainerServiceV20141113.DescribeTasks
    service = call.get("service")
    return f"{service}:{op}" if service else op


def tail(path, lines=30):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def machine():
    model = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                    model = value.strip()
                    break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{cpus} CPUs ({os.cpu_count()} online), {model or platform.processor() or 'unknown CPU'}; "
        f"{platform.system()} {platform.release()} {platform.machine()}; load average {load}"
    )


def lambda_env(args, world, proxy_port, runtime_port, member=False):
    with open(os.path.join(world, "topic_arn"), encoding="utf-8") as f:
        topic_arn = f.read().strip()
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        # AWS, through the latency proxy; static test credentials, no profile files, no IMDS.
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy_port}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.path.join(args.dir, "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(args.dir, "no-aws-credentials"),
        # What Lambda sets for a provided.al2023 function (template.yaml: 256 MB, JSON logs).
        # lambda_runtime 1.5 requires AWS_LAMBDA_RUNTIME_API, _FUNCTION_NAME,
        # _FUNCTION_MEMORY_SIZE (an integer) and _FUNCTION_VERSION (Config::from_env panics
        # without them); the log stream and group are optional there.
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{runtime_port}",
        "AWS_LAMBDA_FUNCTION_NAME": "ecs-task-doctor",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/ecs-task-doctor",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2025/01/01/[$LATEST]00000000000000000000000000000000",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
        "_HANDLER": "bootstrap",
        "TOPIC_ARN": topic_arn,
    }
    if member:
        # template.yaml's MEMBER_ROLE_NAME with OrganizationId set.
        env["MEMBER_ROLE_NAME"] = "ecs-task-doctor-reader"
    report = os.path.join(world, "report_topic_arn")
    if os.path.exists(report):
        with open(report, encoding="utf-8") as f:
            env["REPORT_TOPIC_ARN"] = f.read().strip()
    return env


def run_once(args, index, proxy_port, proxy_log, member=False):
    run_dir = os.path.join(args.dir, f"{'member-' if member else ''}run-{index}")
    os.makedirs(run_dir, exist_ok=True)
    summary_path = os.path.join(run_dir, "invocation.json")
    for stale in (summary_path,):
        if os.path.exists(stale):
            os.remove(stale)
    runtime, runtime_port = start(
        [
            sys.executable,
            os.path.join(HERE, "runtime_api.py"),
            "--event",
            os.path.join(args.world, "member-event.json" if member else args.event),
            "--out",
            summary_path,
            "--ready-file",
            os.path.join(run_dir, "runtime_api.port"),
        ],
        "the Runtime API emulator",
        os.path.join(run_dir, "runtime_api.port"),
        os.path.join(run_dir, "runtime_api.log"),
    )
    env = lambda_env(args, args.world, proxy_port, runtime_port, member)
    log_path = os.path.join(run_dir, "bootstrap.log")
    pid, process_start = launch(args.bootstrap, env, log_path)
    deadline = time.monotonic() + RESPONSE_TIMEOUT_S
    try:
        while not os.path.exists(summary_path):
            status = exited(pid)
            if status is not None:
                raise SystemExit(
                    f"bench: run {index}: bootstrap exited ({describe(status)}) before it "
                    f"answered; its log ({log_path}) ends with:\n{tail(log_path)}"
                )
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"bench: run {index}: no response after {RESPONSE_TIMEOUT_S:.0f} s; "
                    f"bootstrap log ({log_path}) ends with:\n{tail(log_path)}"
                )
            time.sleep(0.01)
        # The runtime is now idle in its next /next poll: read its peak before the kill.
        hwm_kb, rss_kb = memory(pid)
    finally:
        reap(pid)
        stop(runtime)

    with open(summary_path, encoding="utf-8") as f:
        summary = json.load(f)
    if summary.get("error"):
        raise SystemExit(
            f"bench: run {index}: the function answered with an error "
            f"({summary.get('error_type')}): {json.dumps(summary.get('body'))[:2000]}\n"
            f"bootstrap log ({log_path}) ends with:\n{tail(log_path)}"
        )
    body = summary.get("body")
    if not isinstance(body, dict) or body.get("outcome") != "published":
        raise SystemExit(f"bench: run {index}: expected a published diagnosis, got {body!r}")

    time.sleep(0.1)  # the proxy logs a call just after writing its response
    delivered, responded = summary["event_delivered"], summary["response"]
    calls = [c for c in read_calls(proxy_log) if process_start <= c["start"] <= responded]
    during_init = [c for c in calls if c["start"] < delivered]
    invocation = [c for c in calls if c["start"] >= delivered]
    groups = rounds(invocation)
    figures = {
        "run": index,
        "init_ms": (summary["first_poll"] - process_start) * 1000.0,
        "wall_s": responded - delivered,
        "aws_calls": len(invocation),
        "sts_calls": sum(1 for c in invocation if c.get("service") == "sts"),
        "aws_calls_during_init": len(during_init),
        "failed_calls": sorted(
            {short_op(c) + f" {c['status']}" for c in invocation if c["status"] >= 400}
        ),
        "rounds": len(groups),
        "round_ops": [[short_op(c) for c in group] for group in groups],
        "round_ms": [
            [
                round((group[0]["start"] - delivered) * 1000.0, 1),
                round((max(c["end"] for c in group) - delivered) * 1000.0, 1),
            ]
            for group in groups
        ],
        "peak_rss_kb": hwm_kb,
        "rss_at_end_kb": rss_kb,
        "root_cause": body.get("rootCause"),
    }
    with open(os.path.join(run_dir, "figures.json"), "w", encoding="utf-8") as f:
        json.dump(figures, f, indent=1)
    return figures


def describe(status):
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.WEXITSTATUS(status)}"


def verdict(ok):
    return "PASS" if ok else "MISS"


def report(args, runs, zip_info, member_runs=()):
    median = statistics.median
    wall = median(r["wall_s"] for r in runs)
    init = median(r["init_ms"] for r in runs)
    rss = median(r["peak_rss_kb"] for r in runs) / 1024.0
    calls = max(r["aws_calls"] for r in runs)
    rounds_max = max(r["rounds"] for r in runs)
    calls_set = sorted({r["aws_calls"] for r in runs})
    rounds_set = sorted({r["rounds"] for r in runs})

    rows = [
        (
            "wall time, event -> publish",
            f"{wall:.3f} s",
            f"<= {TARGET_WALL_S:.1f} s",
            verdict(wall <= TARGET_WALL_S),
            f"min {min(r['wall_s'] for r in runs):.3f}, max {max(r['wall_s'] for r in runs):.3f}",
        ),
        (
            "AWS calls",
            f"{calls}",
            "-",
            "",
            "per run: " + "/".join(map(str, calls_set)),
        ),
        (
            "sequential rounds",
            f"{rounds_max}",
            f"<= {TARGET_ROUNDS}",
            verdict(rounds_max <= TARGET_ROUNDS),
            "per run: " + "/".join(map(str, rounds_set)),
        ),
        (
            "Lambda init, start -> 1st poll",
            f"{init:.1f} ms",
            f"<= {TARGET_INIT_MS:.0f} ms",
            verdict(init <= TARGET_INIT_MS),
            f"min {min(r['init_ms'] for r in runs):.1f}, max {max(r['init_ms'] for r in runs):.1f}",
        ),
        (
            "peak RSS (VmHWM)",
            f"{rss:.1f} MiB",
            f"<= {TARGET_RSS_MIB:.0f} MiB",
            verdict(rss <= TARGET_RSS_MIB),
            f"max {max(r['peak_rss_kb'] for r in runs) / 1024.0:.1f}",
        ),
    ]
    if zip_info.get("bytes") is not None:
        size = zip_info["bytes"] / MIB
        rows.append(
            (
                "release zip, arm64",
                f"{size:.2f} MiB",
                f"<= {TARGET_ZIP_MIB:.0f} MiB",
                verdict(size <= TARGET_ZIP_MIB),
                f"{zip_info['bytes']} bytes, {zip_info.get('path', '')}",
            )
        )
    else:
        rows.append(("release zip, arm64", "skipped", f"<= {TARGET_ZIP_MIB:.0f} MiB", "", zip_info.get("note", "")))

    widths = [max(len(row[i]) for row in rows + [("figure", "value", "target", "", "")]) for i in range(4)]
    lines = [
        "ecs-task-doctor benchmark",
        f"  release `bootstrap` ({platform.machine()} host build) against moto through a loopback proxy "
        f"adding {args.delay_ms:g} ms per AWS call (plus the proxy's own ~1-3 ms);",
        "  world: examples/bench_world.rs (NAT gateway, interface endpoints for secretsmanager and logs, "
        f"a secret); event {args.event}"
        + (" (revision 2 names a missing secret, revision 1 ran before)" if args.event != "event.json" else "")
        + ";",
        f"  {len(runs)} runs, each a fresh process; value = median (AWS calls and rounds: max over runs)",
        f"  machine: {machine()}",
        "",
        "  ".join(h.ljust(w) for h, w in zip(("figure", "value", "target", ""), widths)) + "  spread",
    ]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4])
    lines.append("")
    lines.append("runs (wall s, init ms, peak RSS MiB, calls, rounds):")
    for r in runs:
        extra = ""
        if r["aws_calls_during_init"]:
            extra += f", {r['aws_calls_during_init']} AWS calls during init"
        if r["failed_calls"]:
            extra += ", failed calls: " + ", ".join(r["failed_calls"])
        lines.append(
            f"  {r['run']}: {r['wall_s']:.3f}  {r['init_ms']:.1f}  {r['peak_rss_kb'] / 1024.0:.1f}  "
            f"{r['aws_calls']}  {r['rounds']}{extra}"
        )
    if member_runs:
        m_wall = median(r["wall_s"] for r in member_runs)
        m_rounds = max(r["rounds"] for r in member_runs)
        m_calls = max(r["aws_calls"] for r in member_runs)
        lines.append("")
        lines.append(
            "member-account run (cold credential cache, MEMBER_ROLE_NAME set; "
            f"{len(member_runs)} fresh processes):"
        )
        lines.append(
            f"  wall {m_wall:.3f} s ({m_wall - wall:+.3f} s), {m_calls} AWS calls ({m_calls - calls:+d}; "
            f"sts {max(r['sts_calls'] for r in member_runs)}), {m_rounds} rounds ({m_rounds - rounds_max:+d}; "
            f"target +1 cold, {verdict(m_rounds - rounds_max <= 1)}); warm cache: no STS call (moto test)"
        )
        for r in member_runs:
            lines.append(
                f"  {r['run']}: {r['wall_s']:.3f}  {r['init_ms']:.1f}  {r['peak_rss_kb'] / 1024.0:.1f}  "
                f"{r['aws_calls']}  {r['rounds']}"
            )
    middle = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
    lines.append("")
    lines.append(f"rounds of run {middle['run']} (ms after delivery; root cause {middle['root_cause']}):")
    for number, (ops, (begin, end)) in enumerate(zip(middle["round_ops"], middle["round_ms"]), 1):
        lines.append(f"  {number}. {begin:7.1f} - {end:7.1f}  " + ", ".join(ops))
    text = "\n".join(lines) + "\n"
    print(text, end="")
    os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
    with open(args.report, "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(args.dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(
            {"delay_ms": args.delay_ms, "runs": runs, "member_runs": list(member_runs), "zip": zip_info},
            f,
            indent=1,
        )
    return all(row[3] != "MISS" for row in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moto", required=True, help="moto server, http://127.0.0.1:PORT")
    parser.add_argument("--world", required=True, help="directory written by the bench_world example")
    parser.add_argument(
        "--event",
        default="event.json",
        help="the world's event to deliver: event.json, or event-changed.json (the previous revision differs)",
    )
    parser.add_argument("--bootstrap", required=True, help="the release bootstrap binary")
    parser.add_argument("--dir", required=True, help="working directory for logs and results")
    parser.add_argument("--report", required=True, help="where the printed figures are written")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--delay-ms", type=float, default=30.0)
    parser.add_argument("--zip-file", help="the arm64 release zip, if it was built")
    parser.add_argument("--zip-note", default="", help="why the zip was not built")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses")
    args = parser.parse_args()
    if args.runs < 1:
        raise SystemExit("bench: --runs must be at least 1")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    os.makedirs(args.dir, exist_ok=True)
    proxy_log = os.path.join(args.dir, "aws-calls.jsonl")
    if os.path.exists(proxy_log):
        os.remove(proxy_log)
    try:
        _proxy, proxy_port = start(
            [
                sys.executable,
                os.path.join(HERE, "latency_proxy.py"),
                "--target",
                args.moto,
                "--delay-ms",
                str(args.delay_ms),
                "--log",
                proxy_log,
                "--ready-file",
                os.path.join(args.dir, "proxy.port"),
            ],
            "the latency proxy",
            os.path.join(args.dir, "proxy.port"),
            os.path.join(args.dir, "latency_proxy.log"),
        )
        runs = []
        for index in range(1, args.runs + 1):
            figures = run_once(args, index, proxy_port, proxy_log)
            print(
                f"bench: run {index}/{args.runs}: wall {figures['wall_s']:.3f} s, "
                f"init {figures['init_ms']:.1f} ms, peak RSS {figures['peak_rss_kb'] / 1024.0:.1f} MiB, "
                f"{figures['aws_calls']} AWS calls in {figures['rounds']} rounds",
                file=sys.stderr,
                flush=True,
            )
            runs.append(figures)
        member_runs = []
        if os.path.exists(os.path.join(args.world, "member-event.json")):
            for index in range(1, args.runs + 1):
                figures = run_once(args, index, proxy_port, proxy_log, member=True)
                print(
                    f"bench: member run {index}/{args.runs}: wall {figures['wall_s']:.3f} s, "
                    f"{figures['aws_calls']} AWS calls in {figures['rounds']} rounds",
                    file=sys.stderr,
                    flush=True,
                )
                member_runs.append(figures)
    finally:
        cleanup()

    zip_info = {"note": args.zip_note}
    if args.zip_file and os.path.exists(args.zip_file):
        zip_info = {"path": args.zip_file, "bytes": os.path.getsize(args.zip_file)}
    ok = report(args, runs, zip_info, member_runs)
    if args.strict and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
