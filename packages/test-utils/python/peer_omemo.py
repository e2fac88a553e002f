"""The OMEMO side of omemo_peer.py: python-omemo's storage and its XMPP hooks (PEP through slixmpp).

XEP-0384 OMEMO Encryption, version 0.3 (legacy, eu.siacs.conversations.axolotl):
https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
"""

import json
import logging
import os
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, Optional
from xml.etree import ElementTree as ET

import omemo
import oldmemo
import oldmemo.etree
from omemo.storage import Just, Maybe, Nothing, Storage
from omemo.types import DeviceInformation, JSONType, TrustLevel
from slixmpp import JID, ClientXMPP
from slixmpp.exceptions import IqError, IqTimeout

OMEMO_NS = oldmemo.oldmemo.NAMESPACE
DEVICE_LIST_NODE = f"{OMEMO_NS}.devicelist"
BUNDLE_NODE_PREFIX = f"{OMEMO_NS}.bundles:"
PUBSUB_NS = "http://jabber.org/protocol/pubsub"
PUBSUB_ERRORS_NS = "http://jabber.org/protocol/pubsub#errors"
PUBLISH_OPTIONS_FORM = "http://jabber.org/protocol/pubsub#publish-options"
NODE_CONFIG_FORM = "http://jabber.org/protocol/pubsub#node_config"
# Open, so that accounts that are not in each other's roster can fetch them (see publish_open).
OPEN_NODE = {"pubsub#access_model": "open", "pubsub#persist_items": "true", "pubsub#max_items": "1"}
TRUSTED = "trusted"
UNDECIDED = "undecided"

log = logging.getLogger("omemo_peer")


def describe(error: BaseException) -> str:
    """A one-line description; slixmpp's XMPP errors print empty without this."""
    if isinstance(error, IqError):
        text = error.iq["error"]["text"]
        return f"IqError: {error.iq['error']['condition']}" + (f" ({text})" if text else "")
    if isinstance(error, IqTimeout):
        return "IqTimeout: no reply"
    # xmlschema's validation errors run over many lines (schema and instance); their reason is enough.
    text = getattr(error, "reason", None) or str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def iq_condition(error: BaseException) -> Optional[str]:
    return error.iq["error"]["condition"] if isinstance(error, IqError) else None


class JsonFileStorage(Storage):
    """python-omemo's key/value storage in one JSON file (private keys included, so mode 0600).

    python-omemo caches every value it loads, so reads never touch the file; each write rewrites it whole,
    which is fine for a test peer's few hundred keys.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._data: Dict[str, JSONType] = json.loads(path.read_text()) if path.exists() else {}

    async def _load(self, key: str) -> Maybe[JSONType]:
        return Just(self._data[key]) if key in self._data else Nothing()

    async def _store(self, key: str, value: JSONType) -> None:
        self._data[key] = value
        self._flush()

    async def _delete(self, key: str) -> None:
        self._data.pop(key, None)
        self._flush()

    def _flush(self) -> None:
        """Replaces the file atomically, so a peer killed mid-write leaves the previous state."""
        temporary = self._path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(self._data, file)
        os.replace(temporary, self._path)


def options_form(xmpp: ClientXMPP, form_type: str, fields: Dict[str, str]) -> Any:
    """An XEP-0004 submit form, for publish-options or node configuration."""
    form = xmpp["xep_0004"].make_form(ftype="submit")
    form.add_field(var="FORM_TYPE", ftype="hidden", value=form_type)
    for name, value in fields.items():
        form.add_field(var=name, value=value)
    return form


async def publish_open(xmpp: ClientXMPP, node: str, payload: ET.Element) -> None:
    """Publishes payload as the node's only item ('current'), readable by anyone.

    python-omemo leaves publishing to its user. With Prosody's PEP default (access_model presence) anyone
    not in our roster gets forbidden, and test accounts are strangers to each other. Publish-options set
    the model; a node that already exists with another one fails the precondition (XEP-0060 §7.1.5), so it
    is reconfigured and the item published again.
    """
    pubsub, own = xmpp["xep_0060"], JID(xmpp.boundjid.bare)
    try:
        await pubsub.publish(
            own, node, id="current", payload=payload,
            options=options_form(xmpp, PUBLISH_OPTIONS_FORM, OPEN_NODE),
        )
    except IqError as error:
        if error.iq.xml.find(f".//{{{PUBSUB_ERRORS_NS}}}precondition-not-met") is None:
            raise
        log.info("node %s exists with other options; reconfiguring it", node)
        await pubsub.set_node_config(own, node, options_form(xmpp, NODE_CONFIG_FORM, OPEN_NODE))
        await pubsub.publish(own, node, id="current", payload=payload)


async def fetch_item(xmpp: ClientXMPP, bare_jid: str, node: str) -> Optional[ET.Element]:
    """The payload of a PEP node's newest item, or None for an empty node."""
    reply = await xmpp["xep_0060"].get_items(JID(bare_jid), node, max_items=1)
    item = reply.xml.find(f"{{{PUBSUB_NS}}}pubsub/{{{PUBSUB_NS}}}items/{{{PUBSUB_NS}}}item")
    return None if item is None or len(item) == 0 else item[0]


def session_manager_class(
    xmpp: ClientXMPP, send_message: Callable[[str, omemo.Message], None]
) -> type:
    """python-omemo's SessionManager with its abstract XMPP hooks bound to one slixmpp client.

    Trust is blind: a new device starts undecided and is trusted as soon as a message is encrypted for it.
    The tests check Hush's side of trust, not this peer's.
    """

    class SessionManager(omemo.SessionManager):
        @staticmethod
        async def _upload_bundle(bundle: omemo.Bundle) -> None:
            assert isinstance(bundle, oldmemo.oldmemo.BundleImpl)
            node = f"{BUNDLE_NODE_PREFIX}{bundle.device_id}"
            try:
                await publish_open(xmpp, node, oldmemo.etree.serialize_bundle(bundle))
            except Exception as error:
                raise omemo.BundleUploadFailed(describe(error)) from error

        @staticmethod
        async def _download_bundle(namespace: str, bare_jid: str, device_id: int) -> omemo.Bundle:
            try:
                payload = await fetch_item(xmpp, bare_jid, f"{BUNDLE_NODE_PREFIX}{device_id}")
            except Exception as error:
                if iq_condition(error) == "item-not-found":
                    raise omemo.BundleNotFound(describe(error)) from error
                raise omemo.BundleDownloadFailed(describe(error)) from error
            if payload is None:
                raise omemo.BundleNotFound(f"no bundle item for {bare_jid}/{device_id}")
            try:
                return oldmemo.etree.parse_bundle(payload, bare_jid, device_id)
            except Exception as error:
                raise omemo.BundleDownloadFailed(f"malformed bundle: {describe(error)}") from error

        @staticmethod
        async def _delete_bundle(namespace: str, device_id: int) -> None:
            node = f"{BUNDLE_NODE_PREFIX}{device_id}"
            try:
                await xmpp["xep_0060"].delete_node(JID(xmpp.boundjid.bare), node)
            except Exception as error:
                if iq_condition(error) != "item-not-found":
                    raise omemo.BundleDeletionFailed(describe(error)) from error

        @staticmethod
        async def _upload_device_list(namespace: str, device_list: Dict[int, Optional[str]]) -> None:
            try:
                await publish_open(xmpp, DEVICE_LIST_NODE, oldmemo.etree.serialize_device_list(device_list))
            except Exception as error:
                raise omemo.DeviceListUploadFailed(describe(error)) from error

        @staticmethod
        async def _download_device_list(namespace: str, bare_jid: str) -> Dict[int, Optional[str]]:
            try:
                payload = await fetch_item(xmpp, bare_jid, DEVICE_LIST_NODE)
            except Exception as error:
                # No node: an account without OMEMO, which python-omemo expects as an empty list.
                if iq_condition(error) == "item-not-found":
                    return {}
                raise omemo.DeviceListDownloadFailed(describe(error)) from error
            if payload is None:
                return {}
            try:
                return oldmemo.etree.parse_device_list(payload)
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
            # Messages python-omemo sends by itself: key transport to complete a handshake, heartbeats.
            send_message(bare_jid, message)

    return SessionManager


async def create_session_manager(
    xmpp: ClientXMPP, storage_file: Path, send_message: Callable[[str, omemo.Message], None]
) -> Any:
    """Loads this device (or makes one on first run) and makes sure the server has its current data."""
    storage = JsonFileStorage(storage_file)
    manager = await session_manager_class(xmpp, send_message).create(
        [oldmemo.Oldmemo(storage)], storage, xmpp.boundjid.bare, None, UNDECIDED
    )
    # create() publishes only on a first run; this also republishes when the server lost the device list
    # or bundle (a kept data directory against a fresh server, for instance).
    await manager.ensure_data_consistency()
    # No history (MAM) is fetched, so pre keys used while offline can go and queued handshakes be sent.
    await manager.after_history_sync()
    return manager
