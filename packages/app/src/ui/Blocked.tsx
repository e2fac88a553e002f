// The people this account blocks (XEP-0191), in Settings: whom, and Unblock. The list is the
// server's (the blocklist is kept there, shared by every device and client of the account), read
// each time Settings opens and again on reconnecting; a failed read or unblock shows its typed
// error and keeps what was shown, so a refusal never empties the list or drops a row.
import { useEffect, useRef, useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { toHushError, type HushError } from '@hush/core';
import { useTranslation } from '../i18n';
import { Avatar, Button, ErrorNotice } from './components';
import { card, colors, space } from './theme';

/** The account's blocklist as the screen uses it (core's Contacts.blocked and unblock). */
export interface BlockList {
  /** The blocked addresses, from the server; rejects with a HushError offline or when refused. */
  read(): Promise<readonly string[]>;
  unblock(jid: string): Promise<void>;
}

export function BlockedCard(props: {
  list: BlockList;
  /** Connected: the list is read (again) when this turns true. */
  online: boolean;
  /** The name someone was given or gave themselves, where known. */
  nameOf?: ((jid: string) => string | undefined) | undefined;
}) {
  const { t } = useTranslation();
  const { list, online } = props;
  /** Undefined until read once; kept through later failures. */
  const [blocked, setBlocked] = useState<readonly string[] | undefined>();
  const [reading, setReading] = useState(true);
  const [readFailed, setReadFailed] = useState(false);
  const [error, setError] = useState<HushError | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [attempt, setAttempt] = useState(0);
  /** The attempt whose read succeeded last. */
  const readIn = useRef<number | undefined>(undefined);

  useEffect(() => {
    // Losing the connection changes nothing on the server: what was read stays, not read again.
    if (!online && readIn.current === attempt) return;
    let live = true;
    setReading(true);
    // A list that throws instead of rejecting still ends in the error state, not a broken screen.
    settle(() => list.read()).then(
      (addresses) => {
        if (!live) return;
        readIn.current = attempt;
        setBlocked([...addresses].sort((a, b) => a.localeCompare(b)));
        setReadFailed(false);
        setError(undefined);
        setReading(false);
      },
      (failure: unknown) => {
        if (!live) return;
        setReadFailed(true);
        setError(toHushError(failure));
        setReading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [list, online, attempt]);

  const unblock = (jid: string) => {
    setBusy(jid);
    setError(undefined);
    settle(() => list.unblock(jid)).then(
      () => {
        setBusy(undefined);
        setBlocked((current) => current?.filter((address) => address !== jid));
      },
      (failure: unknown) => {
        setBusy(undefined);
        setError(toHushError(failure));
      },
    );
  };

  return (
    <View style={styles.card} testID="blocked">
      <Text style={styles.label} accessibilityRole="header">
        {t('blocked.title')}
      </Text>
      {error ? <ErrorNotice error={error} onDismiss={() => setError(undefined)} /> : null}
      {blocked === undefined ? (
        reading ? (
          <Text style={styles.note} testID="blocked-loading">
            {t('common.loading')}
          </Text>
        ) : null
      ) : blocked.length === 0 ? (
        <Text style={styles.note} testID="blocked-none">
          {t('blocked.none')}
        </Text>
      ) : (
        blocked.map((jid) => {
          const name = props.nameOf?.(jid);
          return (
            <View key={jid} style={styles.row} testID={`blocked-${jid}`}>
              <Avatar jid={jid} name={name} size={32} />
              <View style={styles.who}>
                {name ? <Text style={styles.name}>{name}</Text> : null}
                <Text style={name ? styles.address : styles.name} selectable>
                  {jid}
                </Text>
              </View>
              <Button
                title={t('blocked.unblock')}
                kind="secondary"
                busy={busy === jid}
                disabled={busy !== undefined && busy !== jid}
                onPress={() => unblock(jid)}
                accessibilityLabel={t('blocked.unblockLabel', { name: name ?? jid })}
                testID={`unblock-${jid}`}
              />
            </View>
          );
        })
      )}
      {readFailed && !reading ? (
        <Button
          title={t('common.retry')}
          kind="secondary"
          onPress={() => setAttempt((n) => n + 1)}
          accessibilityLabel={t('blocked.retryLabel')}
          testID="blocked-retry"
        />
      ) : null}
      <Text style={styles.note}>{t('blocked.note')}</Text>
    </View>
  );
}

const settle = async <T,>(work: () => Promise<T>): Promise<T> => work();

const styles = StyleSheet.create({
  card,
  label: { color: colors.muted },
  note: { color: colors.muted, fontSize: 13 },
  row: { flexDirection: 'row', alignItems: 'center', gap: space.s },
  who: { flex: 1, gap: 2 },
  name: { color: colors.text },
  address: { color: colors.muted, fontSize: 12 },
});
