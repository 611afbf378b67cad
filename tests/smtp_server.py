# An SMTP server on 127.0.0.1 for the email channel's tests (aiosmtpd).
# Prints the port it listens on, then one JSON line per message received,
# parsed by Python's own email package: a message it cannot read fails.
#
#   smtp_server.py                       plain
#   smtp_server.py starttls CERT KEY     STARTTLS required before MAIL
#   smtp_server.py tls CERT KEY          TLS from the first byte
#
# Each message's line says whether it came over TLS ("tls").
import asyncio, json, ssl, sys
from email import policy
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP


class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        plain = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        print(json.dumps({
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "content_type": msg.get_content_type(),
            # The parts under the top, in order, and every defect Python's
            # parser found anywhere (a well-formed message has none).
            "parts": [p.get_content_type() for p in msg.iter_parts()] if msg.is_multipart() else [],
            "defects": sum(len(p.defects) for p in msg.walk()),
            "plain": plain.get_content() if plain else None,
            "html": html.get_content() if html else None,
            # STARTTLS sets the session's; TLS from the first byte, the transport's.
            "tls": session.ssl is not None
            or server.transport.get_extra_info("ssl_object") is not None,
        }), flush=True)
        return "250 Message accepted for delivery"


async def main():
    loop = asyncio.get_running_loop()
    mode = sys.argv[1] if len(sys.argv) > 1 else "plain"
    context = None
    if mode in ("starttls", "tls"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
    if mode == "starttls":
        factory = lambda: SMTP(Handler(), tls_context=context, require_starttls=True)
        server = await loop.create_server(factory, "127.0.0.1", 0)
    elif mode == "tls":
        server = await loop.create_server(lambda: SMTP(Handler()), "127.0.0.1", 0, ssl=context)
    else:
        server = await loop.create_server(lambda: SMTP(Handler()), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
