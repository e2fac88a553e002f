-- Every HTTP answer that is not a file or a websocket: a plain page that names no server software,
-- with the same security headers as the web app (Content-Security-Policy, nosniff, no referrer, no
-- framing, and Strict-Transport-Security over HTTPS), and 405 for a method other than GET or HEAD
-- on a path nothing handles.
--
-- Prosody's mod_http_errors answers errors with its own page, and any method on "/" with
-- "Prosody is running!" (200); mod_websocket answers a plain GET with a page naming Prosody. This
-- module answers first (higher priority), for errors (http-error) and for those pages
-- (http-message).
module:set_global();

local server = require "prosody.net.http.server";
local codes = require "prosody.net.http.codes";

-- The web app's policy (mod_hush_web): an error page has no script, style or frame of its own, but
-- the same policy keeps any reflected text inert.
local content_security_policy = module:get_option_string("hush_content_security_policy",
	"default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
-- Seconds; 0 sends no Strict-Transport-Security (for localhost, where a browser would otherwise
-- insist on https for every port of it).
local hsts_max_age = module:get_option_integer("hush_hsts_max_age", 31536000, 0);

local function secure_headers(request, response)
	local headers = response.headers;
	headers.content_security_policy = headers.content_security_policy or content_security_policy;
	headers.x_content_type_options = "nosniff";
	headers.referrer_policy = "no-referrer";
	headers.x_frame_options = "DENY";
	if hsts_max_age > 0 and request and request.secure then
		headers.strict_transport_security = ("max-age=%d"):format(hsts_max_age);
	end
end

local function page(code)
	local title = codes[code] or ("%d Error"):format(code);
	return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title></head><body><h1>%s</h1></body></html>\n')
		:format(title, title);
end

module:hook_object_event(server, "http-error", function (event)
	local request, response = event.request, event.response;
	local code = event.code or 500;
	if not response then return page(code); end
	if code == 404 and request and request.method ~= "GET" and request.method ~= "HEAD" then
		code = 405;
		response.headers.allow = "GET, HEAD";
	end
	response.status_code = code;
	response.headers.content_type = "text/html; charset=utf-8";
	secure_headers(request, response);
	return page(code);
end, 10);

-- mod_websocket's answer to a request that is not a websocket upgrade (fired where mod_websocket
-- runs: globally, or on a host).
local function message_page(event)
	local response = event.response;
	if response then
		response.headers.content_type = "text/html; charset=utf-8";
		secure_headers(nil, response);
	end
	return page(response and response.status_code or 200);
end
module:hook("http-message", message_page, 10);
function module.add_host(host_module)
	host_module:hook("http-message", message_page, 10);
end

-- Strict-Transport-Security and nosniff on every other answer too (the web app's files, uploads,
-- downloads), set before the handler runs: some send their answer themselves.
module:wrap_object_event(server._events, false, function (handlers, event_name, event_data)
	local request, response = event_data.request, event_data.response;
	if request and response and response.headers then
		if hsts_max_age > 0 and request.secure then
			response.headers.strict_transport_security = ("max-age=%d"):format(hsts_max_age);
		end
		response.headers.x_content_type_options = "nosniff";
	end
	return handlers(event_name, event_data);
end);
