#!/usr/bin/env python3
"""A minimal AWS Lambda Runtime API on 127.0.0.1, for timing one invocation of a custom runtime.

The function process gets AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT. The first
`GET /2018-06-01/runtime/invocation/next` receives the event (read from --event) with the
Lambda-Runtime-Aws-Request-Id, -Deadline-Ms (now + 60 s), -Invoked-Function-Arn and -Trace-Id
headers. `POST /2018-06-01/runtime/invocation/{id}/response` or `.../error` ends the invocation;
every later /next is held open, as Lambda freezes an idle environment, until this process is
killed. `POST /2018-06-01/runtime/init/error` is recorded as well.

When the invocation ends (response, error or init error) a JSON summary is written to --out
(atomically, so a reader polling for the file never sees half of it):

    {"clock": "monotonic", "request_id": "...", "first_poll": 1.23, "event_delivered": 1.24,
     "response": 1.95, "error": false, "error_type": null, "init_error": false,
     "body": {...}, "polls": [1.23, 1.96], "request_id_matches": true}

Times are `time.monotonic()` seconds: `first_poll` when the first /next request had arrived,
`event_delivered` when the event had been written back, `response` when the response (or
error) request had arrived. Standard library only.
"""

import argparse
import json
import os
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
NEXT = PREFIX + "/invocation/next"
INIT_ERROR = PREFIX + "/init/error"
DONE = re.compile(re.escape(PREFIX) + r"/invocation/([^/]+)/(response|error)")


class State:
    def __init__(self, event, out, function_arn):
        self.lock = threading.Lock()
        self.event = event
        self.out = out
        self.function_arn = function_arn
        self.request_id = str(uuid.uuid4())
        self.delivered = False
        self.first_poll = None
        self.event_delivered = None
        self.polls = []
        self.finished = False
        self.hold = threading.Event()  # never set: held /next requests wait for the kill

    def write_summary(self, **fields):
        summary = {
            "clock": "monotonic",
            "request_id": self.request_id,
            "first_poll": self.first_poll,
            "event_delivered": self.event_delivered,
            "polls": list(self.polls),
        }
        summary.update(fields)
        tmp = self.out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1)
            f.write("\n")
        os.replace(tmp, self.out)


def parse_body(raw):
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the runtime's client pools its connection
    server_version = "runtime-api-emulator"
    state: State = None
    verbose = False

    def log_message(self, format, *args):
        if self.verbose:
            sys.stderr.write("runtime_api: " + (format % args) + "\n")

    def send(self, status, body=b"", content_type="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        now = time.monotonic()
        state = self.state
        if self.path.split("?", 1)[0] != NEXT:
            self.send(404, b'{"errorMessage":"not found","errorType":"InvalidRequest"}')
            return
        with state.lock:
            state.polls.append(now)
            if state.first_poll is None:
                state.first_poll = now
            deliver = not state.delivered
            state.delivered = True
        if not deliver:
            # The invocation is over: hold the poll, as a frozen Lambda environment would.
            self.close_connection = True
            state.hold.wait()
            return
        deadline = int(time.time() * 1000) + 60_000
        trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
        self.send(
            200,
            state.event,
            headers=[
                ("Lambda-Runtime-Aws-Request-Id", state.request_id),
                ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                ("Lambda-Runtime-Invoked-Function-Arn", state.function_arn),
                ("Lambda-Runtime-Trace-Id", trace),
            ],
        )
        with state.lock:
            state.event_delivered = time.monotonic()

    def do_POST(self):
        now = time.monotonic()
        state = self.state
        path = self.path.split("?", 1)[0]
        body = self.read_body()
        match = DONE.fullmatch(path)
        if match:
            request_id, kind = match.groups()
            self.send(202, b'{"status":"OK"}')
            with state.lock:
                if state.finished:
                    return
                state.finished = True
                state.write_summary(
                    response=now,
                    error=kind == "error",
                    error_type=self.headers.get("Lambda-Runtime-Function-Error-Type"),
                    init_error=False,
                    request_id_matches=request_id == state.request_id,
                    body=parse_body(body),
                )
            return
        if path == INIT_ERROR:
            self.send(202, b'{"status":"OK"}')
            with state.lock:
                if state.finished:
                    return
                state.finished = True
                state.write_summary(
                    response=now,
                    error=True,
                    error_type=self.headers.get("Lambda-Runtime-Function-Error-Type"),
                    init_error=True,
                    request_id_matches=None,
                    body=parse_body(body),
                )
            return
        self.send(404, b'{"errorMessage":"not found","errorType":"InvalidRequest"}')


class Server(ThreadingHTTPServer):
    daemon_threads = True  # held /next requests must not keep the process alive
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--event", required=True, help="the event JSON file to deliver once")
    parser.add_argument("--out", required=True, help="where the JSON summary is written")
    parser.add_argument("--port", type=int, default=0, help="listen port on 127.0.0.1 (0: any)")
    parser.add_argument("--ready-file", help="written with the listen port once listening")
    parser.add_argument(
        "--function-arn",
        default="arn:aws:lambda:us-east-1:123456789012:function:ecs-task-doctor",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args()

    with open(args.event, "rb") as f:
        event = f.read()
    json.loads(event)  # fail early on a broken event file
    Handler.state = State(event, args.out, args.function_arn)
    Handler.verbose = args.verbose
    server = Server(("127.0.0.1", args.port), Handler)
    port = server.server_address[1]
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(str(port))
        os.replace(tmp, args.ready_file)
    if args.verbose:
        print(f"runtime_api: listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
