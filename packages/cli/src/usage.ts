export const USAGE = `Usage: hush [--profile NAME] COMMAND

Account
  register <invite> <username> [--service URL]   create an account with an invite link and keep it
  login <user@domain> [--service URL]            log in and keep the account in this profile
  account password                               change the password (the new one as the password input)
  account delete                                 delete the account on the server, with its history
Contacts
  contacts list                                  contacts, with subscription and online state
  contacts add <user@domain> [name]              add, ask to see their presence, and pre-approve them
  contacts add <xmpp:...?roster;preauth=...>     accept a contact invite link
  contacts remove|block|unblock <user@domain>
Messages
  send <user@domain> <text>                      send a text; waits until the server has it (without a
                                                 connection it waits in the outbox: "Queued", exit 0)
  listen [--json]                                print messages as they come (one JSON object a line
                                                 with --json) until Ctrl-C; reconnects on its own, and
                                                 runs every other command on the profile meanwhile
  history <user@domain> [--limit N]              the conversation, oldest first
Files and voice messages (encrypted, XEP-0454; at most 10 MB, voice at most 5 minutes)
  send-file <user@domain> <path>                 encrypt, upload and send a file
  send-voice <user@domain> <audio file>          the same for a recording (M4A/AAC, Ogg, WebM or
                                                 MP4 with Opus); its length is checked first
  listen [--files DIR]                           also downloads, decrypts and checks incoming files
                                                 into DIR (default: the profile's files folder)
Encryption (OMEMO, on by default; --plain sends and reads without it, for plain-text bots only)
  fingerprints [user@domain]                     this device's fingerprint and verification URI, or
                                                 the fingerprints of someone's devices
  devices                                        this account's devices
  trust <user@domain> <fingerprint>              trust a device (also after its key changed)
  distrust <user@domain> <fingerprint>           stop encrypting for a device
  verify <xmpp:...?omemo-sid-N=FINGERPRINT>      mark the devices a scanned code names verified
  verify <user@domain> <fingerprint>             mark one device verified after comparing by hand

The password is read from HUSH_PASSWORD, or else as one line from standard input.
--profile: a folder of its own below HUSH_HOME (default ~/.local/state/hush) per account (default
           "default"). --service: wss://host/xmpp-websocket, xmpps://host:5223 or xmpp://host:5222
           (default wss://DOMAIN/xmpp-websocket). Trust a private CA with NODE_EXTRA_CA_CERTS=ca.crt.
Exit codes: 0 ok, 1 unexpected error, 2 usage (also a file to send that cannot be read), 3 wrong
password, 4 refused (invite, sign-up, address, file), 5 server unreachable, certificate not trusted
or no answer, 6 no account in the profile, 7 message not sent, 8 profile busy.`;
