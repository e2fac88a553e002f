-- Hush: the size limit and each account's daily quota for the S3 mode, where Prosody's community
-- module mod_http_upload_external hands out the slots and Hush's upload service
-- (packages/upload-service) stores the files. Loaded on the same component, this module sees a slot
-- request first and answers the refusals as mod_http_file_share does, so clients show the same
-- errors in both modes:
-- - larger than the limit: modify/not-acceptable with <file-too-large><max-file-size>, which
--   mod_http_upload_external would send too, but its reply fails on Prosody 13 (it passes the
--   <file-too-large/> element where Prosody now takes the error's "by" address) and the client
--   is left without an answer;
-- - the account's slots of the last 24 hours plus this one past the quota: wait/resource-constraint
--   (mod_http_upload_external keeps no quota). A slot counts when it is handed out, uploaded or not,
--   as in mod_http_file_share. Kept in the component's storage, so a restart forgets nothing.
--
--   hush_upload_size_limit = bytes      (the limit given to mod_http_upload_external)
--   hush_upload_daily_quota = bytes     (0: no quota)

local st = require "util.stanza";
local jid = require "util.jid";

local size_limit = module:get_option_integer("hush_upload_size_limit", 10 * 1024 * 1024, 0);
local daily_quota = module:get_option_integer("hush_upload_daily_quota", 100 * 1024 * 1024, 0);
local DAY = 86400;

-- user@host -> { { t = seconds, s = bytes }, ... } for the last 24 hours
local store = module:open_store("hush_upload_quota");

local function handle(event, xmlns, filesize)
	local origin, stanza = event.origin, event.stanza;
	-- mod_http_upload_external refuses the rest (other senders, a missing size or a bad name).
	if origin.type ~= "c2s" or not filesize or filesize < 0 then
		return nil;
	end
	if filesize > size_limit then
		local reply = st.error_reply(stanza, "modify", "not-acceptable", "File too large");
		reply:tag("file-too-large", { xmlns = xmlns })
			:tag("max-file-size"):text(tostring(size_limit));
		origin.send(reply);
		return true;
	end
	if daily_quota == 0 then return nil; end
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

local namespace, legacy_namespace = "urn:xmpp:http:upload:0", "urn:xmpp:http:upload";

module:hook("iq/host/" .. namespace .. ":request", function (event)
	return handle(event, namespace, tonumber(event.stanza.tags[1].attr.size));
end, 10);

module:hook("iq/host/" .. legacy_namespace .. ":request", function (event)
	return handle(event, legacy_namespace, tonumber(event.stanza.tags[1]:get_child_text("size")));
end, 10);
