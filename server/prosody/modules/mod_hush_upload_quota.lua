-- Hush: each account's daily upload quota for the S3 mode, where Prosody's community module
-- mod_http_upload_external hands out the slots and an external service (packages/upload-service)
-- stores the files. That module checks the size limit only; this one, loaded on the same component,
-- answers a slot request first and refuses it when the account's slots of the last 24 hours plus
-- this one would pass the quota, as mod_http_file_share does (the same error: wait,
-- resource-constraint, which clients show as "quota used up"). A slot counts when it is handed out,
-- uploaded or not, as in mod_http_file_share. Kept in the component's storage, so a restart forgets
-- nothing.
--
--   hush_upload_daily_quota = bytes      (0: no quota)
--   hush_upload_size_limit = bytes       (the limit given to mod_http_upload_external)

local st = require "util.stanza";
local jid = require "util.jid";

local daily_quota = module:get_option_integer("hush_upload_daily_quota", 100 * 1024 * 1024, 0);
local size_limit = module:get_option_integer("hush_upload_size_limit", 10 * 1024 * 1024, 0);
local DAY = 86400;

-- user@host -> { { t = seconds, s = bytes }, ... } for the last 24 hours
local store = module:open_store("hush_upload_quota");

local function handle(event, filesize)
	local origin, stanza = event.origin, event.stanza;
	-- Other modules refuse what is not a local client's well-formed request within the limit; only
	-- such a request can use up quota.
	if daily_quota == 0 or origin.type ~= "c2s" or not filesize or filesize < 0 or filesize > size_limit then
		return nil;
	end
	local user = jid.bare(stanza.attr.from);
	local now = os.time();
	local kept, used = {}, 0;
	for _, entry in ipairs(store:get(user) or {}) do
		if type(entry) == "table" and tonumber(entry.t) and tonumber(entry.s) and entry.t > now - DAY then
			kept[#kept + 1] = entry;
			used = used + entry.s;
		end
	end
	if used + filesize > daily_quota then
		module:log("debug", "Daily upload quota of %s reached", user);
		origin.send(st.error_reply(stanza, "wait", "resource-constraint", "Daily quota reached"));
		return true;
	end
	kept[#kept + 1] = { t = now; s = filesize };
	local ok, err = store:set(user, kept);
	if not ok then
		module:log("error", "Could not record an upload of %s: %s", user, err);
		origin.send(st.error_reply(stanza, "wait", "internal-server-error"));
		return true;
	end
	return nil;
end

module:hook("iq/host/urn:xmpp:http:upload:0:request", function (event)
	local request = event.stanza.tags[1];
	return handle(event, tonumber(request.attr.size));
end, 10);

module:hook("iq/host/urn:xmpp:http:upload:request", function (event)
	local request = event.stanza.tags[1];
	return handle(event, tonumber(request:get_child_text("size")));
end, 10);
