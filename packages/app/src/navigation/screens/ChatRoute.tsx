// The chat screen wired to the account: its thread, sending text, files and voice, read markers.
import { useCallback } from 'react';
import { inspectFile, type StoredMessage } from '@hush/core';
import { useIsFocused } from '@react-navigation/native';
import type { NativeStackScreenProps } from '@react-navigation/native-stack';
import type { AccountController } from '../../client/account';
import { ChatScreen } from '../../ui/ChatScreen';
import { displayName } from '../../ui/ChatList';
import { rememberFile } from '../../ui/file-labels';
import type { FileFacts } from '../../ui/message-kind';
import {
  useAccount,
  useAppActive,
  useChats,
  useController,
  usePlatform,
  useThread,
} from '../../ui/hooks';
import { closeTop } from '../open';
import type { RootStackParamList } from '../routes';

/**
 * Resolves with the first outgoing file message in `peer`'s thread that `before` did not hold, once
 * the thread shows it (or undefined after `limitMs`): the message a send just stored.
 */
function newFileMessage(
  controller: AccountController,
  peer: string,
  before: ReadonlySet<string>,
  limitMs = 30_000,
): Promise<StoredMessage | undefined> {
  const thread = controller.chats?.thread(peer);
  if (!thread) return Promise.resolve(undefined);
  const find = () =>
    thread
      .getSnapshot()
      .messages.find(
        (m) => m.direction === 'out' && !before.has(m.id) && /^aesgcm:\/\//i.test(m.body.trim()),
      );
  return new Promise((resolve) => {
    const found = find();
    if (found) return resolve(found);
    const stop = thread.subscribe(() => {
      const message = find();
      if (message) finish(message);
    });
    const timer = setTimeout(() => finish(undefined), limitMs);
    function finish(message: StoredMessage | undefined) {
      stop();
      clearTimeout(timer);
      resolve(message);
    }
  });
}

export function ChatRoute({
  route,
  navigation,
}: NativeStackScreenProps<RootStackParamList, 'Chat'>) {
  const peer = route.params.jid;
  const controller = useController();
  const platform = usePlatform();
  const account = useAccount();
  const thread = useThread(peer);
  const chats = useChats();
  const active = useAppActive();
  // A chat under a contact's details (or under the scanner) is not being read.
  const focused = useIsFocused();
  const connected = account.phase === 'online';
  const contacts = controller.current?.contacts;
  const onSeen = useCallback(() => void controller.markSeen(peer), [controller, peer]);
  const sendLabelled = async (send: () => Promise<void>, facts: FileFacts) => {
    const before = new Set(
      controller.chats
        ?.thread(peer)
        .getSnapshot()
        .messages.map((m) => m.id),
    );
    await send();
    // Sent: its label need not hold up the composer.
    void newFileMessage(controller, peer, before).then(
      (message) => message && rememberFile(platform.keptFiles, message.body.trim(), facts),
    );
  };
  return (
    <ChatScreen
      identityChanged={(account.identityChanged ?? []).includes(peer)}
      peer={peer}
      name={displayName(peer, contacts?.displayName(peer))}
      thread={thread}
      connected={connected}
      visible={active && focused}
      available={connected && (contacts?.available(peer) ?? false)}
      typing={chats.typing.includes(peer)}
      onTyping={(state) => void controller.current?.messenger.sendChatState(peer, state)}
      onBack={() => closeTop(navigation)}
      onDetails={() => navigation.navigate('Contact', { jid: peer })}
      onSend={(text) => controller.sendText(peer, text)}
      onRetry={(id) => void controller.current?.messenger.retry(id)}
      onLoadOlder={() => void controller.chats?.thread(peer).loadOlder()}
      onSeen={onSeen}
      onAttach={async () => {
        const picked = await platform.pickFile();
        if (!picked) return;
        // The name and type of what was picked stay on this device, for its label here.
        await sendLabelled(() => controller.sendFile(peer, picked.bytes, picked.name), {
          name: picked.name,
          mimeType: inspectFile(picked.bytes).mimeType,
        });
      }}
      onVoice={async (recording) => {
        const bytes = await platform.readRecording(recording.uri);
        await sendLabelled(() => controller.sendVoice(peer, bytes), {
          mimeType: recording.mime,
          durationMs: recording.durationMs,
          // Phones: the recorder's levels, as they cannot decode the file for one (waveform.ts).
          ...(recording.waveform ? { waveform: recording.waveform } : {}),
        });
      }}
    />
  );
}
