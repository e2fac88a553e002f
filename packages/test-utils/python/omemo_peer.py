#!/usr/bin/env python3
"""An independent OMEMO 0.3 peer for Hush's integration tests.

Built on Debian's python3-slixmpp (XMPP) and python3-omemo with the python3-oldmemo backend (legacy OMEMO,
namespace eu.siacs.conversations.axolotl, the version every mainstream client speaks). None of it shares
code with Hush, so a test that passes messages between the two checks Hush against another reading of the
protocol, not against itself. packages/test-utils/src/omemo-peer.ts drives it.

Run it with Debian's interpreter (another python3 on PATH may not see Debian's packages); -E -s keep
PYTHONPATH, PYTHONHOME and user site-packages of other installs out, -B bytecode out of the repository:

    /usr/bin/python3 -E -s -B omemo_peer.py --jid JID --password PW --host HOST --port C2S_PORT \
        --ca-file CA.crt --dir DATA_DIR [--log-file FILE]

It connects with STARTTLS, verified against CA.crt only; publishes its device list and bundle (open to
everyone), sends presence and reports ready. Trust is blind: every device is trusted when first seen.

It talks JSON lines: one command per line on stdin, one event per line on stdout. stdout carries nothing
else; diagnostics go to stderr and the log file.

Commands
    {"cmd": "send", "to": JID, "body": TEXT, "id"?: ID}     (id: the stanza id, made up if absent)
    {"cmd": "send-file", "to": JID, "path": FILE, "id"?: ID}
    {"cmd": "quit"}                                         (so does the end of stdin)
Events
    {"event": "ready", "deviceId": N, "fingerprint": HEX}   HEX: the Curve25519 identity key, 64 digits
    {"event": "sent", "id": ID, "url"?: URL, "sha256"?: HEX, "skipped"?: [{"jid", "deviceId", "error"}]}
    {"event": "error", "id"?: ID, "error": TEXT}            a failed command, or a fatal error at start
    {"event": "message", "from": BARE_JID, "to": BARE_JID, "id": STANZA_ID, "senderDevice": N | null,
     "body": TEXT, "prekey": BOOL, "encrypted": BOOL, "carbon"?: "sent" | "received"}
                                                            prekey: the key for this device came with
                                                            prekey='true' (a session being set up)
    {"event": "file", "from": BARE_JID, "path": FILE, "sha256": HEX, "size": N}
                                                            after a message whose body is an aesgcm://
                                                            link (XEP-0454), saved under DATA_DIR/files
    {"event": "key-transport", "from": BARE_JID, "id": STANZA_ID, "senderDevice": N, "prekey": BOOL}
                                                            an OMEMO message without payload
    {"event": "undecryptable", "from": BARE_JID, "id": STANZA_ID, "error": TEXT}
                                                            also for a file that failed to download
    {"event": "stanza-error", "from": JID, "id": STANZA_ID, "condition": TEXT}
    {"event": "disconnected"}
"""

import argparse
import asyncio
import hashlib
import json
import logging
import re
import secrets
import ssl
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Set
from xml.etree import ElementTree as ET

# slixmpp warns at import time that a C stringprep is missing: noise in the stderr tail the driver shows.
logging.getLogger("slixmpp.stringprep").setLevel(logging.ERROR)

import oldmemo.etree  # noqa: E402
import omemo  # noqa: E402
from slixmpp import JID, ClientXMPP  # noqa: E402
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

from peer_files import HttpFiles, decrypt_file, encrypt_file, parse_aesgcm_url  # noqa: E402
from peer_omemo import DEVICE_LIST_NODE, OMEMO_NS, create_session_manager, describe  # noqa: E402

CLIENT_NS = "jabber:client"
CARBONS_NS = "urn:xmpp:carbons:2"
FORWARD_NS = "urn:xmpp:forward:0"
PUBSUB_EVENT_NS = "http://jabber.org/protocol/pubsub#event"
FALLBACK_BODY = "This message is OMEMO-encrypted (eu.siacs.conversations.axolotl)."

log = logging.getLogger("omemo_peer")


def emit(event: Dict[str, Any]) -> None:
    """Writes one event line, flushed at once: the driver is waiting for it."""
    sys.stdout.write(json.dumps(event, separators=(",", ":")) + "\n")
    sys.stdout.flush()


class OmemoPeer(ClientXMPP):
    """One OMEMO device on one account, driven by stdin commands (see the module docstring)."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args.jid, args.password)
        self.data_dir = Path(args.dir)
        self.files_dir = self.data_dir / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        # Trust the test server's CA and nothing else; slixmpp checks the name against the JID's domain.
        self.ssl_context = ssl.create_default_context(cafile=args.ca_file)
        self.ca_certs = Path(args.ca_file)
        self.files = HttpFiles(self, args.ca_file)
        self.session_manager: Any = None
        self.own_device = 0
        # python-omemo keeps one session per device and is not safe against concurrent use.
        self.omemo_lock = asyncio.Lock()
        self.incoming: "asyncio.Queue[ET.Element]" = asyncio.Queue()
        self.seen: Set[str] = set()
        self.quitting = False
        self.finished: "asyncio.Future[int]" = asyncio.get_running_loop().create_future()
        self.tasks: List["asyncio.Task[None]"] = []

        for plugin in ("xep_0004", "xep_0030", "xep_0060", "xep_0280"):
            self.register_plugin(plugin)
        self.add_event_handler("session_start", self.on_session_start)
        # Not slixmpp's "message" event: it fires only for stanzas with a <body>, which would lose
        # key-transport messages, carbons and PEP notifications.
        self.register_handler(Callback("omemo peer", MatchXPath(f"{{{CLIENT_NS}}}message"), self.on_message))
        self.add_event_handler("failed_all_auth", lambda _: self.fail("authentication failed"))
        self.add_event_handler("connection_failed", lambda error: self.fail(f"connection failed: {error}"))
        self.add_event_handler(
            "ssl_invalid_chain", lambda error: self.fail(f"TLS certificate rejected: {error}")
        )
        self.add_event_handler("disconnected", self.on_disconnected)

    # ---------- life cycle ----------

    def fail(self, error: str) -> None:
        """Ends the peer on a fatal error; slixmpp would otherwise retry the connection forever."""
        emit({"event": "error", "error": error})
        self.cancel_connection_attempt()
        self.abort()
        self.finish(1)

    def finish(self, code: int) -> None:
        if not self.finished.done():
            self.finished.set_result(code)

    def on_disconnected(self, _reason: Any) -> None:
        if not self.quitting:
            emit({"event": "disconnected"})
        self.finish(0 if self.quitting else 1)

    async def on_session_start(self, _event: Any) -> None:
        """Sets up OMEMO before presence, so that messages the server kept for us find a working device."""
        try:
            storage_file = self.data_dir / "omemo.json"
            manager = await create_session_manager(self, storage_file, self.send_key_transport)
            self.session_manager = manager
            own, _ = await manager.get_own_device_information()
            self.own_device = own.device_id
            try:
                await self["xep_0280"].enable()
            except (IqError, IqTimeout) as error:
                log.warning("carbons not enabled: %s", describe(error))
            self.send_presence()
            self.tasks.append(asyncio.create_task(self.process_incoming()))
            self.tasks.append(asyncio.create_task(self.read_commands()))
            fingerprint = "".join(manager.format_identity_key(own.identity_key))
            emit({"event": "ready", "deviceId": own.device_id, "fingerprint": fingerprint})
        except Exception as error:
            log.exception("start-up failed")
            self.fail(f"OMEMO set-up failed: {describe(error)}")

    async def quit(self) -> None:
        if self.quitting:
            return
        self.quitting = True
        await self.disconnect(wait=1.0)
        self.finish(0)

    # ---------- commands ----------

    async def read_commands(self) -> None:
        """Runs commands one at a time, in order, so a test's sends reach the wire in the order it wrote."""
        reader = asyncio.StreamReader(limit=16 * 1024 * 1024)
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while not self.quitting:
            line = await reader.readline()
            if not line:
                break
            if line.strip():
                await self.run_command(line)
        await self.quit()

    async def run_command(self, line: bytes) -> None:
        command: Any = None
        try:
            command = json.loads(line)
            name = command.get("cmd")
            stanza_id = str(command.get("id") or uuid.uuid4().hex)
            if name == "send":
                result = await self.send_encrypted(str(command["to"]), str(command["body"]), stanza_id)
                emit({"event": "sent", "id": stanza_id, **result})
            elif name == "send-file":
                result = await self.send_file(str(command["to"]), str(command["path"]), stanza_id)
                emit({"event": "sent", "id": stanza_id, **result})
            elif name == "quit":
                await self.quit()
            else:
                raise ValueError(f"unknown command {name!r}")
        except Exception as error:
            log.warning("command failed: %s", describe(error))
            event: Dict[str, Any] = {"event": "error", "error": describe(error)}
            if isinstance(command, dict) and command.get("id") is not None:
                event["id"] = command["id"]
            emit(event)

    # ---------- sending ----------

    def send_omemo(self, to: str, message: omemo.Message, body: Optional[str], stanza_id: str) -> None:
        """Sends an OMEMO message; body is the fallback text for clients without OMEMO."""
        stanza = self.make_message(mto=JID(to), mtype="chat", mbody=body)
        stanza["id"] = stanza_id
        stanza.append(oldmemo.etree.serialize_message(message))
        # XEP-0380 names what the fallback hides; XEP-0334 asks MAM to archive a message even without body.
        ET.SubElement(stanza.xml, "{urn:xmpp:eme:0}encryption", namespace=OMEMO_NS, name="OMEMO")
        ET.SubElement(stanza.xml, "{urn:xmpp:hints}store")
        stanza.send()

    def send_key_transport(self, to: str, message: omemo.Message) -> None:
        self.send_omemo(to, message, None, uuid.uuid4().hex)

    async def send_encrypted(self, to: str, plaintext: str, stanza_id: str) -> Dict[str, Any]:
        """Encrypts for every device of `to` and our own other devices, with device lists fetched fresh.

        python-omemo encrypts for the devices it has stored and hears of new ones only through PEP
        notifications, which Prosody sends to contacts alone. Fetching both lists first keeps the peer
        from missing a device Hush added a moment ago.
        """
        async with self.omemo_lock:
            manager = self.session_manager
            for jid in {to, self.boundjid.bare}:
                await manager.refresh_device_list(OMEMO_NS, jid)
            messages, errors = await manager.encrypt(frozenset({to}), {OMEMO_NS: plaintext.encode("utf-8")})
            self.send_omemo(to, next(iter(messages)), FALLBACK_BODY, stanza_id)
        skipped = [
            {"jid": error.bare_jid, "deviceId": error.device_id, "error": describe(error.exception)}
            for error in errors
        ]
        return {"skipped": skipped} if skipped else {}

    async def send_file(self, to: str, path: str, stanza_id: str) -> Dict[str, Any]:
        """XEP-0454: encrypted, uploaded with XEP-0363, the aesgcm:// link sent as an OMEMO message."""
        plain = Path(path).read_bytes()
        encrypted, fragment = encrypt_file(plain)
        # A random name: the server needs no hint of what the file is.
        get_url = await self.files.upload(encrypted, secrets.token_hex(8) + Path(path).suffix)
        url = "aesgcm://" + get_url[len("https://"):] + "#" + fragment
        result = await self.send_encrypted(to, url, stanza_id)
        return {**result, "url": url, "sha256": hashlib.sha256(plain).hexdigest()}

    # ---------- receiving ----------

    def on_message(self, stanza: Any) -> None:
        """Queues every message stanza for one worker, unwrapping carbons (accepted from our own bare JID
        only, as anyone else could forge them)."""
        xml = stanza.xml
        sender = xml.get("from", "")
        if sender == self.boundjid.bare:
            for direction in ("received", "sent"):
                path = f"{{{CARBONS_NS}}}{direction}/{{{FORWARD_NS}}}forwarded/{{{CLIENT_NS}}}message"
                inner = xml.find(path)
                if inner is not None:
                    inner.set("carbon", direction)  # a local mark for handle_message
                    self.incoming.put_nowait(inner)
                    return
        self.incoming.put_nowait(xml)

    async def process_incoming(self) -> None:
        """One message at a time, in arrival order: a session's ratchet moves with each message."""
        while True:
            xml = await self.incoming.get()
            try:
                await self.handle_message(xml)
            except Exception as error:
                log.exception("message handling failed")
                emit({"event": "undecryptable", "from": JID(xml.get("from", "")).bare, "id": xml.get("id"),
                      "error": describe(error)})

    async def handle_message(self, xml: ET.Element) -> None:
        sender = JID(xml.get("from", ""))
        kind = xml.get("type", "normal")
        if kind == "error":
            condition = xml.find(f"{{{CLIENT_NS}}}error/*")
            emit({"event": "stanza-error", "from": str(sender), "id": xml.get("id"),
                  "condition": ET.QName(condition).localname if condition is not None else None})
            return
        items = xml.find(f"{{{PUBSUB_EVENT_NS}}}event/{{{PUBSUB_EVENT_NS}}}items[@node='{DEVICE_LIST_NODE}']")
        if items is not None:
            await self.on_device_list(sender.bare, items)
            return
        if kind not in ("chat", "normal"):
            return
        encrypted = xml.find(f"{{{OMEMO_NS}}}encrypted")
        body = xml.findtext(f"{{{CLIENT_NS}}}body")
        if encrypted is None and body is None:
            return  # chat states, receipts and the like
        if not self.first_sight(sender.bare, xml, encrypted, body):
            return
        common = {"from": sender.bare, "to": JID(xml.get("to", "")).bare or self.boundjid.bare,
                  "id": xml.get("id")}
        if xml.get("carbon"):
            common["carbon"] = xml.get("carbon")
        if encrypted is None:
            emit({"event": "message", **common, "senderDevice": None, "body": body, "prekey": False,
                  "encrypted": False})
            self.receive_file_if_link(sender.bare, body or "")
        else:
            await self.decrypt(sender.bare, encrypted, common)

    def first_sight(self, sender: str, xml: ET.Element, encrypted: Optional[ET.Element],
                    body: Optional[str]) -> bool:
        """False for a message seen before. A note to self, for one, arrives directly and as a carbon;
        decrypting it twice would fail (the message key is used up) and read as a bug. OMEMO messages are
        told apart by their random IV and ciphertext, plain ones by stanza id and body."""
        if encrypted is not None:
            header = encrypted.find(f"{{{OMEMO_NS}}}header")
            parts = [sender, header.get("sid") if header is not None else None,
                     encrypted.findtext(f".//{{{OMEMO_NS}}}iv"), encrypted.findtext(f"{{{OMEMO_NS}}}payload")]
        else:
            parts = [sender, xml.get("id"), body]
        key = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
        if key in self.seen:
            log.info("dropped a second copy of message %s from %s", xml.get("id"), sender)
            return False
        self.seen.add(key)
        return True

    async def decrypt(self, sender: str, encrypted: ET.Element, common: Dict[str, Any]) -> None:
        header = encrypted.find(f"{{{OMEMO_NS}}}header")
        if sender == self.boundjid.bare and header is not None and header.get("sid") == str(self.own_device):
            return  # our own message echoed back: a note to self reaches every resource of the account
        prekey = False
        for key in encrypted.iter(f"{{{OMEMO_NS}}}key"):
            flag = key.get("prekey")
            if key.get("rid") == str(self.own_device):
                prekey = flag in ("true", "1")
            # oldmemo reads the attribute with bool(), so prekey='false' would parse as a pre-key message.
            if flag is not None and flag not in ("true", "1"):
                del key.attrib["prekey"]
        try:
            async with self.omemo_lock:
                message = await oldmemo.etree.parse_message(
                    encrypted, sender, self.boundjid.bare, self.session_manager
                )
                plaintext, device, _ = await self.session_manager.decrypt(message)
        except omemo.MessageNotForUs as error:
            # python-omemo sends key-transport messages to the bare JID, so every other device of that
            # account gets a copy with no key for it: not worth an event. A message with content and no
            # key for us ("not encrypted for this device") is.
            if encrypted.find(f"{{{OMEMO_NS}}}payload") is None:
                return
            emit({"event": "undecryptable", "from": sender, "id": common.get("id"), "error": describe(error)})
            return
        except Exception as error:
            log.warning("undecryptable message from %s: %s", sender, describe(error))
            emit({"event": "undecryptable", "from": sender, "id": common.get("id"), "error": describe(error)})
            return
        if plaintext is None:
            emit({"event": "key-transport", "from": sender, "id": common.get("id"),
                  "senderDevice": device.device_id, "prekey": prekey})
            return
        body = plaintext.decode("utf-8", errors="replace")
        emit({"event": "message", **common, "senderDevice": device.device_id, "body": body,
              "prekey": prekey, "encrypted": True})
        self.receive_file_if_link(sender, body)

    def receive_file_if_link(self, sender: str, body: str) -> None:
        """Starts the download of an aesgcm:// link in the background, not to hold up later messages."""
        link = parse_aesgcm_url(body)
        if link is not None:
            self.tasks.append(asyncio.create_task(self.receive_file(sender, *link)))

    async def receive_file(self, sender: str, url: str, iv: bytes, key: bytes) -> None:
        """Downloads and decrypts an XEP-0454 file into the data directory."""
        try:
            plain = decrypt_file(await self.files.download(url), iv, key)
            name = re.sub(r"[^A-Za-z0-9._-]", "_", url.rsplit("/", 1)[-1]) or "file"
            path = self.files_dir / f"{uuid.uuid4().hex[:8]}-{name}"
            path.write_bytes(plain)
            emit({"event": "file", "from": sender, "path": str(path),
                  "sha256": hashlib.sha256(plain).hexdigest(), "size": len(plain)})
        except Exception as error:
            log.warning("file from %s not received: %s", sender, describe(error))
            emit({"event": "undecryptable", "from": sender, "error": f"file {url}: {describe(error)}"})

    async def on_device_list(self, sender: str, items: ET.Element) -> None:
        """A PEP device-list notification (Prosody sends them to contacts only)."""
        payload = items.find(f"{{{PUBSUB_EVENT_NS}}}item/{{{OMEMO_NS}}}list")
        if payload is None:
            return
        try:
            device_list = oldmemo.etree.parse_device_list(payload)
        except Exception as error:
            log.warning("malformed device list notification from %s: %s", sender, describe(error))
            return
        async with self.omemo_lock:
            await self.session_manager.update_device_list(OMEMO_NS, sender, device_list)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="An OMEMO 0.3 test peer driven by JSON lines.")
    parser.add_argument("--jid", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True, type=int, help="c2s port (STARTTLS)")
    parser.add_argument("--ca-file", required=True, help="the only CA trusted, for XMPP and HTTPS")
    parser.add_argument("--dir", required=True, help="OMEMO state and received files")
    parser.add_argument("--log-file")
    parser.add_argument(
        "--debug", action="store_true",
        help="debug logging: python-omemo then logs plaintexts and keys, so for throwaway runs only",
    )
    return parser.parse_args()


def set_up_logging(args: argparse.Namespace) -> None:
    """Info to the log file (python-omemo logs plaintexts only at debug level); warnings to stderr as
    well, since the driver quotes its tail when the peer fails."""
    level = logging.DEBUG if args.debug else logging.INFO
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING if args.log_file else level)
    handlers: List[logging.Handler] = [console]
    if args.log_file:
        handlers.append(logging.FileHandler(args.log_file))
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=handlers)
    logging.getLogger("slixmpp.stringprep").setLevel(logging.ERROR)


async def main() -> int:
    args = parse_arguments()
    set_up_logging(args)
    peer = OmemoPeer(args)
    peer.connect(address=(args.host, args.port))
    code = await peer.finished
    for task in peer.tasks:
        task.cancel()
    return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
