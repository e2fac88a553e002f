-- Failed logins: slowed down, counted per address and per account, blocked for a while, logged for
-- fail2ban, and answered alike whether the account exists or not.
--
-- Prosody answers a wrong password at once and lets one stream try again and again, and its
-- community modules only count connections (mod_c2s_conn_throttle) or log (mod_log_auth). This
-- module covers plain SASL and SASL2 (both fire authentication-failure, both ask the same SASL
-- profile for credentials):
--
--  * Every failed login is answered after a delay counted from the moment the attempt arrived:
--    hush_auth_failure_delay seconds, doubling with each failure of the address or of the account
--    within hush_auth_window, up to hush_auth_max_delay. A correct login is never delayed. The
--    stream is paused meanwhile (Prosody's async runner), so a guesser cannot pipeline.
--  * After hush_auth_address_failures failures from one address, or hush_auth_account_failures on
--    one account (from anywhere), the address or the account is refused for hush_auth_block:
--    every attempt fails, even with the right password. An account block spares the addresses
--    that logged into that account before, so a guesser cannot lock a person out of their own
--    devices; a token login (FAST) is never blocked (tokens are not guessable).
--  * A stream is closed after hush_auth_stream_failures failures.
--  * An unknown account looks like an existing one: SCRAM gets a salt (stable per name) and an
--    iteration count as for a real account and fails at the proof, and the answer waits for the
--    same delay, so neither the exchange nor its timing tells whether the account exists.
--  * Each failure is logged at warn level, with the address, in the line mod_log_auth uses:
--    "Failed authentication attempt (CONDITION) for user USER@HOST from IP: ADDRESS"
--    (server/deploy/fail2ban has the filter and the jail).
local async = require "prosody.util.async";
local cache = require "prosody.util.cache";
local hashes = require "prosody.util.hashes";
local random = require "prosody.util.random";
local time = require "prosody.util.time";
local timer = require "prosody.util.timer";
local hex = require "prosody.util.hex";

local failure_delay = module:get_option_number("hush_auth_failure_delay", 1, 0);
local max_delay = module:get_option_number("hush_auth_max_delay", 8, 0);
local window = module:get_option_period("hush_auth_window", "15 minutes");
local address_limit = module:get_option_integer("hush_auth_address_failures", 10, 1);
local account_limit = module:get_option_integer("hush_auth_account_failures", 20, 1);
local block_time = module:get_option_period("hush_auth_block", "15 minutes");
local stream_limit = module:get_option_integer("hush_auth_stream_failures", 3, 1);
local iteration_count = module:get_option_integer("default_iteration_count", 10000, 4096);

-- Counters in memory, bounded: the oldest entries go first.
local counters = cache.new(module:get_option_integer("hush_auth_tracked", 10000, 100));
-- Addresses each account logged in from (account -> { address -> time }), to spare them a block.
local known = cache.new(module:get_option_integer("hush_auth_tracked", 10000, 100));

-- A secret per server (kept across restarts) for the salts of accounts that do not exist, made
-- when first needed.
local store = module:open_store("hush_guard");
local secret;
local function salt_secret()
	if secret then return secret; end
	local saved = store:get(nil) or {};
	secret = saved.salt_secret;
	if not secret then
		secret = hex.encode(random.bytes(32));
		saved.salt_secret = secret;
		store:set(nil, saved);
	end
	return secret;
end

local function entry(key, now)
	local found = counters:get(key);
	if found and (found.blocked_until or 0) <= now and now - found.since > window then
		found = nil; -- an old run of failures is forgotten
	end
	return found;
end

local function blocked(key, now)
	local found = entry(key, now);
	return found and (found.blocked_until or 0) > now;
end

-- Counts one failure; returns how many there were in the window.
local function count(key, now, limit)
	local found = entry(key, now);
	if not found then
		found = { count = 0, since = now };
		counters:set(key, found);
	end
	found.count = found.count + 1;
	if found.count >= limit and (found.blocked_until or 0) <= now then
		found.blocked_until = now + block_time;
		found.since = now;
		local what = key:gsub("^ip:", "from "):gsub("^user:", "to ");
		module:log("warn", "Blocking logins %s for %d s after %d failures", what, block_time, found.count);
	end
	return found.count;
end

local function trusted(username, address)
	local addresses = known:get(username);
	return addresses and address and addresses[address] ~= nil;
end

-- Why a login by `username` on `session` is refused without looking at the password, if it is.
local function refusal(session, username)
	local now = time.now();
	if session.ip and blocked("ip:" .. session.ip, now) then return "address blocked"; end
	if username and blocked("user:" .. username, now) and not trusted(username, session.ip) then
		return "account blocked";
	end
end

-- Prosody's own salts are UUIDs: so are these, derived from the name.
local function fake_salt(username)
	local h = hex.encode(hashes.hmac_sha256(salt_secret(), username));
	return ("%s-%s-4%s-a%s-%s"):format(h:sub(1, 8), h:sub(9, 12), h:sub(14, 16), h:sub(18, 20), h:sub(21, 32));
end

local key_sizes = { scram_sha_1 = 20, scram_sha_256 = 32, scram_sha_512 = 64 };

local function guard(session, handler)
	if not handler or handler.hush_guarded or type(handler.profile) ~= "table" then return end
	local original = handler.profile;
	local profile = {};
	for key, value in pairs(original) do profile[key] = value; end
	if original.plain_test then
		profile.plain_test = function (sasl, username, ...)
			local why = refusal(session, username);
			if why then
				session.hush_refusal = why;
				return false, true;
			end
			return original.plain_test(sasl, username, ...);
		end
	end
	for name, size in pairs(key_sizes) do
		local credentials = original[name];
		if credentials then
			profile[name] = function (sasl, username, ...)
				local why = refusal(session, username);
				local stored_key, server_key, iterations, salt, enabled;
				if why then
					session.hush_refusal = why;
				else
					stored_key, server_key, iterations, salt, enabled = credentials(sasl, username, ...);
				end
				if stored_key == nil or enabled == nil then
					-- No such account (or refused): a challenge like a real one, a proof that fails.
					return random.bytes(size), random.bytes(size), iteration_count, fake_salt(username or ""), true;
				end
				return stored_key, server_key, iterations, salt, enabled;
			end
		end
	end
	handler.profile = profile;
	handler.hush_guarded = true;
end

-- After mod_saslauth and mod_sasl2 made the session's SASL handler (a failure keeps its profile).
module:hook("stream-features", function (event)
	local session = event.origin;
	if session.type == "c2s_unauthed" then guard(session, session.sasl_handler); end
end, -100);

-- The clock for the answer starts when the attempt arrives.
local function started(event)
	event.origin.hush_auth_started = time.now();
end
for _, name in ipairs({
	"stanza/urn:ietf:params:xml:ns:xmpp-sasl:auth", "stanza/urn:ietf:params:xml:ns:xmpp-sasl:response",
	"stanza/urn:xmpp:sasl:2:authenticate", "stanza/urn:xmpp:sasl:2:response",
}) do
	module:hook(name, started, 1000);
end

local function printable(text)
	return (tostring(text or "?"):sub(1, 128):gsub("[%c%s]", "?"));
end

module:hook("authentication-failure", function (event)
	local session = event.session;
	local handler = session.sasl_handler;
	local now = time.now();
	local address = session.ip or "?";
	local username = handler and handler.username;
	local why = session.hush_refusal;
	session.hush_refusal = nil;
	-- mod_saslauth names the condition event.condition, mod_sasl2 event.message.
	local condition = event.condition or event.message or "not-authorized";

	local failures = count("ip:" .. address, now, address_limit);
	if username then failures = math.max(failures, count("user:" .. username, now, account_limit)); end
	session.hush_failures = (session.hush_failures or 0) + 1;
	module:log("warn", "Failed authentication attempt (%s) for user %s@%s from IP: %s",
		why and why:gsub(" ", "-") or printable(condition), printable(username), module.host, address);

	if why then
		local text = "Too many failed logins: try again later";
		event.text, event.error_text = text, text;
	end
	local close = why or session.hush_failures >= stream_limit;

	local delay = math.min(failure_delay * 2 ^ (failures - 1), max_delay);
	local wait = (session.hush_auth_started or now) + delay - time.now();
	if wait > 0 and async.ready() then
		async.sleep(wait);
		-- The connection may have gone meanwhile; the caller still needs the handler.
		if session.destroyed and handler then rawset(session, "sasl_handler", handler); end
	end
	if close and not session.destroyed then
		-- After the failure itself is sent.
		timer.add_task(0, function ()
			if not session.destroyed then
				session:close({ condition = "policy-violation", text = "Too many failed logins" });
			end
		end);
	end
end);

module:hook("authentication-success", function (event)
	local session = event.session;
	if not (session.username and session.ip) then return end
	local addresses = known:get(session.username) or {};
	addresses[session.ip] = time.now();
	known:set(session.username, addresses);
end);
