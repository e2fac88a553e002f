// Requests above the chats: people who asked to add this account, and people not in the contacts
// who wrote first. Each is a decision about a stranger, so their address shows, and so does what
// they wrote (a tap opens it); nothing they send joins the chats until they are added. Blocking
// (XEP-0191) is always offered; reporting spam (XEP-0377) only where the server takes reports: a
// button that could only say "not supported" would be one more thing to read for nothing, and
// Block already does for the person everything a report would.
import { useContext, useState } from 'react';
import { Pressable, StyleSheet, Text, View } from 'react-native';
import { toHushError, type HushError, type StoredMessage } from '@hush/core';
import { useTranslation } from '../i18n';
import { requireChats, type ChatsSnapshot } from '../client/chats';
import { Avatar, Button, ErrorNotice } from './components';
import { ControllerContext } from './hooks';
import { colors, radius, space } from './theme';

export interface RequestActions {
  onApprove: (jid: string) => void;
  onDeny: (jid: string) => void;
  onOpen: (peer: string) => void;
  /** Adds a stranger who wrote; by default through the account's chat store. */
  onAddStranger?: ((jid: string) => Promise<void>) | undefined;
  onBlock?: ((jid: string) => Promise<void>) | undefined;
  onReport?: ((jid: string) => Promise<void>) | undefined;
}

/** The store's actions for whoever renders the list without passing their own. */
function useDefaults(props: RequestActions) {
  const controller = useContext(ControllerContext);
  const store = () => requireChats(controller?.chats);
  return {
    add: props.onAddStranger ?? ((jid: string) => store().addStranger(jid)),
    block: props.onBlock ?? ((jid: string) => store().block(jid)),
    report: props.onReport ?? ((jid: string) => store().report(jid)),
  };
}

export function Requests(
  props: RequestActions & {
    chats: ChatsSnapshot;
    nameOf: (jid: string) => string;
    preview: (message: StoredMessage) => React.ReactNode;
  },
) {
  const { t } = useTranslation();
  const actions = useDefaults(props);
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<HushError | undefined>();
  const { chats } = props;
  const strangers = chats.strangers ?? [];
  const lastFrom = new Map(strangers.map((item) => [item.peer, item.lastMessage]));
  const people = [
    ...chats.requests.map((jid) => ({ jid, asked: true })),
    ...strangers
      .filter((item) => !chats.requests.includes(item.peer))
      .map((item) => ({ jid: item.peer, asked: false })),
  ];
  if (people.length === 0) return null;
  const run = (jid: string, work: (jid: string) => Promise<void>) => () => {
    setBusy(jid);
    setError(undefined);
    work(jid).then(
      () => setBusy(undefined),
      (failure: unknown) => {
        setBusy(undefined);
        setError(toHushError(failure));
      },
    );
  };
  return (
    <View>
      {error ? (
        <View style={styles.notice}>
          <ErrorNotice error={error} onDismiss={() => setError(undefined)} />
        </View>
      ) : null}
      {people.map(({ jid, asked }) => {
        const name = props.nameOf(jid);
        const last = lastFrom.get(jid);
        const working = busy === jid;
        return (
          <View key={jid} style={styles.request} testID={`request-${jid}`}>
            <Pressable
              style={styles.who}
              disabled={!last}
              onPress={() => props.onOpen(jid)}
              // Named by what it shows (the request and its preview); the hint says what a tap does.
              {...(last
                ? {
                    accessibilityRole: 'button' as const,
                    accessibilityHint: t('chats.readRequest', { name }),
                  }
                : {})}
              testID={`request-open-${jid}`}
            >
              <Avatar jid={jid} name={name} size={32} />
              <View style={styles.text}>
                <Text style={styles.title}>
                  {asked ? t('chats.request', { name }) : t('chats.stranger', { name })}
                </Text>
                <Text style={styles.address} selectable>
                  {jid}
                </Text>
                {last ? (
                  <Text style={styles.preview} numberOfLines={2} testID={`request-preview-${jid}`}>
                    {props.preview(last)}
                  </Text>
                ) : null}
              </View>
            </Pressable>
            <View style={styles.buttons}>
              {asked ? (
                <>
                  <Button
                    title={t('chats.accept')}
                    onPress={() => props.onApprove(jid)}
                    testID={`approve-${jid}`}
                  />
                  <Button
                    title={t('chats.decline')}
                    kind="secondary"
                    onPress={() => props.onDeny(jid)}
                    testID={`decline-${jid}`}
                  />
                </>
              ) : (
                <Button
                  title={t('chats.addStranger')}
                  onPress={run(jid, actions.add)}
                  busy={working}
                  testID={`add-stranger-${jid}`}
                />
              )}
              <Button
                title={t('chats.block')}
                kind="danger"
                onPress={run(jid, actions.block)}
                disabled={working}
                testID={`block-${jid}`}
              />
              {chats.canReport ? (
                <Button
                  title={t('chats.report')}
                  kind="danger"
                  onPress={run(jid, actions.report)}
                  disabled={working}
                  testID={`report-${jid}`}
                />
              ) : null}
            </View>
          </View>
        );
      })}
    </View>
  );
}

const styles = StyleSheet.create({
  notice: { paddingHorizontal: space.m, paddingTop: space.m },
  request: {
    margin: space.m,
    padding: space.m,
    borderRadius: radius.s,
    backgroundColor: colors.warningSurface,
    borderWidth: 1,
    borderColor: colors.border,
  },
  who: { flexDirection: 'row', gap: space.s, marginBottom: space.s, alignItems: 'center' },
  text: { flex: 1, gap: 2 },
  title: { color: colors.text },
  address: { color: colors.muted, fontSize: 12 },
  preview: { color: colors.text, fontStyle: 'italic' },
  buttons: { flexDirection: 'row', gap: space.s, flexWrap: 'wrap' },
});
