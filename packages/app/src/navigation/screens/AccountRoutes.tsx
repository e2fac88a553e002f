// A contact's details and the account's settings, wired to the account: devices and their trust,
// names, block and unblock, remove, log out, delete.
import { useEffect, useMemo, useState } from 'react';
import type { OmemoDeviceInfo } from '@hush/core';
import type { NativeStackScreenProps } from '@react-navigation/native-stack';
import type { AccountController } from '../../client/account';
import type { BlockList } from '../../ui/Blocked';
import { ContactDetails } from '../../ui/ContactDetails';
import { Settings } from '../../ui/Settings';
import { useAccount, useChats, useController, usePlatform } from '../../ui/hooks';
import { closeTop } from '../open';
import type { RootStackParamList } from '../routes';

type TrustDecision = 'verify' | 'trust' | 'distrust';

/** `jid`'s OMEMO devices, read again after each reconnection; `set` after a trust decision. */
function useDevices(jid: string | undefined) {
  const controller = useController();
  const connected = useAccount().phase === 'online';
  const [devices, setDevices] = useState<readonly OmemoDeviceInfo[] | undefined>();
  useEffect(() => {
    const omemo = controller.current?.omemo;
    if (!jid || !omemo) return;
    let live = true;
    omemo.devices(jid).then(
      (list) => live && setDevices(list),
      () => live && setDevices([]),
    );
    return () => {
      live = false;
      setDevices(undefined);
    };
  }, [controller, jid, connected]);
  return [devices, setDevices] as const;
}

/** Records a trust decision about one of `jid`'s devices; resolves with their devices after it. */
async function decide(
  controller: AccountController,
  jid: string,
  fingerprint: string,
  decision: TrustDecision,
): Promise<readonly OmemoDeviceInfo[] | undefined> {
  const omemo = controller.requireConnection().omemo;
  if (!omemo) return undefined;
  if (decision === 'verify') await omemo.verify(jid, fingerprint);
  else if (decision === 'trust') await omemo.trust(jid, fingerprint);
  else await omemo.distrust(jid, fingerprint);
  controller.identityHandled(jid);
  return omemo.devices(jid, false);
}

export function ContactRoute({
  route,
  navigation,
}: NativeStackScreenProps<RootStackParamList, 'Contact'>) {
  const peer = route.params.jid;
  const controller = useController();
  const account = useAccount();
  const chats = useChats();
  const [devices, setDevices] = useDevices(peer);
  const contacts = controller.current?.contacts;
  const contact = contacts?.get(peer);
  return (
    <ContactDetails
      peer={peer}
      rosterName={contact?.name}
      nick={contacts?.nicknames.get(peer)}
      onRename={async (name) => {
        await controller.requireConnection().contacts.rename(peer, name);
      }}
      subscription={contact?.subscription}
      available={contacts?.available(peer) ?? false}
      blocked={chats.blocked.includes(peer)}
      devices={devices}
      identityChanged={(account.identityChanged ?? []).includes(peer)}
      onTrust={async (fingerprint, decision) => {
        const after = await decide(controller, peer, fingerprint, decision);
        if (after) setDevices(after);
      }}
      onScanToVerify={() => navigation.navigate('Scan', { jid: peer })}
      onBack={() => closeTop(navigation)}
      onBlock={async (block) => {
        const contacts = controller.requireConnection().contacts;
        await (block ? contacts.block(peer) : contacts.unblock(peer));
        await controller.chats?.refreshBlocked();
      }}
      onRemove={async () => {
        await controller.requireConnection().contacts.remove(peer);
        navigation.popTo('Chats');
      }}
    />
  );
}

/** This device's fingerprint and verification URI, and the account's own name (XEP-0172). */
function useOwnIdentity() {
  const controller = useController();
  const connected = useAccount().phase === 'online';
  const [fingerprint, setFingerprint] = useState<string | undefined>();
  const [verificationUri, setVerificationUri] = useState<string | undefined>();
  const [ownName, setOwnName] = useState<string | undefined>();
  useEffect(() => {
    const connection = controller.current;
    if (!connected || !connection) return;
    let live = true;
    const keep =
      <T,>(set: (value: T) => void) =>
      (value: T) =>
        live && set(value);
    void connection.omemo?.fingerprint().then(keep(setFingerprint), () => undefined);
    void connection.omemo?.verificationUri().then(keep(setVerificationUri), () => undefined);
    void connection.contacts.nicknames
      .fetch(connection.contacts.account)
      .then(keep(setOwnName), () => undefined);
    return () => {
      live = false;
    };
  }, [controller, connected]);
  return { fingerprint, verificationUri, ownName, setOwnName };
}

/** The server's blocklist; an unblock also brings the person's requests back to the chat list. */
function useBlockList(controller: AccountController): BlockList {
  return useMemo(
    () => ({
      async read() {
        return controller.requireConnection().contacts.blocked();
      },
      async unblock(jid) {
        await controller.requireConnection().contacts.unblock(jid);
        await controller.chats?.refreshBlocked();
      },
    }),
    [controller],
  );
}

export function SettingsRoute({
  navigation,
}: NativeStackScreenProps<RootStackParamList, 'Settings'>) {
  const controller = useController();
  const platform = usePlatform();
  const account = useAccount();
  const [devices, setDevices] = useDevices(account.jid);
  const { fingerprint, verificationUri, ownName, setOwnName } = useOwnIdentity();
  const blocked = useBlockList(controller);
  const contacts = controller.current?.contacts;
  return (
    <Settings
      account={account}
      fingerprint={fingerprint}
      verificationUri={verificationUri}
      notifications={platform.notifications}
      {...(controller.push ? { push: controller.push } : {})}
      displayName={ownName}
      onSetName={async (name) => {
        setOwnName(await controller.requireConnection().contacts.nicknames.publish(name));
      }}
      blocked={blocked}
      nameOf={(jid) => contacts?.displayName(jid)}
      devices={devices?.filter((device) => !device.current)}
      onTrust={async (fingerprint, decision) => {
        if (!account.jid) return;
        const after = await decide(controller, account.jid, fingerprint, decision);
        if (after) setDevices(after);
      }}
      onBack={() => closeTop(navigation)}
      onLogOut={() => controller.logOut()}
      onDelete={() => controller.deleteAccount()}
    />
  );
}
