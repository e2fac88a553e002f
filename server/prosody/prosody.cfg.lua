-- Hush: the one Prosody configuration template.
--
-- Do not edit a rendered copy by hand: render it with server/prosody/render.sh, which replaces each
-- upper-case name between at-signs below with a checked value (render.sh --help lists the names,
-- their meaning and defaults).
-- The same template serves the native install (server/deploy/init.sh), the compose deployment
-- (server/deploy/docker-compose.yml) and every integration test (packages/test-utils), so the tests
-- exercise the production configuration, not a look-alike.
--
-- Prosody 13 documentation: https://prosody.im/doc/configure

local domain = "@DOMAIN@"
local public_url = "@PUBLIC_URL@"           -- https base URL people and clients reach (wss, uploads)
local behind_proxy = @BEHIND_PROXY@         -- true: a TLS proxy on a trusted address fronts HTTP
local c2s_addresses = { @INTERFACES@ }
local http_addresses = { @HTTP_INTERFACES@ }
local web_dir = "@WEB_DIR@"                 -- the web app's files, or "" when another server has them
-- Read by hush-server: true when the web app answers at public_url, so invites get an https link.
local web_app = @WEB_APP@

---------- Process ----------
pidfile = "@PID_FILE@"
data_path = "@DATA_DIR@"
plugin_paths = { "@PLUGIN_DIR@" }
-- Prosody refuses to run as root unless told; the tests run it unprivileged or as root in a sandbox.
run_as_root = @RUN_AS_ROOT@

-- Info level records connections, authentication and disconnections, never stanzas or bodies
-- (checked by a test that looks for a message marker in every log file).
local log_level = "@LOG_LEVEL@"
if "@LOG_FILE@" == "console" then
	log = { { levels = { min = log_level }, to = "console" } }
else
	log = { { levels = { min = log_level }, to = "file", filename = "@LOG_FILE@" } }
end

---------- Modules ----------
modules_enabled = {
	-- the basics of an account
	"roster"; "saslauth"; "tls"; "disco"; "ping"; "blocklist";
	-- messaging that survives flaky mobile networks and several devices
	"carbons";      -- XEP-0280: every device sees both sides of a chat
	"mam";          -- XEP-0313: history, and delivery to accounts that were offline
	"smacks";       -- XEP-0198: stream management with resumption
	"csi_simple";   -- XEP-0352: hold back unimportant traffic for idle clients
	"pep";          -- XEP-0163: OMEMO device lists and bundles
	"vcard_legacy"; -- avatars and nicknames that other clients publish
	-- invite-only sign-up; a deleted account's name is never given out again, and its former
	-- contacts are told it is gone (Prosody 13's mod_tombstones)
	"register"; "invites"; "invites_register"; "invites_adhoc"; "tombstones";
	-- the app's transport
	"websocket";
	-- operations
	"limits"; "admin_shell";
	"http_openmetrics"; -- /metrics for operators, from this machine only (below)
	-- Hush's own (server/prosody/modules)
	"hush_offline"; -- nothing outlives the archive's retention
	"hush_guard";   -- failed logins: delayed, counted, blocked, logged for fail2ban, alike for all
	"hush_limits";  -- connections per address, connections not logged in
	"hush_http";    -- HTTP errors: plain pages, security headers, GET and HEAD only
	"hush_metrics"; -- accounts and online sessions for /metrics
	"hush_omemo_compat"; -- OMEMO clients as they are: publish-options on the domain, OMEMO nodes
	                     -- open, a first device list
}
-- Prosody's community modules (Debian's prosody-modules, on Prosody's plugin path): XEP-0388 SASL2,
-- XEP-0386 Bind 2 and XEP-0484 FAST, with stream management inline. Clients that ask get a login in
-- one round trip and a token for the next one; every other client keeps plain SASL and resource
-- binding. XEP-0377 spam reports: a person who blocks a stranger as spam tells the operators too
-- (logged, and sent to the admins by mod_watch_spam_reports). Off where the modules are not
-- installed (the official container image has none).
if @COMMUNITY_MODULES@ then
	modules_enabled:append {
		"sasl2"; "sasl2_bind2"; "sasl2_sm"; "sasl2_fast";
		"spam_reporting"; "watch_spam_reports";
	}
end
-- No federation by default: the deployment serves one domain. No offline store: messages for an
-- account with no device online are kept in the archive only, and expire with it (mod_hush_offline).
modules_disabled = { "s2s"; "offline" }

---------- Network ----------
interfaces = c2s_addresses
c2s_ports = { @C2S_PORT@ }
c2s_direct_tls_ports = { @C2S_TLS_PORT@ }
-- Larger reads make a 10 MB upload take ~0.15 s instead of 2-4 s.
network_default_read_size = @NETWORK_READ_SIZE@

---------- TLS, authentication, sign-up ----------
ssl = { certificate = "@CERT@"; key = "@KEY@"; }
-- Where Prosody looks for further certificates: the folder of the one above.
certificates = ("@CERT@"):match("^(.*)/")
c2s_require_encryption = true
allow_unencrypted_plain_auth = false
authentication = "internal_hashed"
-- OAUTHBEARER (Prosody 13 offers it for its own tokens) is not used by Hush's clients.
disable_sasl_mechanisms = { "DIGEST-MD5"; "OAUTHBEARER" }
-- One credential family is stored per account; SHA-256 makes the server offer SCRAM-SHA-256.
password_hash = "SHA-256"

allow_registration = true
registration_invite_only = true
invite_expiry = @INVITE_EXPIRY@

---------- Limits ----------
limits = {
	c2s = { rate = "@C2S_RATE@"; burst = "@C2S_BURST@"; };
}
-- A stream that has not logged in after this long is closed (plain, TLS and websocket alike), and so
-- is a TLS handshake that takes longer than 10 s.
c2s_timeout = @AUTH_TIMEOUT@
network_settings = { ssl_handshake_timeout = 10; }
-- Open connections from one address (XMPP and HTTPS together; a household behind one address has
-- a few devices and browsers), and XMPP connections not logged in yet, server-wide.
hush_connections_per_address = @CONNECTIONS_PER_ADDRESS@
hush_unauthenticated_connections = @UNAUTHENTICATED_CONNECTIONS@
-- Failed logins (mod_hush_guard): the answer waits AUTH_FAILURE_DELAY seconds, doubling with each
-- failure of the address or the account within 15 minutes, up to 8 s; after AUTH_ADDRESS_FAILURES
-- from one address or AUTH_ACCOUNT_FAILURES on one account, it is blocked for 15 minutes (an account
-- block spares the addresses that logged into it before); a stream is closed after 3 failures.
hush_auth_failure_delay = @AUTH_FAILURE_DELAY@
hush_auth_max_delay = 8
hush_auth_window = "15 minutes"
hush_auth_address_failures = @AUTH_ADDRESS_FAILURES@
hush_auth_account_failures = @AUTH_ACCOUNT_FAILURES@
hush_auth_block = "15 minutes"
hush_auth_stream_failures = 3

---------- Metrics ----------
-- Prosody's OpenMetrics endpoint, https://DOMAIN:HTTPS_PORT/metrics, answers this machine only (an
-- address behind the proxy is the client's, so a proxied request is refused too).
statistics = "internal"
-- Collected when scraped, so a scrape shows the figures of that moment.
statistics_interval = "manual"
openmetrics_allow_ips = { "127.0.0.1"; "::1" }

---------- Push (XEP-0357) ----------
-- Prosody's mod_cloud_notify wakes a device whose app is closed through the app server it chose
-- (Hush's push gateway below, or another client's own, such as Conversations'). A notification says
-- only that something arrived: never the body, never the sender. For an encrypted or any message
-- with a body it carries a fixed text that marks it as worth showing; nothing else of the message.
if @PUSH@ then
	modules_enabled:append { "cloud_notify" }
end
push_notification_with_body = false
push_notification_with_sender = false
push_notification_important_body = "New message"
-- Hush's push gateway (packages/push-gateway), an XMPP component on this machine that turns each
-- notification into a content-free wake-up through Expo, Web Push or UnifiedPush.
component_ports = { @COMPONENT_PORT@ }
component_interfaces = { @COMPONENT_INTERFACES@ }
local push_secret_file = "@PUSH_SECRET_FILE@" -- the secret is read from it, never written here

---------- History ----------
default_archive_policy = true
-- Pages of 250 (Prosody's default is 50) make a catch-up after days offline take fewer round trips.
max_archive_query_results = 250
archive_expires_after = "@ARCHIVE_EXPIRY@"

---------- HTTP: websocket and uploads ----------
http_interfaces = http_addresses
https_interfaces = http_addresses
https_ports = { @HTTPS_PORT@ }
http_ports = { @HTTP_PORT@ }
http_external_url = public_url
if behind_proxy then
	-- The proxy terminates TLS; only then may plain websocket connections count as secure.
	consider_websocket_secure = true
	trusted_proxies = { @TRUSTED_PROXIES@ }
end

-- Error pages and answers that name no server software, with security headers (mod_hush_http).
-- Strict-Transport-Security: seconds (none on localhost by default: a browser would then insist on
-- https for every local port).
hush_hsts_max_age = @HSTS_MAX_AGE@
websocket_get_response_text = "This is a WebSocket endpoint."
-- In S3 mode (UPLOAD_STORAGE, below) files come and go through the upload service at UPLOAD_URL,
-- another origin than the web app's: the origin its pages may connect to besides their own.
hush_web_connect_sources = ("@UPLOAD_STORAGE@" == "s3") and { (("@UPLOAD_URL@"):match("^https://[^/]+")) } or {}

VirtualHost (domain)
if web_dir ~= "" then
	-- The web app at https://DOMAIN/ (Hush's mod_hush_web), beside the websocket and the uploads. Host
	-- modules add to the global ones.
	modules_enabled = { "hush_web" }
	hush_web_dir = web_dir
end

-- Where uploaded files live (UPLOAD_STORAGE): "disk", Prosody's data directory, or "s3", a bucket.
-- Either way clients get the same upload component, limit, quota and errors.
local upload_storage = "@UPLOAD_STORAGE@"
if upload_storage == "s3" then
	-- Prosody hands out the slots (mod_http_upload_external, from prosody-modules) and never sees
	-- a file: Hush's upload service (packages/upload-service) at UPLOAD_URL checks each PUT against
	-- the slot's HMAC, streams it into the bucket, serves it back and deletes it after UPLOAD_EXPIRY.
	-- The secret is read from its file here, so the rendered configuration holds none.
	Component ("upload." .. domain) "http_upload_external"
		http_upload_external_base_url = "@UPLOAD_URL@"
		http_upload_external_secret = FileLine("@UPLOAD_SECRET_FILE@")
		http_upload_external_protocol = "v2"
		http_upload_external_file_size_limit = @UPLOAD_LIMIT@
		-- The size-limit refusal and each account's daily quota, as mod_http_file_share answers them
		-- (mod_hush_upload_limits).
		modules_enabled = { "hush_upload_limits" }
		hush_upload_daily_quota = @UPLOAD_DAILY_QUOTA@
		hush_upload_size_limit = @UPLOAD_LIMIT@
else
	-- One name and one certificate: the upload service answers on the main domain's HTTP host.
	Component ("upload." .. domain) "http_file_share"
		http_host = domain
		http_external_url = public_url
		http_file_share_size_limit = @UPLOAD_LIMIT@
		http_file_share_expires_after = @UPLOAD_EXPIRY@
		http_file_share_daily_quota = @UPLOAD_DAILY_QUOTA@
		http_file_share_global_quota = @UPLOAD_GLOBAL_QUOTA@
end

-- The push gateway's address, when it is installed (its secret made at install, in a file).
if push_secret_file ~= "" then
	Component ("push." .. domain)
		component_secret = FileLine(push_secret_file)
end
