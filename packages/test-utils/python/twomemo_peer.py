#!/usr/bin/env python3
"""An independent OMEMO 2 peer for Hush's integration tests.

The sibling of omemo_peer.py (same command line, same JSON-line commands and events; read its docstring) for
OMEMO 2 (XEP-0384 0.8+, namespace urn:xmpp:omemo:2): python3-omemo with the python3-twomemo backend only, so
the account publishes OMEMO 2 alone and Hush must choose OMEMO 2 to reach it. What OMEMO 2 encrypts is an
XEP-0420 (Stanza Content Encryption) envelope; this peer builds and checks those with ElementTree, sharing no
code with Hush.

Differences from omemo_peer.py
    Commands: {"cmd": "send-envelope", "to": JID, "envelope": XML, "id"?: ID} encrypts the given text as the
    envelope, unchecked, so tests can hand Hush a malformed one from an independent implementation.
    Events: "message" has "envelopeFrom" (the jid of the envelope's <from/>); an envelope whose <from/> is
    missing or names another account than the stanza's sender is reported "undecryptable". No files.
"""

import argparse
import asyncio
import hashlib
import json
import logging
import secrets
import sys
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, FrozenSet, Optional
from xml.etree import ElementTree as ET

logging.getLogger("slixmpp.stringprep").setLevel(logging.ERROR)

import omemo  # noqa: E402
import twomemo  # noqa: E402
import twomemo.etree  # noqa: E402
from omemo.types import DeviceInformation, TrustLevel  # noqa: E402
from slixmpp import JID, ClientXMPP  # noqa: E402
from slixmpp.exceptions import IqError  # noqa: E402

from omemo_peer import CLIENT_NS, PUBSUB_EVENT_NS, OmemoPeer, emit, set_up_logging  # noqa: E402
from peer_omemo import (  # noqa: E402
    NODE_CONFIG_FORM, PUBLISH_OPTIONS_FORM, PUBSUB_ERRORS_NS, TRUSTED, UNDECIDED, JsonFileStorage, describe,
    fetch_item, iq_condition, options_form,
)

NS = twomemo.twomemo.NAMESPACE
DEVICES_NODE = f"{NS}:devices"
BUNDLES_NODE = f"{NS}:bundles"
SCE_NS = "urn:xmpp:sce:1"
FALLBACK_BODY = "This message is OMEMO-encrypted (urn:xmpp:omemo:2)."
log = logging.getLogger("twomemo_peer")


async def publish(xmpp: ClientXMPP, node: str, item_id: str, payload: ET.Element) -> None:
    """Publishes an item readable by anyone; the bundles node keeps one item per device (max_items max)."""
    options = {"pubsub#access_model": "open", "pubsub#persist_items": "true",
               "pubsub#max_items": "max" if node == BUNDLES_NODE else "1"}
    pubsub, own = xmpp["xep_0060"], JID(xmpp.boundjid.bare)
    try:
        await pubsub.publish(own, node, id=item_id, payload=payload,
                             options=options_form(xmpp, PUBLISH_OPTIONS_FORM, options))
    except IqError as error:
        if error.iq.xml.find(f".//{{{PUBSUB_ERRORS_NS}}}precondition-not-met") is None:
            raise
        await pubsub.set_node_config(own, node, options_form(xmpp, NODE_CONFIG_FORM, options))
        await pubsub.publish(own, node, id=item_id, payload=payload)


async def fetch_bundle_item(xmpp: ClientXMPP, bare_jid: str, device_id: int) -> Optional[ET.Element]:
    reply = await xmpp["xep_0060"].get_item(JID(bare_jid), BUNDLES_NODE, str(device_id))
    ns = "http://jabber.org/protocol/pubsub"
    item = reply.xml.find(f"{{{ns}}}pubsub/{{{ns}}}items/{{{ns}}}item")
    return None if item is None or len(item) == 0 else item[0]


def session_manager_class(xmpp: "TwomemoPeer") -> type:
    class SessionManager(omemo.SessionManager):
        @staticmethod
        async def _upload_bundle(bundle: omemo.Bundle) -> None:
            try:
                await publish(xmpp, BUNDLES_NODE, str(bundle.device_id), twomemo.etree.serialize_bundle(bundle))
            except Exception as error:
                raise omemo.BundleUploadFailed(describe(error)) from error

        @staticmethod
        async def _download_bundle(namespace: str, bare_jid: str, device_id: int) -> omemo.Bundle:
            try:
                payload = await fetch_bundle_item(xmpp, bare_jid, device_id)
            except Exception as error:
                if iq_condition(error) == "item-not-found":
                    raise omemo.BundleNotFound(describe(error)) from error
                raise omemo.BundleDownloadFailed(describe(error)) from error
            if payload is None:
                raise omemo.BundleNotFound(f"no bundle item for {bare_jid}/{device_id}")
            try:
                return twomemo.etree.parse_bundle(payload, bare_jid, device_id)
            except Exception as error:
                raise omemo.BundleDownloadFailed(f"malformed bundle: {describe(error)}") from error

        @staticmethod
        async def _delete_bundle(namespace: str, device_id: int) -> None:
            try:
                await xmpp["xep_0060"].retract(JID(xmpp.boundjid.bare), BUNDLES_NODE, str(device_id), notify=False)
            except Exception as error:
                if iq_condition(error) != "item-not-found":
                    raise omemo.BundleDeletionFailed(describe(error)) from error

        @staticmethod
        async def _upload_device_list(namespace: str, device_list: Dict[int, Optional[str]]) -> None:
            try:
                await publish(xmpp, DEVICES_NODE, "current", twomemo.etree.serialize_device_list(device_list))
            except Exception as error:
                raise omemo.DeviceListUploadFailed(describe(error)) from error

        @staticmethod
        async def _download_device_list(namespace: str, bare_jid: str) -> Dict[int, Optional[str]]:
            try:
                payload = await fetch_item(xmpp, bare_jid, DEVICES_NODE)
            except Exception as error:
                if iq_condition(error) == "item-not-found":
                    return {}
                raise omemo.DeviceListDownloadFailed(describe(error)) from error
            if payload is None:
                return {}
            try:
                return twomemo.etree.parse_device_list(payload)
            except Exception as error:
                log.warning("malformed device list of %s: %s", bare_jid, describe(error))
                return {}

        async def _evaluate_custom_trust_level(self, device: DeviceInformation) -> TrustLevel:
            return TrustLevel.TRUSTED if device.trust_level_name == TRUSTED else TrustLevel.UNDECIDED

        async def _make_trust_decision(
            self, undecided: FrozenSet[DeviceInformation], identifier: Optional[str]
        ) -> None:
            for device in undecided:
                await self.set_trust(device.bare_jid, device.identity_key, TRUSTED)

        @staticmethod
        async def _send_message(message: omemo.Message, bare_jid: str) -> None:
            xmpp.send_key_transport(bare_jid, message)

    return SessionManager


def envelope_for(body: str, sender: str) -> bytes:
    """An SCE envelope as XEP-0384 profiles it: content, random padding, sender and time."""
    envelope = ET.Element(f"{{{SCE_NS}}}envelope")
    content = ET.SubElement(envelope, f"{{{SCE_NS}}}content")
    ET.SubElement(content, f"{{{CLIENT_NS}}}body").text = body
    ET.SubElement(envelope, f"{{{SCE_NS}}}rpad").text = secrets.token_urlsafe(secrets.randbelow(150))
    ET.SubElement(envelope, f"{{{SCE_NS}}}from", jid=sender)
    ET.SubElement(envelope, f"{{{SCE_NS}}}time", stamp=datetime.now(timezone.utc).isoformat())
    return ET.tostring(envelope, encoding="utf-8")


class TwomemoPeer(OmemoPeer):
    async def on_session_start(self, _event: Any) -> None:
        try:
            storage = JsonFileStorage(self.data_dir / "twomemo.json")
            manager = await session_manager_class(self).create(
                [twomemo.Twomemo(storage)], storage, self.boundjid.bare, None, UNDECIDED
            )
            await manager.ensure_data_consistency()
            await manager.after_history_sync()
            self.session_manager = manager
            own, _ = await manager.get_own_device_information()
            self.own_device = own.device_id
            self.send_presence()
            self.tasks.append(asyncio.create_task(self.process_incoming()))
            self.tasks.append(asyncio.create_task(self.read_commands()))
            # The Curve25519 form, as Hush shows fingerprints for both versions.
            import xeddsa
            fingerprint = xeddsa.ed25519_pub_to_curve25519_pub(own.identity_key).hex()
            emit({"event": "ready", "deviceId": own.device_id, "fingerprint": fingerprint})
        except Exception as error:
            log.exception("start-up failed")
            self.fail(f"OMEMO 2 set-up failed: {describe(error)}")

    async def run_command(self, line: bytes) -> None:
        command: Any = None
        try:
            command = json.loads(line)
            if command.get("cmd") != "send-envelope":
                await super().run_command(line)
                return
            stanza_id = str(command.get("id") or uuid.uuid4().hex)
            await self.send_payload(str(command["to"]), str(command["envelope"]).encode("utf-8"), stanza_id)
            emit({"event": "sent", "id": stanza_id})
        except Exception as error:
            event: Dict[str, Any] = {"event": "error", "error": describe(error)}
            if isinstance(command, dict) and command.get("id") is not None:
                event["id"] = command["id"]
            emit(event)

    def send_omemo(self, to: str, message: omemo.Message, body: Optional[str], stanza_id: str) -> None:
        stanza = self.make_message(mto=JID(to), mtype="chat", mbody=body)
        stanza["id"] = stanza_id
        stanza.append(twomemo.etree.serialize_message(message))
        ET.SubElement(stanza.xml, "{urn:xmpp:eme:0}encryption", namespace=NS, name="OMEMO 2")
        ET.SubElement(stanza.xml, "{urn:xmpp:hints}store")
        stanza.send()

    async def send_payload(self, to: str, payload: bytes, stanza_id: str) -> Dict[str, Any]:
        async with self.omemo_lock:
            manager = self.session_manager
            for jid in {to, self.boundjid.bare}:
                await manager.refresh_device_list(NS, jid)
            messages, errors = await manager.encrypt(frozenset({to}), {NS: payload})
            self.send_omemo(to, next(iter(messages)), FALLBACK_BODY, stanza_id)
        skipped = [
            {"jid": error.bare_jid, "deviceId": error.device_id, "error": describe(error.exception)}
            for error in errors
        ]
        return {"skipped": skipped} if skipped else {}

    async def send_encrypted(self, to: str, plaintext: str, stanza_id: str) -> Dict[str, Any]:
        return await self.send_payload(to, envelope_for(plaintext, self.boundjid.bare), stanza_id)

    async def handle_message(self, xml: ET.Element) -> None:
        sender = JID(xml.get("from", ""))
        kind = xml.get("type", "normal")
        if kind == "error":
            condition = xml.find(f"{{{CLIENT_NS}}}error/*")
            emit({"event": "stanza-error", "from": str(sender), "id": xml.get("id"),
                  "condition": ET.QName(condition).localname if condition is not None else None})
            return
        items = xml.find(f"{{{PUBSUB_EVENT_NS}}}event/{{{PUBSUB_EVENT_NS}}}items[@node='{DEVICES_NODE}']")
        if items is not None:
            payload = items.find(f"{{{PUBSUB_EVENT_NS}}}item/{{{NS}}}devices")
            if payload is not None:
                async with self.omemo_lock:
                    await self.session_manager.update_device_list(
                        NS, sender.bare, twomemo.etree.parse_device_list(payload))
            return
        if kind not in ("chat", "normal"):
            return
        encrypted = xml.find(f"{{{NS}}}encrypted")
        body = xml.findtext(f"{{{CLIENT_NS}}}body")
        if encrypted is None and body is None:
            return
        seen = hashlib.sha256(json.dumps([sender.bare, xml.get("id"), body,
                                          encrypted.findtext(f"{{{NS}}}payload") if encrypted is not None
                                          else None]).encode()).hexdigest()
        if seen in self.seen:
            return
        self.seen.add(seen)
        common = {"from": sender.bare, "to": JID(xml.get("to", "")).bare or self.boundjid.bare, "id": xml.get("id")}
        if encrypted is None:
            emit({"event": "message", **common, "senderDevice": None, "body": body, "prekey": False,
                  "encrypted": False})
            return
        header = encrypted.find(f"{{{NS}}}header")
        if sender.bare == self.boundjid.bare and header is not None and header.get("sid") == str(self.own_device):
            return
        kex = any(key.get("rid") == str(self.own_device) and key.get("kex") in ("true", "1")
                  for key in encrypted.iter(f"{{{NS}}}key"))
        try:
            async with self.omemo_lock:
                message = twomemo.etree.parse_message(encrypted, sender.bare)
                plaintext, device, _ = await self.session_manager.decrypt(message)
        except omemo.MessageNotForUs as error:
            if encrypted.find(f"{{{NS}}}payload") is not None:
                emit({"event": "undecryptable", "from": sender.bare, "id": xml.get("id"), "error": describe(error)})
            return
        except Exception as error:
            log.warning("undecryptable message from %s: %s", sender.bare, describe(error))
            emit({"event": "undecryptable", "from": sender.bare, "id": xml.get("id"), "error": describe(error)})
            return
        if plaintext is None:
            emit({"event": "key-transport", "from": sender.bare, "id": xml.get("id"),
                  "senderDevice": device.device_id, "prekey": kex})
            return
        try:
            envelope = ET.fromstring(plaintext)
            envelope_from = envelope.find(f"{{{SCE_NS}}}from")
            if envelope.tag != f"{{{SCE_NS}}}envelope" or envelope_from is None \
                    or JID(envelope_from.get("jid", "")).bare != sender.bare:
                raise ValueError("not an SCE envelope from the sender")
            if envelope.find(f"{{{SCE_NS}}}rpad") is None:
                raise ValueError("the envelope has no rpad")
            text = envelope.findtext(f"{{{SCE_NS}}}content/{{{CLIENT_NS}}}body") or ""
        except Exception as error:
            emit({"event": "undecryptable", "from": sender.bare, "id": xml.get("id"),
                  "error": f"envelope: {describe(error)}"})
            return
        emit({"event": "message", **common, "senderDevice": device.device_id, "body": text,
              "prekey": kex, "encrypted": True, "envelopeFrom": JID(envelope_from.get("jid", "")).bare})


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="An OMEMO 2 test peer driven by JSON lines.")
    for name in ("--jid", "--password", "--host", "--ca-file", "--dir"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--log-file")
    parser.add_argument("--debug", action="store_true")
    return parser.parse_args()


async def main() -> int:
    args = parse_arguments()
    set_up_logging(args)
    peer = TwomemoPeer(args)
    peer.connect(address=(args.host, args.port))
    code = await peer.finished
    for task in peer.tasks:
        task.cancel()
    return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
