-- OMEMO clients served as they are (XEP-0384, legacy 0.3 and OMEMO 2), where Prosody's PEP answers
-- correctly but some clients read the answer otherwise.
--
--  * pubsub#publish-options on the server's domain. XEP-0223 §4 tells a client to look for it in
--    the disco#info of its server; Prosody advertises it on each account (mod_pep) only. A client
--    that looks at the domain finds nothing and publishes its bundle and device list without
--    access_model=open, so they keep PEP's default, presence: anyone who does not see that person's
--    presence gets `forbidden` and cannot start an encrypted chat with them.
--  * OMEMO nodes published without publish-options are open. A client that publishes its device
--    list or bundle without options (it did not find the feature, or never asks) would leave them
--    at PEP's default, presence, unreadable to anyone who might write first; Hush's policy is that
--    OMEMO keys are public (as ejabberd's force_node_config does in Hush's ejabberd template). So
--    before mod_pep handles such a publish by the account itself, the node is made, or set, open
--    (OMEMO 2's one bundles node also keeps an item per device: max_items max). A publish that
--    names its options, and node configuration, are left as the client asks.
--  * An account's own device list before it exists. Prosody answers `item-not-found` (XEP-0060
--    §6.5.9.11), which is right, but clients that read it as a failure never publish a first list
--    and stay unreachable. The owner's read of an absent OMEMO device list node is answered with an
--    empty <items/>, as for a node without items; everyone else still gets item-not-found, and once
--    the node exists mod_pep answers as always.
--
-- Tested in server/prosody/omemo-compat.test.ts.
local st = require "util.stanza";

local xmlns_pubsub = "http://jabber.org/protocol/pubsub";
local device_list_nodes = {
	["eu.siacs.conversations.axolotl.devicelist"] = true; -- OMEMO 0.3
	["urn:xmpp:omemo:2:devices"] = true;                  -- OMEMO 2
};
local omemo2_bundles = "urn:xmpp:omemo:2:bundles";

local function is_omemo_node(node)
	return device_list_nodes[node] or node == omemo2_bundles
		or node:match("^eu%.siacs%.conversations%.axolotl%.bundles:%d+$") ~= nil;
end

local pep = module:depends("pep");

module:add_feature(xmlns_pubsub.."#publish-options");

-- mod_pep handles this event at the default priority 0. A request for the account's own nodes
-- arrives with no 'to' (the router drops the account's own bare JID).
module:hook("iq/bare/"..xmlns_pubsub..":pubsub", function (event)
	local origin, stanza = event.origin, event.stanza;
	if stanza.attr.type ~= "get" or stanza.attr.to ~= nil or not origin.username then return end
	local pubsub = stanza.tags[1];
	local items = pubsub:get_child("items");
	if not items or #pubsub.tags ~= 1 or not device_list_nodes[items.attr.node] then return end
	local service = pep.get_pep_service(origin.username);
	if service.nodes[items.attr.node] then return end
	origin.send(st.reply(stanza):tag("pubsub", { xmlns = xmlns_pubsub })
		:tag("items", { node = items.attr.node }));
	return true;
end, 10);

module:hook("iq/bare/"..xmlns_pubsub..":pubsub", function (event)
	local origin, stanza = event.origin, event.stanza;
	if stanza.attr.type ~= "set" or stanza.attr.to ~= nil or not origin.username then return end
	local pubsub = stanza.tags[1];
	local publish = pubsub:get_child("publish");
	local node = publish and publish.attr.node;
	if not node or pubsub:get_child("publish-options") or not is_omemo_node(node) then return end
	local service = pep.get_pep_service(origin.username);
	local existing = service.nodes[node];
	if existing and existing.config.access_model == "open" then return end
	local config = {};
	if existing then
		for name, value in pairs(existing.config) do config[name] = value; end
	elseif node == omemo2_bundles then
		config.max_items = "max";
	end
	config.access_model = "open";
	local ok, err;
	if existing then
		ok, err = service:set_node_config(node, true, config);
	else
		ok, err = service:create(node, true, config);
	end
	if not ok then
		module:log("warn", "Could not make %s of %s open: %s", node, origin.username, err);
	end
	-- Not handled here: mod_pep publishes the item.
end, 10);
