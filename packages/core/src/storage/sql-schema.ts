// The SQLite schema of Hush storage, for core's SQLite storage (sql.ts) on every platform's driver:
// node:sqlite in @hush/storage-node, expo-sqlite in the app, so a database moves between the CLI and
// the app unchanged. sql.ts's migrate() applies these migrations in order.
//
// Rules, so any version of Hush opens any other version's database:
// 1. Migrations only ADD: tables, columns, indexes. Never drop, rename or retype anything, never
//    change what a stored value means, and never edit a migration once it has shipped — append one.
// 2. An added column is nullable or has a DEFAULT, so rows written by an older version (which does
//    not know the column) stay valid.
// 3. Code names every column it reads and writes, and updates rows in place (INSERT … ON CONFLICT DO
//    UPDATE, never INSERT OR REPLACE, which deletes the row and with it the columns a newer version
//    added). So an older Hush works on a newer database: it sees a schema_version above its own,
//    applies nothing and ignores what it does not know.
// schema_version holds one row per applied migration; the database's version is the highest.
export const migrations: readonly string[] = [
  // 1: accounts and messages. Unique indexes are the deduplication: a message is stored once per
  // account by local id, by the archive's stanza-id and by (peer, origin-id) (XEP-0359). NULLs never
  // collide in a SQLite unique index; the WHERE clauses only keep the indexes small.
  `CREATE TABLE accounts (
     jid TEXT PRIMARY KEY NOT NULL,
     service TEXT NOT NULL,
     password TEXT,
     resource TEXT NOT NULL
   );
   CREATE TABLE messages (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL,
     account TEXT NOT NULL,
     peer TEXT NOT NULL,
     direction TEXT NOT NULL,
     body TEXT NOT NULL,
     timestamp INTEGER NOT NULL,
     origin_id TEXT,
     stanza_id TEXT,
     state TEXT NOT NULL,
     failure_code TEXT,
     failure_message TEXT,
     encrypted INTEGER NOT NULL
   );
   CREATE UNIQUE INDEX messages_by_id ON messages (account, id);
   CREATE UNIQUE INDEX messages_by_stanza_id ON messages (account, stanza_id)
     WHERE stanza_id IS NOT NULL;
   CREATE UNIQUE INDEX messages_by_origin_id ON messages (account, peer, origin_id)
     WHERE origin_id IS NOT NULL;
   CREATE INDEX messages_by_conversation ON messages (account, peer, timestamp, seq);`,

  // 2: where MAM catch-up resumes, and the outbox of stanzas awaiting the server's ack.
  `ALTER TABLE accounts ADD COLUMN mam_last_stanza_id TEXT;
   CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL,
     account TEXT NOT NULL,
     message_id TEXT NOT NULL,
     stanza_xml TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     next_attempt_at INTEGER NOT NULL
   );
   CREATE UNIQUE INDEX outbox_by_id ON outbox (account, id);
   CREATE INDEX outbox_by_creation ON outbox (account, created_at, seq);`,

  // 3: OMEMO. This device's identity and prekeys for each account, its Signal sessions with other
  // devices, and the devices it knows with their trust. Keys are BLOBs of the exact bytes; a
  // device's identity_key is NULL until a bundle or message brings it.
  `CREATE TABLE omemo_identities (
     account TEXT PRIMARY KEY NOT NULL,
     device_id INTEGER NOT NULL,
     registration_id INTEGER NOT NULL,
     public_key BLOB NOT NULL,
     private_key BLOB NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE omemo_prekeys (
     account TEXT NOT NULL,
     key_id INTEGER NOT NULL,
     public_key BLOB NOT NULL,
     private_key BLOB NOT NULL,
     PRIMARY KEY (account, key_id)
   );
   CREATE TABLE omemo_signed_prekeys (
     account TEXT NOT NULL,
     key_id INTEGER NOT NULL,
     public_key BLOB NOT NULL,
     private_key BLOB NOT NULL,
     signature BLOB NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (account, key_id)
   );
   CREATE INDEX omemo_signed_prekeys_by_creation
     ON omemo_signed_prekeys (account, created_at, key_id);
   CREATE TABLE omemo_sessions (
     account TEXT NOT NULL,
     jid TEXT NOT NULL,
     device_id INTEGER NOT NULL,
     record TEXT NOT NULL,
     PRIMARY KEY (account, jid, device_id)
   );
   CREATE TABLE omemo_devices (
     account TEXT NOT NULL,
     jid TEXT NOT NULL,
     device_id INTEGER NOT NULL,
     identity_key BLOB,
     trust TEXT NOT NULL,
     active INTEGER NOT NULL,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     PRIMARY KEY (account, jid, device_id)
   );`,

  // 4: encrypted files waiting to be uploaded and sent (XEP-0454), so a restart loses none. The
  // ciphertext (up to the server's upload limit, MBs) sits in the row beside its key and IV, so one
  // commit keeps all three or none. seq keeps the order of putting, as in the outbox; url is NULL
  // until the upload succeeds.
  `CREATE TABLE pending_uploads (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL,
     account TEXT NOT NULL,
     peer TEXT NOT NULL,
     ciphertext BLOB NOT NULL,
     key BLOB NOT NULL,
     iv BLOB NOT NULL,
     created_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL,
     url TEXT
   );
   CREATE UNIQUE INDEX pending_uploads_by_id ON pending_uploads (account, id);
   CREATE INDEX pending_uploads_by_creation ON pending_uploads (account, created_at, seq);`,

  // 5: the saved login (SCRAM keys, FAST token, client id; xmpp/saved-login.ts's text) that replaces
  // the password: a device keeps this and never the password. The password column stays (rule 1),
  // NULL from here on; an older version's password is erased by the first login.
  `ALTER TABLE accounts ADD COLUMN saved_login TEXT;`,

  // 6: a file message's description (XEP-0447: name, media type, size, SHA-256, voice length), with
  // the message and with the file waiting to be sent. All NULL for text, for files that came
  // without one, and for every row written before; file_name is NULL exactly when there is none.
  `ALTER TABLE messages ADD COLUMN file_name TEXT;
   ALTER TABLE messages ADD COLUMN file_media_type TEXT;
   ALTER TABLE messages ADD COLUMN file_size INTEGER;
   ALTER TABLE messages ADD COLUMN file_sha256 BLOB;
   ALTER TABLE messages ADD COLUMN file_duration_ms INTEGER;
   ALTER TABLE pending_uploads ADD COLUMN file_name TEXT;
   ALTER TABLE pending_uploads ADD COLUMN file_media_type TEXT;
   ALTER TABLE pending_uploads ADD COLUMN file_size INTEGER;
   ALTER TABLE pending_uploads ADD COLUMN file_sha256 BLOB;
   ALTER TABLE pending_uploads ADD COLUMN file_duration_ms INTEGER;`,
];
