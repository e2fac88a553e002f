-- Messages for an account with no device online live in the archive only, and expire with it.
--
-- Prosody's mod_offline keeps a second copy of each such message and pushes it to the next device
-- that comes online, deleting it then. Hush's clients catch up from the archive (XEP-0313) instead,
-- so those copies were never pushed, never deleted and never expired: a plain client logging in
-- months later would still be handed them. The template disables mod_offline; this module
--
--  * drops what mod_mam did not archive (chat states, <no-store/> hints, a message to a
--    recipient whose archive preferences refuse it): there is no one to give it to, and an error
--    would only tell the sender that the other person is offline, which presence already does;
--  * deletes, at start, every copy an earlier mod_offline left behind.
--
-- A client without MAM therefore gets nothing pushed when it comes online: what arrived while it
-- was away is in the archive, for as long as ARCHIVE_EXPIRY keeps it.

-- mod_mam claims archived messages at priority -2 (they carry its <stanza-id/>); what reaches this
-- handler was not archived.
module:hook("message/offline/handle", function (event)
	module:log("debug", "Dropped a message that was not archived for offline %s", event.username);
	return true;
end, -3);

local function purge()
	local store = module:open_store("offline", "archive");
	if not store.users then return end
	local purged = 0;
	for username in store:users() do
		local ok, err = store:delete(username);
		if ok then
			purged = purged + 1;
		else
			module:log("warn", "Could not delete the offline store of %s: %s", username, err);
		end
	end
	if purged > 0 then
		module:log("info", "Deleted the offline copies of %d accounts: messages live in the archive only", purged);
	end
end

module:on_ready(purge);
