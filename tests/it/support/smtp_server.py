#!/usr/bin/python3
"""A real SMTP server (Debian's aiosmtpd 1.4) for foi's integration tests.

Started by tests/it/support/smtp.rs; prints `READY <port>` once listening. Every accepted
message lands in --spool as <n>.json + <n>.eml; every DATA attempt (accepted or not) is
listed in attempts.json and every RCPT in rcpts.json, so tests can check retries.
All spool files are written to a temp name and renamed, so a reader never sees half a file.
"""
import argparse
import asyncio
import email.parser
import json
import logging
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult

# 50 MB: aiosmtpd's default (32 MiB) is fine, but letters with scanned PDFs must never hit it.
DATA_SIZE_LIMIT = 50 * 1024 * 1024


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--sink", action="store_true",
                   help="benchmarks: accept and count, write nothing (the count is in <spool>/count on exit)")
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    p.add_argument("--spool", required=True)
    p.add_argument("--security", choices=["none", "starttls", "tls"], default="none")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--auth-user")
    p.add_argument("--auth-password")
    p.add_argument("--fail-rcpt", action="append", default=[], metavar="ADDR=CODE")
    p.add_argument("--tempfail-first", type=int, default=0, metavar="N")
    p.add_argument("--tempfail-rcpt", action="append", default=[], metavar="ADDR=N")
    p.add_argument("--delay-data", type=float, default=0.0, metavar="SECONDS")
    p.add_argument("--delay-data-times", type=int, default=None, metavar="N",
                   help="delay only the first N DATA replies (default: all)")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="stop when stdin closes, i.e. when the test process dies")
    a = p.parse_args()
    if a.security != "none" and not (a.tls_cert and a.tls_key):
        p.error("--security starttls|tls needs --tls-cert and --tls-key")
    if bool(a.auth_user) != bool(a.auth_password):
        p.error("--auth-user and --auth-password go together")
    return a


def key_value(items, what):
    out = {}
    for item in items:
        addr, sep, n = item.rpartition("=")
        if not sep or not addr or not n.isdigit():
            sys.exit(f"bad {what} {item!r}: expected ADDR=NUMBER")
        out[addr.lower()] = int(n)
    return out


def write_atomic(path, data: bytes):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def write_json(path, value):
    write_atomic(path, json.dumps(value, indent=1).encode())


def decode(raw: bytes) -> str:
    # Strict UTF-8 first; latin-1 never fails and keeps one char per byte. (surrogateescape
    # would produce lone surrogates, which serde_json refuses to parse.)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def peer_str(peer):
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)


def session_tls(server) -> bool:
    # Implicit TLS is invisible to aiosmtpd's session (session.ssl stays None); the
    # transport knows in both cases.
    t = server.transport
    return t is not None and t.get_extra_info("ssl_object") is not None


class Handler:
    def __init__(self, args):
        self.args = args
        self.spool = args.spool
        self.fail_rcpt = key_value(args.fail_rcpt, "--fail-rcpt")
        self.tempfail_rcpt = key_value(args.tempfail_rcpt, "--tempfail-rcpt")
        self.rcpt_seen = {}  # address -> RCPT attempts so far
        self.attempts = []  # every DATA attempt
        self.rcpts = []  # every RCPT attempt
        self.accepted = 0
        self.delayed = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.sink:
            envelope.rcpt_tos.append(address)
            return "250 OK"
        key = address.lower()
        self.rcpt_seen[key] = self.rcpt_seen.get(key, 0) + 1
        if key in self.fail_rcpt:
            code = self.fail_rcpt[key]
            if code >= 500:
                status = f"{code} 5.1.1 <{address}>: user unknown"
            else:
                status = f"{code} 4.2.0 <{address}>: mailbox temporarily unavailable"
        elif self.rcpt_seen[key] <= self.tempfail_rcpt.get(key, 0):
            status = f"451 4.3.0 <{address}>: try again later"
        else:
            envelope.rcpt_tos.append(address)
            status = "250 OK"
        self.rcpts.append({"address": address, "attempt": self.rcpt_seen[key],
                           "code": int(status[:3])})
        write_json(os.path.join(self.spool, "rcpts.json"), self.rcpts)
        return status

    async def handle_DATA(self, server, session, envelope):
        if self.args.sink:
            self.accepted += 1
            return f"250 2.0.0 OK queued as {self.accepted}"
        raw = envelope.original_content
        headers = email.parser.BytesHeaderParser().parsebytes(raw)
        message_id = headers.get("Message-ID")
        if self.args.tempfail_first > len(self.attempts):
            status = "451 4.3.0 try again later"
        else:
            self.accepted += 1
            n = self.accepted
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "data": decode(raw),
                "peer": peer_str(session.peer),
                "auth_user": session.auth_data if session.authenticated else None,
                "tls": session_tls(server),
            }
            # .eml first: the .json is what readers look for, so when it exists both do.
            write_atomic(os.path.join(self.spool, f"{n}.eml"), raw)
            write_json(os.path.join(self.spool, f"{n}.json"), record)
            status = f"250 2.0.0 OK queued as {n}"
        self.attempts.append({
            "attempt": len(self.attempts) + 1,
            "message_id": message_id.strip() if message_id else None,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "code": int(status[:3]),
            "outcome": "accepted" if status.startswith("250") else "tempfail",
        })
        write_json(os.path.join(self.spool, "attempts.json"), self.attempts)
        # The delay comes after the spool write on purpose: it is the window where the
        # server has the message but the client has no 250 yet (a client that times out
        # here and retries makes a duplicate, which is what Message-ID checks are for).
        limit = self.args.delay_data_times
        if self.args.delay_data > 0 and (limit is None or self.delayed < limit):
            self.delayed += 1
            await asyncio.sleep(self.args.delay_data)
        return status


def authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        if ok:
            return AuthResult(success=True, auth_data=auth_data.login.decode())
        return AuthResult(success=False, handled=False)  # aiosmtpd answers 535 5.7.8
    return check


async def main():
    args = parse_args()
    os.makedirs(args.spool, exist_ok=True)
    handler = Handler(args)
    loop = asyncio.get_running_loop()

    tls_ctx = None
    if args.security != "none":
        tls_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_ctx.load_cert_chain(args.tls_cert, args.tls_key)

    smtp_kwargs = dict(
        data_size_limit=DATA_SIZE_LIMIT,
        hostname="localhost",  # not socket.getfqdn(): that can stall on DNS
        enable_SMTPUTF8=True,
        loop=loop,
    )
    if args.security == "starttls":
        smtp_kwargs.update(tls_context=tls_ctx, require_starttls=args.require_starttls)
    if args.auth_user:
        smtp_kwargs.update(
            authenticator=authenticator(args.auth_user, args.auth_password),
            auth_required=True,
            # aiosmtpd only counts STARTTLS as "TLS", so implicit TLS needs False too.
            auth_require_tls=(args.security == "starttls"),
        )

    server = await loop.create_server(
        lambda: SMTP(handler, **smtp_kwargs),
        host=args.host,
        port=args.port,
        ssl=tls_ctx if args.security == "tls" else None,
    )
    port = server.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.exit_on_stdin_eof:
        # A killed test process cannot run its Drop; its end of our stdin closes instead.
        def on_stdin():
            if not os.read(0, 4096):
                loop.remove_reader(0)
                stop.set()
        loop.add_reader(0, on_stdin)

    print(f"READY {port}", flush=True)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    # Logs go to stderr (the Rust side sends it to a file and shows it on failure).
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # aiosmtpd warns about AUTH without TLS and about its own deprecated login_data.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").addFilter(
        lambda r: "login_data is deprecated" not in r.getMessage())
    asyncio.run(main())
