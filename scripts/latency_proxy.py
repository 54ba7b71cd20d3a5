#!/usr/bin/env python3
"""HTTP/1.1 reverse proxy on 127.0.0.1 that adds a fixed latency to every AWS call.

`make bench` puts it between the Lambda and moto server so that each AWS call costs what a
call to a regional endpoint costs (30 ms by default), and logs every call as one JSON line:

    {"start": 12.3456, "end": 12.3912, "method": "POST", "service": "ec2",
     "op": "DescribeSubnets", "path": "/", "status": 200}

`start` is when the request line arrived, `end` when the whole response had been written back
(both `time.monotonic()` seconds, comparable with other processes on the machine). `op` is the
`X-Amz-Target` header, else the `Action` of the form body or query string, else the URL path.
`service` comes from the SigV4 credential scope. Bodies and credentials are never logged.

Requests for /moto-api/ are forwarded at once and not logged. Keep-alive on both sides; request
and response bodies framed by Content-Length, chunked transfer coding or (responses only)
connection close; the body is re-sent to the client with a Content-Length. Only loopback
targets are accepted. Standard library only.

The fault tests use it too: `--deny 'ec2:DescribeRouteTables'` answers matching calls with an
access-denied error in the request's own protocol, `--throttle 'ec2:*=2'` answers the first two
matches with a throttling error (the SDK retries those). Counted faults, each `PATTERN=N` for the
first N matches: `--deny-n` (access denied), `--lose` (forwarded and applied upstream, then
answered with a 500 internal error as if the response were lost: the SDK retries it) and
`--hang` (never answered). A pattern may end in `~TEXT`: it then matches only requests whose
body contains TEXT (e.g. `dynamodb:PutItem~event#=1`, the ledger's event claims).

`--serialize GLOB` forwards the matching calls one at a time: moto's DynamoDB applies an
UpdateItem's ADDs without a lock, so concurrent updates of one item can lose an increment,
which DynamoDB's atomic UpdateItem never does (the burst test's exact window counts).

`--rewrite 'REGEX=>REPLACEMENT'` rewrites every response body (Python `re.sub` on bytes): the
IPv6 tests mend a moto answer the SDK cannot decode (an IPv6-native subnet's
availableIpAddressCount, 2**64-5, is not an Integer).
"""

import argparse
import fnmatch
import asyncio
import json
import os
import re
import signal
import sys
import time
import urllib.parse

# Hop-by-hop headers (RFC 9110 7.6.1) and the framing headers this proxy rewrites.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "expect",
}
LIMIT = 1 << 20  # longest header line accepted
UPSTREAM_TIMEOUT = 120.0
SCOPE = re.compile(r"Credential=[^/,]*/\d{8}/([^/,]+)/([^/,]+)/aws4_request")


class BadMessage(Exception):
    pass


def header(headers, name):
    """The first value of a header (case-insensitive), or None."""
    name = name.lower()
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def tokens(headers, name):
    """The comma-separated tokens of every occurrence of a header, lower-cased."""
    name = name.lower()
    found = []
    for key, value in headers:
        if key.lower() == name:
            found.extend(t.strip().lower() for t in value.split(",") if t.strip())
    return found


async def read_head(reader):
    """Start line and headers of the next message; None on a clean EOF before it."""
    while True:
        line = await reader.readline()
        if not line:
            return None
        if line not in (b"\r\n", b"\n"):  # tolerate empty lines between messages
            break
    if not line.endswith(b"\n"):
        raise BadMessage("truncated start line")
    start = line.decode("latin-1").rstrip("\r\n")
    headers = []
    while True:
        line = await reader.readline()
        if not line or not line.endswith(b"\n"):
            raise BadMessage("truncated headers")
        if line in (b"\r\n", b"\n"):
            break
        text = line.decode("latin-1").rstrip("\r\n")
        if text[:1] in (" ", "\t") and headers:  # obsolete line folding
            key, value = headers[-1]
            headers[-1] = (key, value + " " + text.strip())
            continue
        key, sep, value = text.partition(":")
        if not sep:
            raise BadMessage(f"malformed header line: {text[:80]!r}")
        headers.append((key.strip(), value.strip()))
    return start, headers


async def read_chunked(reader):
    body = bytearray()
    while True:
        line = await reader.readline()
        if not line.endswith(b"\n"):
            raise BadMessage("truncated chunk size")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadMessage(f"bad chunk size {size_text!r}") from None
        if size == 0:
            # Trailer section, dropped; ends with an empty line.
            while True:
                line = await reader.readline()
                if not line or line in (b"\r\n", b"\n"):
                    return bytes(body)
        body += await reader.readexactly(size)
        if (await reader.readline()) not in (b"\r\n", b"\n"):
            raise BadMessage("chunk not followed by CRLF")


async def read_body(reader, headers, *, response):
    """(body, delimited_by_close). Requests without framing have no body."""
    if "chunked" in tokens(headers, "transfer-encoding"):
        return await read_chunked(reader), False
    length = header(headers, "content-length")
    if length is not None:
        try:
            n = int(length.split(",")[0].strip())
        except ValueError:
            raise BadMessage(f"bad Content-Length {length!r}") from None
        return await reader.readexactly(n), False
    if response:
        return await reader.read(), True
    return b"", False


def operation(headers, target, body):
    amz_target = header(headers, "x-amz-target")
    if amz_target:
        return amz_target
    parts = urllib.parse.urlsplit(target)
    query = urllib.parse.parse_qs(parts.query)
    if "Action" in query:
        return query["Action"][0]
    content_type = (header(headers, "content-type") or "").lower()
    if body and "application/x-www-form-urlencoded" in content_type:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return parts.path or "/"


def split_body(pattern):
    """`service:op~TEXT` -> (glob, TEXT as bytes); without `~`, (glob, None)."""
    glob, sep, text = pattern.partition("~")
    return glob, (text.encode() if sep else None)


def scope(headers):
    """(service, region) from a SigV4 Authorization header; (None, None) without one."""
    match = SCOPE.search(header(headers, "authorization") or "")
    return (match.group(2), match.group(1)) if match else (None, None)


def fault_response(kind, service, headers, op):
    """An AWS error response in the request's protocol: `deny` (access denied), `throttle`, or
    `lose` (an internal error, answered after the request was applied upstream).
    Returns (status, reason, headers, body)."""
    deny = kind == "deny"
    message = f"fault injected by latency_proxy: {service}:{op}"
    if kind == "lose":
        if header(headers, "x-amz-target"):
            body = json.dumps({"__type": "InternalServerError", "message": message}).encode()
            return 500, "Internal Server Error", [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", "InternalServerError")], body
        body = (f"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>{message}</Message>"
                f"</Error><RequestId>fault</RequestId></ErrorResponse>")
        return 500, "Internal Server Error", [("Content-Type", "text/xml")], body.encode()
    if header(headers, "x-amz-target"):  # awsJson protocols (ECS, DynamoDB, KMS, ...)
        code = "AccessDeniedException" if deny else "ThrottlingException"
        body = json.dumps({"__type": code, "message": message}).encode()
        return 400, "Bad Request", [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)], body
    if service == "ec2":
        code, status = ("UnauthorizedOperation", 403) if deny else ("RequestLimitExceeded", 503)
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error></Errors><RequestID>fault</RequestID></Response>")
        return status, "Error", [("Content-Type", "text/xml")], body.encode()
    if service in ("iam", "sns", "sts", "sqs"):
        code, status = ("AccessDenied", 403) if deny else ("Throttling", 400)
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                f"</Error><RequestId>fault</RequestId></ErrorResponse>")
        return status, "Error", [("Content-Type", "text/xml")], body.encode()
    if service == "s3":
        code, status = ("AccessDenied", 403) if deny else ("SlowDown", 503)
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        return status, "Error", [("Content-Type", "application/xml")], body.encode()
    code, status = ("AccessDeniedException", 403) if deny else ("ThrottlingException", 429)
    body = json.dumps({"message": message}).encode()
    return status, "Error", [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)], body


class Proxy:
    def __init__(self, target_host, target_port, delay, log, deny=(), throttle=(), counted=(),
                 rewrites=(), serialize=()):
        self.target_host = target_host
        self.target_port = target_port
        self.delay = delay
        self.log = log
        self.connections = set()
        # Fault injection: glob patterns over "service:operation" (X-Amz-Target, Action or path).
        self.deny = list(deny)
        self.rewrites = [(re.compile(pattern.encode()), replacement.encode())
                         for pattern, replacement in rewrites]
        self.serialize = list(serialize)
        self.one_at_a_time = asyncio.Lock()
        # Counted faults: [kind, glob, body text or None, matches left].
        self.counted = [[kind, *split_body(pattern), int(count)] for kind, pattern, count in counted]
        self.counted += [["throttle", *split_body(pattern), int(count)] for pattern, count in throttle]

    def fault(self, service, op, body=b""):
        name = f"{service}:{op}"
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in self.deny):
            return "deny"
        for rule in self.counted:
            kind, pattern, text, left = rule
            if left > 0 and fnmatch.fnmatchcase(name, pattern) and (text is None or text in body):
                rule[3] = left - 1
                return kind
        return None

    def record(self, entry):
        if self.log is not None:
            self.log.write(json.dumps(entry, separators=(",", ":")) + "\n")
            self.log.flush()

    async def open_upstream(self):
        return await asyncio.open_connection(self.target_host, self.target_port, limit=LIMIT)

    async def exchange(self, upstream, request, method):
        """Sends one request upstream and reads the final response.
        Returns (status, reason, headers, body, keep_upstream)."""
        up_reader, up_writer = upstream
        up_writer.write(request)
        await up_writer.drain()
        while True:
            head = await asyncio.wait_for(read_head(up_reader), UPSTREAM_TIMEOUT)
            if head is None:
                raise ConnectionResetError("upstream closed the connection")
            start, headers = head
            version, _, rest = start.partition(" ")
            code, _, reason = rest.partition(" ")
            status = int(code)
            if 100 <= status < 200 and status != 101:
                continue  # interim response; we never send Expect upstream
            break
        if method == "HEAD" or 100 <= status < 200 or status in (204, 304):
            body, by_close = b"", False
        else:
            body, by_close = await asyncio.wait_for(
                read_body(up_reader, headers, response=True), UPSTREAM_TIMEOUT
            )
        conn = tokens(headers, "connection")
        keep = not by_close and "close" not in conn
        if version.upper() == "HTTP/1.0" and "keep-alive" not in conn:
            keep = False
        return status, reason, headers, body, keep

    async def handle(self, reader, writer):
        task = asyncio.current_task()
        self.connections.add(task)
        upstream = None
        try:
            while True:
                try:
                    head = await read_head(reader)
                except (BadMessage, asyncio.LimitOverrunError, ValueError) as error:
                    await self.reply_error(writer, 400, str(error))
                    return
                if head is None:
                    return
                started = time.monotonic()
                start_line, headers = head
                parts = start_line.split(" ")
                if len(parts) != 3:
                    await self.reply_error(writer, 400, "malformed request line")
                    return
                method, target, version = parts
                conn = tokens(headers, "connection")
                client_keep = "close" not in conn and (
                    version.upper() == "HTTP/1.1" or "keep-alive" in conn
                )
                if "100-continue" in tokens(headers, "expect"):
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    await writer.drain()
                try:
                    body, _ = await read_body(reader, headers, response=False)
                except (BadMessage, asyncio.IncompleteReadError, ValueError) as error:
                    await self.reply_error(writer, 400, f"bad request body: {error}")
                    return

                path = urllib.parse.urlsplit(target).path
                internal = path.startswith("/moto-api/") or path == "/moto-api"
                if not internal and self.delay > 0:
                    await asyncio.sleep(self.delay)

                service, region = scope(headers)
                op = operation(headers, target, body)
                fault = None if internal else self.fault(service, op, body)
                if fault == "hang":
                    # Never answered: the client's own timeout (or a kill) ends the call.
                    self.record({"start": round(started, 6), "method": method, "service": service,
                                 "region": region, "op": op, "fault": fault, "path": path})
                    await asyncio.Event().wait()

                lines = [f"{method} {target} HTTP/1.1"]
                lines += [f"{k}: {v}" for k, v in headers if k.lower() not in HOP_BY_HOP]
                if body or method in ("POST", "PUT", "PATCH"):
                    lines.append(f"Content-Length: {len(body)}")
                request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

                result = None
                if fault is not None and fault != "lose":
                    status, reason, fault_headers, fault_body = fault_response(fault, service, headers, op)
                    result = (status, reason, fault_headers, fault_body, True)
                serialized = any(fnmatch.fnmatchcase(f"{service}:{op}", p) for p in self.serialize)
                for attempt in (1, 2) if result is None else ():
                    reused = upstream is not None
                    try:
                        if upstream is None:
                            upstream = await self.open_upstream()
                        if serialized:
                            async with self.one_at_a_time:
                                result = await self.exchange(upstream, request, method)
                        else:
                            result = await self.exchange(upstream, request, method)
                        break
                    except (ConnectionError, asyncio.IncompleteReadError, OSError) as error:
                        self.close_upstream(upstream)
                        upstream = None
                        # A kept-alive connection the server had already closed: retry once
                        # on a fresh one (nothing was answered, so nothing was processed twice).
                        if reused and attempt == 1:
                            continue
                        result = (502, "Bad Gateway", [("Content-Type", "text/plain")],
                                  f"latency_proxy: upstream failed: {error}\n".encode(), False)
                        break
                    except (asyncio.TimeoutError, BadMessage, ValueError) as error:
                        self.close_upstream(upstream)
                        upstream = None
                        result = (502, "Bad Gateway", [("Content-Type", "text/plain")],
                                  f"latency_proxy: bad upstream response: {error}\n".encode(), False)
                        break
                status, reason, resp_headers, resp_body, keep_upstream = result
                for pattern, replacement in self.rewrites:
                    resp_body = pattern.sub(replacement, resp_body)
                if fault == "lose":
                    # Applied upstream; the client sees an error instead of the answer.
                    status, reason, resp_headers, resp_body = fault_response(fault, service, headers, op)
                if not keep_upstream and upstream is not None:
                    self.close_upstream(upstream)
                    upstream = None

                out = [f"HTTP/1.1 {status} {reason}".rstrip()]
                out += [f"{k}: {v}" for k, v in resp_headers if k.lower() not in HOP_BY_HOP]
                if method == "HEAD":
                    length = header(resp_headers, "content-length")
                    if length is not None:
                        out.append(f"Content-Length: {length}")
                elif not (100 <= status < 200 or status in (204, 304)):
                    out.append(f"Content-Length: {len(resp_body)}")
                if not client_keep:
                    out.append("Connection: close")
                elif version.upper() == "HTTP/1.0":
                    out.append("Connection: keep-alive")
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + resp_body)
                await writer.drain()

                if not internal:
                    self.record(
                        {
                            "start": round(started, 6),
                            "end": round(time.monotonic(), 6),
                            "method": method,
                            "service": service,
                            "region": region,
                            "op": op,
                            "fault": fault,
                            "path": path,
                            "status": status,
                        }
                    )
                if not client_keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away
        except asyncio.CancelledError:
            pass
        finally:
            self.close_upstream(upstream)
            writer.close()
            self.connections.discard(task)

    @staticmethod
    def close_upstream(upstream):
        if upstream is not None:
            try:
                upstream[1].close()
            except Exception:
                pass

    @staticmethod
    async def reply_error(writer, status, message):
        body = f"latency_proxy: {message}\n".encode()
        writer.write(
            f"HTTP/1.1 {status} Bad Request\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
        )
        try:
            await writer.drain()
        except ConnectionError:
            pass


def loopback_target(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"latency_proxy: --target must be http:// on loopback, not {url!r}")
    if parts.port is None:
        raise SystemExit(f"latency_proxy: --target needs a port: {url!r}")
    return parts.hostname, parts.port


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="moto, e.g. http://127.0.0.1:5000")
    parser.add_argument("--port", type=int, default=0, help="listen port on 127.0.0.1 (0: any)")
    parser.add_argument("--delay-ms", type=float, default=30.0, help="added per request")
    parser.add_argument("--log", help="JSON-lines log of the proxied calls (appended)")
    parser.add_argument("--ready-file", help="written with the listen port once listening")
    parser.add_argument("--deny", action="append", default=[],
                        help="answer AccessDenied to calls matching this glob over service:operation")
    parser.add_argument("--throttle", action="append", default=[],
                        help="PATTERN=N: answer the first N matching calls with a throttling error")
    for kind, help_text in (("deny-n", "access denied"), ("lose", "an internal error after forwarding"),
                            ("hang", "no answer at all")):
        parser.add_argument(f"--{kind}", action="append", default=[],
                            help=f"PATTERN[~BODY]=N: answer the first N matching calls with {help_text}")
    parser.add_argument("--serialize", action="append", default=[],
                        help="GLOB over service:operation: forward matching calls one at a time")
    parser.add_argument("--rewrite", action="append", default=[],
                        help="REGEX=>REPLACEMENT: rewrite every response body (re.sub on bytes)")
    args = parser.parse_args()

    host, port = loopback_target(args.target)
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    throttle = [rule.rsplit("=", 1) for rule in args.throttle]
    counted = [("deny" if kind == "deny_n" else kind, *rule.rsplit("=", 1))
               for kind in ("deny_n", "lose", "hang") for rule in getattr(args, kind)]
    rewrites = [rule.split("=>", 1) for rule in args.rewrite]
    proxy = Proxy(host, port, args.delay_ms / 1000.0, log, deny=args.deny, throttle=throttle,
                  counted=counted, rewrites=rewrites, serialize=args.serialize)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", args.port, limit=LIMIT)
    listen_port = server.sockets[0].getsockname()[1]
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(str(listen_port))
        os.replace(tmp, args.ready_file)
    print(
        f"latency_proxy: 127.0.0.1:{listen_port} -> {args.target}, +{args.delay_ms:g} ms per call",
        file=sys.stderr,
        flush=True,
    )

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(
            sig, lambda: stop.done() or stop.set_result(None)
        )
    async with server:
        await stop
        server.close()
        for task in list(proxy.connections):
            task.cancel()
    if log is not None:
        log.close()


if __name__ == "__main__":
    asyncio.run(main())
