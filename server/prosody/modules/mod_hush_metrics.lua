-- The figures `hush-server stats` prints, on Prosody's OpenMetrics endpoint (mod_http_openmetrics,
-- /metrics, answered to this machine only): accounts and logged-in sessions of the host. The third,
-- the space uploaded files take, is mod_http_file_share's own
-- prosody_mod_http_file_share__total_storage_bytes{host="upload.DOMAIN"}.
--
--   prosody_mod_hush_metrics__accounts{host="DOMAIN"}
--   prosody_mod_hush_metrics__online_sessions{host="DOMAIN"}
local usermanager = require "prosody.core.usermanager";

local accounts = module:metric("gauge", "accounts", "", "Accounts on this host"):with_labels();
local online = module:metric("gauge", "online_sessions", "", "Logged-in client sessions (devices online)")
	:with_labels();

-- Counted when the metrics are collected (each scrape), not on every login.
module:hook_global("stats-update", function ()
	local count = 0;
	for _ in usermanager.users(module.host) do count = count + 1; end
	accounts:set(count);
	local sessions = 0;
	for _, user in pairs(prosody.hosts[module.host].sessions or {}) do
		for _ in pairs(user.sessions or {}) do sessions = sessions + 1; end
	end
	online:set(sessions);
end);
