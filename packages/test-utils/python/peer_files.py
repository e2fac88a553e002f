"""Files for omemo_peer.py: XEP-0363 uploads and XEP-0454 encryption.

XEP-0363 HTTP File Upload: https://xmpp.org/extensions/xep-0363.html
XEP-0454 OMEMO Media Sharing: https://xmpp.org/extensions/xep-0454.html

slixmpp has plugins for both, but neither loads here: its XEP-0363 plugin imports aiohttp, which Debian's
python3-slixmpp does not pull in, and XEP-0454 depends on it (and slixmpp 1.8.3's find_upload_service
breaks on Python 3.11 anyway). This is the small part of them the peer needs, with urllib for HTTPS.
"""

import asyncio
import re
import secrets
import ssl
import urllib.request
from typing import Optional, Tuple
from xml.etree import ElementTree as ET

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from slixmpp import JID, ClientXMPP

UPLOAD_NS = "urn:xmpp:http:upload:0"
DISCO_INFO_NS = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS_NS = "http://jabber.org/protocol/disco#items"
# XEP-0363 §5: the only slot headers a client may pass on to the PUT.
UPLOAD_HEADERS = {"authorization", "cookie", "expires"}
# XEP-0454: the whole body is the link; the fragment is the IV (12 bytes; 16 from older clients) and the
# 32-byte key, in hex.
AESGCM_URL = re.compile(r"^aesgcm://(?P<rest>[^\s#]+)#(?P<fragment>[0-9a-fA-F]{88}|[0-9a-fA-F]{96})$")
MAX_DOWNLOAD = 100 * 1024 * 1024


def encrypt_file(plain: bytes) -> Tuple[bytes, str]:
    """AES-256-GCM with a fresh 12-byte IV; returns the ciphertext with its 16-byte tag appended, and the
    URL fragment that carries IV and key."""
    iv, key = secrets.token_bytes(12), secrets.token_bytes(32)
    return AESGCM(key).encrypt(iv, plain, None), iv.hex() + key.hex()


def parse_aesgcm_url(body: str) -> Optional[Tuple[str, bytes, bytes]]:
    """The https URL, IV and key of an aesgcm:// body, or None if the body is not one."""
    match = AESGCM_URL.match(body.strip())
    if match is None:
        return None
    fragment = match.group("fragment")
    return "https://" + match.group("rest"), bytes.fromhex(fragment[:-64]), bytes.fromhex(fragment[-64:])


def decrypt_file(data: bytes, iv: bytes, key: bytes) -> bytes:
    """Raises cryptography's InvalidTag if the file was altered or the key is wrong."""
    return AESGCM(key).decrypt(iv, data, None)


class HttpFiles:
    """XEP-0363 uploads and plain downloads over HTTPS, trusting one CA file."""

    def __init__(self, xmpp: ClientXMPP, ca_file: str) -> None:
        self._xmpp = xmpp
        self._service: Optional[str] = None
        # The upload service and the test's downloads are on the loopback server: an https_proxy from
        # the environment must not reroute them.
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca_file)),
        )

    async def upload_service(self) -> str:
        """The first disco#items entry of our server that offers XEP-0363."""
        if self._service is None:
            disco = self._xmpp["xep_0030"]
            items = await disco.get_items(jid=JID(self._xmpp.boundjid.domain))
            for item in items.xml.iter(f"{{{DISCO_ITEMS_NS}}}item"):
                info = await disco.get_info(jid=JID(item.get("jid")))
                if UPLOAD_NS in {f.get("var") for f in info.xml.iter(f"{{{DISCO_INFO_NS}}}feature")}:
                    self._service = item.get("jid")
                    break
            else:
                raise LookupError(f"no {UPLOAD_NS} service on {self._xmpp.boundjid.domain}")
        return self._service

    async def upload(self, data: bytes, name: str) -> str:
        """Requests a slot and PUTs the data into it; returns the GET URL."""
        iq = self._xmpp.make_iq_get(ito=JID(await self.upload_service()))
        attributes = {"filename": name, "size": str(len(data)), "content-type": "application/octet-stream"}
        ET.SubElement(iq.xml, f"{{{UPLOAD_NS}}}request", attributes)
        reply = await iq.send()
        put = reply.xml.find(f"{{{UPLOAD_NS}}}slot/{{{UPLOAD_NS}}}put")
        get = reply.xml.find(f"{{{UPLOAD_NS}}}slot/{{{UPLOAD_NS}}}get")
        if put is None or get is None or not get.get("url", "").startswith("https://"):
            raise ValueError("upload slot without a put URL or an https get URL")
        headers = {
            header.get("name"): header.text or ""
            for header in put.iter(f"{{{UPLOAD_NS}}}header")
            if (header.get("name") or "").lower() in UPLOAD_HEADERS
        }
        headers["Content-Type"] = "application/octet-stream"
        request = urllib.request.Request(put.get("url"), data=data, method="PUT", headers=headers)
        await asyncio.to_thread(self._call, request)
        return get.get("url")

    async def download(self, url: str) -> bytes:
        return await asyncio.to_thread(self._call, urllib.request.Request(url, method="GET"))

    def _call(self, request: urllib.request.Request) -> bytes:
        """Blocking, so run in a thread: the XMPP stream keeps flowing meanwhile."""
        with self._opener.open(request, timeout=30) as response:
            body = response.read(MAX_DOWNLOAD + 1)
        if len(body) > MAX_DOWNLOAD:
            raise ValueError("response larger than 100 MiB")
        return body
