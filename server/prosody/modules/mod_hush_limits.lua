-- Connections: at most hush_connections_per_address open at once from one address (XMPP and
-- HTTPS ports together), and at most hush_unauthenticated_connections XMPP connections that have
-- not logged in yet, server-wide.
--
-- Prosody accepts every connection; one address could hold a thousand idle ones. Its c2s_timeout
-- (the template sets it) closes a stream that has not authenticated in time, and network_settings'
-- ssl_handshake_timeout a TLS handshake that never ends; this module caps how many there are at
-- once. A connection over a cap is closed as soon as it is accepted (for direct TLS, as its
-- handshake starts), before any session exists for it, and the refusal is logged once a minute per
-- address at most. Counting starts at accept and ends at disconnect, on the listeners of the c2s,
-- c2s_direct_tls, https and http services. Websocket connections count per address on the HTTP
-- ports; c2s_timeout bounds their streams too. A trusted proxy (trusted_proxies, e.g. Caddy in the
-- compose deployment) is not capped on the HTTP ports: every web client comes from its address.
module:set_global();

local portmanager = require "prosody.core.portmanager";
local timer = require "prosody.util.timer";
local time = require "prosody.util.time";

local per_address = module:get_option_integer("hush_connections_per_address", 50, 1);
local trusted_proxies = module:get_option_set("trusted_proxies", { "127.0.0.1", "::1" });
local unauthenticated_max = module:get_option_integer("hush_unauthenticated_connections", 500, 1);

local by_address = {};      -- address -> open connections
local tracked = {};         -- conn -> address (false: refused; exempt: a trusted proxy's)
local exempt = {};
local unauthenticated = {}; -- conn -> true, for XMPP connections that have not logged in
local unauthenticated_count = 0;
local last_logged = {};     -- address -> time of the last refusal logged

local function release(conn)
	local address = tracked[conn];
	tracked[conn] = nil;
	if address and address ~= exempt then
		local n = (by_address[address] or 1) - 1;
		by_address[address] = n > 0 and n or nil;
	end
	if unauthenticated[conn] then
		unauthenticated[conn] = nil;
		unauthenticated_count = unauthenticated_count - 1;
	end
end

local function refuse(conn, address, why)
	tracked[conn] = false;
	local now = time.now();
	if (last_logged[address] or 0) < now - 60 then
		last_logged[address] = now;
		module:log("warn", "Refused a connection from IP: %s (%s)", address, why);
	end
	-- Closed from the main loop: the listener that was called is still using the connection.
	timer.add_task(0, function () conn:close(); end);
end

-- Whether `conn` may go on; counts it the first time it is seen.
local function admit(conn, xmpp)
	local seen = tracked[conn];
	if seen ~= nil then return seen ~= false; end
	local address = conn:ip() or "?";
	if not xmpp and trusted_proxies:contains(address) then
		tracked[conn] = exempt; -- seen, not counted
		return true;
	end
	if (by_address[address] or 0) >= per_address then
		refuse(conn, address, ("%d connections from this address"):format(per_address));
		return false;
	end
	if xmpp and unauthenticated_count >= unauthenticated_max then
		refuse(conn, address, ("%d connections not logged in"):format(unauthenticated_max));
		return false;
	end
	tracked[conn] = address;
	by_address[address] = (by_address[address] or 0) + 1;
	if xmpp then
		unauthenticated[conn] = true;
		unauthenticated_count = unauthenticated_count + 1;
	end
	return true;
end

local wrapped = setmetatable({}, { __mode = "k" });

local function wrap(listener, xmpp)
	if not listener or wrapped[listener] then return end
	wrapped[listener] = true;
	local onconnect, onstarttls, ondisconnect = listener.onconnect, listener.onstarttls, listener.ondisconnect;
	function listener.onconnect(conn, ...)
		-- A websocket's HTTP connection comes back here when it upgrades: already counted.
		if admit(conn, xmpp) and onconnect then return onconnect(conn, ...); end
	end
	function listener.onstarttls(conn, ...)
		if admit(conn, xmpp) and onstarttls then return onstarttls(conn, ...); end
	end
	function listener.ondisconnect(conn, ...)
		release(conn);
		if ondisconnect then return ondisconnect(conn, ...); end
	end
end

module:on_ready(function ()
	for _, name in ipairs({ "c2s", "c2s_direct_tls" }) do
		local service = portmanager.get_service(name);
		wrap(service and service.listener, true);
	end
	for _, name in ipairs({ "https", "http" }) do
		local service = portmanager.get_service(name);
		wrap(service and service.listener, false);
	end
end);

-- A login ends a connection's unauthenticated time.
function module.add_host(host_module)
	host_module:hook("authentication-success", function (event)
		local conn = event.session and event.session.conn;
		if conn and unauthenticated[conn] then
			unauthenticated[conn] = nil;
			unauthenticated_count = unauthenticated_count - 1;
		end
	end);
end
