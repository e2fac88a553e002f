// Converse.js as an independent OMEMO client for browser tests: the page a test serves from the
// stack's web root, logging in at once and exposing Converse's API as window.hushTest.

export interface ConversePageOptions {
  websocketUrl: string;
  jid: string;
  password: string;
  /** More Converse settings (https://conversejs.org/docs/html/configuration.html). */
  settings?: Record<string, unknown>;
}

/** The page that starts Converse.js logged in as `jid`, exposing its API to the test. */
export function conversePage({
  websocketUrl,
  jid,
  password,
  settings,
}: ConversePageOptions): string {
  const config = {
    websocket_url: websocketUrl,
    discover_connection_methods: false,
    jid,
    password,
    auto_login: true,
    assets_path: '/converse/dist/',
    view_mode: 'fullscreen',
    omemo_default: true,
    allow_non_roster_messaging: true,
    ...settings,
    whitelisted_plugins: ['hush-test'],
    loglevel: 'warn',
  };
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Converse</title>
<link rel="stylesheet" href="/converse/dist/converse.min.css">
<script type="module" src="/converse/dist/converse.min.js"></script>
</head><body class="converse-fullscreen">
<script type="module">
  converse.plugins.add('hush-test', { initialize() { window.hushTest = this._converse; } });
  converse.initialize(${JSON.stringify(config)});
</script>
</body></html>`;
}
