#!/usr/bin/env python3
"""An independent reader for Postie's messages: Python's email package.

Usage: oracle.py [--utf8] FILE...

Each FILE is parsed with policy.default, the strict modern policy, and one
JSON object per file is printed on its own line: every defect the parser
found (in the message, its parts and its header fields), and the decoded
header fields, text and attachments. The Go test compares them with what
it put in; this script judges nothing itself.

With --utf8 the files are read as UTF-8 text, as RFC 6532 allows in header
fields of a message sent with SMTPUTF8; the byte parser would take every
non-ASCII byte for a defect.
"""

import base64
import json
import sys
from email import policy
from email.parser import BytesParser, Parser


def addresses(msg, name):
    header = msg.get(name)
    if header is None:
        return None
    return [[a.display_name, a.addr_spec] for a in header.addresses]


def header_defects(part, where):
    found = []
    for name, value in part.items():
        for d in getattr(value, "defects", ()):
            found.append(f"{where} header {name}: {type(d).__name__}: {d}")
    return found


def read(path, utf8):
    with open(path, "rb") as f:
        raw = f.read()
    if utf8:
        msg = Parser(policy=policy.default).parsestr(raw.decode("utf-8"))
    else:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    defects = [f"message: {type(d).__name__}: {d}" for d in msg.defects]
    defects += header_defects(msg, "message")
    texts, htmls, attachments = [], [], []
    for i, part in enumerate(msg.walk()):
        where = f"part {i} ({part.get_content_type()})"
        if i > 0:
            defects += [f"{where}: {type(d).__name__}: {d}" for d in part.defects]
            defects += header_defects(part, where)
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            attachments.append({
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "content": base64.b64encode(part.get_payload(decode=True)).decode("ascii"),
            })
        elif part.get_content_type() == "text/plain":
            texts.append(part.get_content())
        elif part.get_content_type() == "text/html":
            htmls.append(part.get_content())
    result = {
        "defects": defects,
        "headers": [name for name, _ in msg.items()],
        "subject": str(msg["subject"]) if "subject" in msg else None,
        "from": addresses(msg, "from"),
        "to": addresses(msg, "to"),
        "cc": addresses(msg, "cc"),
        "reply_to": addresses(msg, "reply-to"),
        "message_id": str(msg["message-id"]) if "message-id" in msg else None,
        "in_reply_to": str(msg["in-reply-to"]) if "in-reply-to" in msg else None,
        "references": str(msg["references"]) if "references" in msg else None,
        "date": msg["date"].datetime.isoformat() if "date" in msg else None,
        "content_type": msg.get_content_type(),
        "texts": texts,
        "htmls": htmls,
        "attachments": attachments,
    }
    return result


def main():
    args = sys.argv[1:]
    utf8 = args[:1] == ["--utf8"]
    for path in args[utf8:]:
        print(json.dumps(read(path, utf8)))


if __name__ == "__main__":
    main()
