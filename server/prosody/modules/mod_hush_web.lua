-- Hush's web app, served by Prosody at https://DOMAIN/ beside the websocket and the uploads.
--
-- mod_http_files serves a folder but answers 404 for any path that is not a file. The app has paths
-- of its own: an invite link https://DOMAIN/invite?TOKEN must open the app, which reads the token
-- from its address. This module serves the files as mod_http_files does (Prosody's own
-- net.http.files: caching, ETag, no path escapes) and answers index.html for those paths.
module:depends("http");
local files = require "net.http.files";

local web_dir = module:get_option_path("hush_web_dir");
if not web_dir then
	module:log("error", "hush_web_dir is not set: the web app is not served");
	return;
end

local mime_map = {
	html = "text/html; charset=utf-8";
	js = "text/javascript; charset=utf-8";
	json = "application/json";
	css = "text/css";
	map = "application/json";
	png = "image/png";
	ico = "image/x-icon";
	svg = "image/svg+xml";
	ttf = "font/ttf";
	woff = "font/woff";
	woff2 = "font/woff2";
	wasm = "application/wasm";
};

local serve = files.serve({
	path = web_dir;
	mime_map = mime_map;
	index_files = { "index.html" };
	cache_size = 128;
	-- The bundle (~1.5 MB) stays in memory once read; larger files are streamed.
	cache_max_file_size = 4 * 1024 * 1024;
});

-- The app's own paths: the page is the app, which reads the rest of the address itself.
local function app(event)
	-- A browser must not keep an old index.html that names bundles a new build no longer has.
	event.response.headers.cache_control = "no-cache";
	return serve(event, "index.html");
end

-- The app holds its keys in the browser: a script that is not the app's own must not run, and the
-- app talks to its own origin only (websocket, uploads). Inline styles are React Native Web's;
-- blob: URLs are decrypted photos, voice messages and recordings. server/deploy/Caddyfile sends the
-- same policy (compared by compose.test.ts), and the browser tests run the app under it.
local content_security_policy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self' blob:; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

local function security_headers(response)
	local headers = response.headers;
	headers.content_security_policy = content_security_policy;
	headers.x_content_type_options = "nosniff";
	headers.referrer_policy = "no-referrer";
	headers.x_frame_options = "DENY";
end

local function page(handler)
	return function (event, path)
		security_headers(event.response);
		return handler(event, path);
	end
end

module:provides("http", {
	default_path = "/";
	route = {
		["GET /"] = page(app);
		["GET /index.html"] = page(app);
		["GET /invite"] = page(app);
		["GET /invite/"] = page(app);
		["GET /*"] = page(serve);
	};
});
