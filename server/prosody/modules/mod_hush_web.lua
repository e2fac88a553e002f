-- Hush's web app, served by Prosody at https://DOMAIN/ beside the websocket and the uploads.
--
-- mod_http_files serves a folder but answers 404 for any path that is not a file. The app has paths
-- of its own: an invite link https://DOMAIN/invite?TOKEN must open the app, which reads the token
-- from its address. This module serves the files as mod_http_files does (Prosody's own
-- net.http.files: caching, ETag, no path escapes) and answers index.html for those paths.
module:depends("http");
local files = require "net.http.files";
local lfs = require "lfs";

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

-- Precompressed copies that scripts/precompress-web.ts writes beside each text file at build time:
-- the bundle is ~1.2 MB as exported, ~280 KB with Brotli. Prosody compresses nothing by itself.
local variants = { { coding = "br", suffix = ".br" }, { coding = "gzip", suffix = ".gz" } };

-- Whether an Accept-Encoding header accepts `coding` (RFC 9110 §12.5.3: absent, or q above 0).
local function accepts(header, coding)
	for item in (header or ""):gmatch("[^,]+") do
		local name, params = item:match("^%s*([^;%s]+)%s*(.-)%s*$");
		if name and name:lower() == coding then
			local q = params:match("[qQ]%s*=%s*([%d.]+)");
			return q == nil or (tonumber(q) or 0) > 0;
		end
	end
	return false;
end

-- Compressed copies read once and kept while their file is unchanged (the folder holds one build).
local compressed = {};
local function read_compressed(path)
	local attributes = lfs.attributes(path);
	if not attributes or attributes.mode ~= "file" then return nil; end
	local cached = compressed[path];
	if cached and cached.modified == attributes.modification and cached.size == attributes.size then
		return cached.content;
	end
	local file = io.open(path, "rb");
	if not file then return nil; end
	local content = file:read("*a");
	file:close();
	compressed[path] = { modified = attributes.modification; size = attributes.size; content = content };
	return content;
end

-- Files below _expo/static/ carry a hash of their content in their name: a browser may keep them
-- for a year without asking again (a new build names new files; index.html is never cached).
local static_prefix = "_expo/static/";

-- A file of the app: the smallest precompressed copy the browser accepts, else the file itself.
local function serve_file(event, path)
	local response = event.response;
	if path and path:sub(1, #static_prefix) == static_prefix then
		response.headers.cache_control = "public, max-age=31536000, immutable";
	end
	-- Only plain relative paths; anything that could leave the folder goes to net.http.files,
	-- which refuses it.
	if path and path ~= "" and not path:find("..", 1, true) and not path:find("[\\%c]")
			and path:sub(1, 1) ~= "/" then
		local extension = path:match("%.([%w]+)$");
		local accept = event.request.headers.accept_encoding;
		for _, variant in ipairs(variants) do
			local content = accepts(accept, variant.coding)
				and read_compressed(web_dir .. "/" .. path .. variant.suffix);
			if content then
				response.headers.content_type = mime_map[extension] or "application/octet-stream";
				response.headers.content_encoding = variant.coding;
				response.headers.vary = "Accept-Encoding";
				return content;
			end
		end
		if lfs.attributes(web_dir .. "/" .. path .. ".gz", "mode") == "file" then
			response.headers.vary = "Accept-Encoding";
		end
	end
	return serve(event, path);
end

-- The app's own paths: the page is the app, which reads the rest of the address itself.
local function app(event)
	-- A browser must not keep an old index.html that names bundles a new build no longer has.
	event.response.headers.cache_control = "no-cache";
	return serve(event, "index.html");
end

-- The app holds its keys in the browser: a script that is not the app's own must not run, and the
-- app talks to its own origin (websocket, uploads) and to the origins the configuration names
-- below, nothing else. Inline styles are React Native Web's; blob: URLs are decrypted photos, voice
-- messages and recordings. server/deploy/Caddyfile sends the same policy (compared by
-- compose.test.ts), and the browser tests run the app under it.
local content_security_policy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self' blob:; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

-- Origins the app's pages may connect to besides their own (hush_web_connect_sources): in S3 mode
-- the upload service's, e.g. https://DOMAIN:5282, where files go and come from. Only plain https or
-- wss origins (scheme, host, port) are taken; anything else could widen the policy, so it is logged
-- and left out.
local function is_origin(source)
	if type(source) ~= "string" then return false; end
	local host = source:match("^https://(.+)$") or source:match("^wss://(.+)$");
	if not host then return false; end
	local name, port = host:match("^([%w%-%.]+):(%d+)$");
	if not name then name = host:match("^[%w%-%.]+$"); end
	return name ~= nil and not name:find("^[%.%-]") and (port == nil or tonumber(port) <= 65535);
end
local connect_sources, listed = {}, {};
for _, source in ipairs(module:get_option_array("hush_web_connect_sources", {})) do
	if not is_origin(source) then
		module:log("error", "hush_web_connect_sources: %q is not an https:// or wss:// origin; it is left out of the web app's policy", tostring(source));
	elseif not listed[source] then
		listed[source] = true;
		table.insert(connect_sources, source);
	end
end
if #connect_sources > 0 then
	local extra = table.concat(connect_sources, " ");
	content_security_policy = content_security_policy:gsub("connect%-src ([^;]*)", function (sources)
		return "connect-src " .. sources .. " " .. extra;
	end, 1);
end

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
		["GET /*"] = page(serve_file);
	};
});
