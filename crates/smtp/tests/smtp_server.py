"""A real SMTP server for dirsync-smtp's tests: aiosmtpd with TLS and authentication.

Usage: smtp_server.py MODE CERT KEY OUT
  MODE  starttls (STARTTLS required before AUTH), tls (implicit TLS) or plain (no TLS, no AUTH)
  CERT, KEY  the PEM certificate and key the test made
  OUT   a folder: each message received is written there as NNN.json (envelope, the parsed
        parts and the raw message), atomically

The user name and password the server accepts come from SMTP_TEST_USER and SMTP_TEST_PASSWORD.
A recipient whose address starts with "refused" is refused with 550. Prints "READY <port>" when
it accepts connections, then serves until its standard input closes.
"""

import asyncio
import base64
import email
import email.policy
import json
import logging
import os
import socket
import ssl
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        attachments = [
            {
                "name": part.get_filename(),
                "content_type": part.get_content_type(),
                "bytes": base64.b64encode(part.get_payload(decode=True)).decode(),
            }
            for part in message.iter_attachments()
        ]
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "from": str(message["from"]),
            "to": str(message["to"]),
            "content_type": message.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "attachments": attachments,
            "authenticated_as": session.auth_data.login.decode() if session.authenticated else None,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "raw": envelope.original_content.decode("utf-8", "replace"),
        }
        path = os.path.join(self.out, "%03d.json" % self.count)
        with open(path + ".tmp", "w") as f:
            json.dump(summary, f)
        os.replace(path + ".tmp", path)
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return check


def main():
    # Only errors on the test's output; aiosmtpd warns about its own deprecations otherwise.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    mode, cert, key, out = sys.argv[1:5]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    user = os.environ["SMTP_TEST_USER"]
    password = os.environ["SMTP_TEST_PASSWORD"]
    port = free_port()
    kwargs = dict(hostname="127.0.0.1", port=port, server_hostname="localhost")
    if mode == "starttls":
        kwargs.update(
            tls_context=context,
            require_starttls=True,
            authenticator=authenticator(user, password),
            auth_required=True,
            auth_require_tls=True,
        )
    elif mode == "tls":
        # The whole connection is TLS, which aiosmtpd's check for AUTH over plain text misses.
        warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
        kwargs.update(
            ssl_context=context,
            authenticator=authenticator(user, password),
            auth_required=True,
            auth_require_tls=False,
        )
    elif mode != "plain":
        sys.exit("unknown mode " + mode)
    controller = Controller(Handler(out), **kwargs)
    controller.start()
    print("READY %d" % port, flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
