"""Request body parsing for the standard-library server: url-encoded and multipart forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str


@dataclass
class FormData:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, default)


def parse_form(content_type: str, body: bytes) -> FormData:
    """Parse a POST body; last value wins, text is stripped, empty file inputs are ignored."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == "multipart/form-data":
        return _parse_multipart(content_type, body)
    pairs = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return FormData(fields={k: v[-1].strip() for k, v in pairs.items()})


def _parse_multipart(content_type: str, body: bytes) -> FormData:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = BytesParser(policy=HTTP).parsebytes(head + body)
    data = FormData()
    if not msg.is_multipart():
        return data
    for part in msg.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        if filename is not None:
            if filename or raw:
                data.files[name] = Upload(filename, raw, part.get_content_type())
        else:
            charset = part.get_content_charset() or "utf-8"
            data.fields[name] = raw.decode(charset, errors="replace").strip()
    return data
