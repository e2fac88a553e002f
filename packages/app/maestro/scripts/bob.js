/* global CONTROL, ACTION, TEXT, http */
// Talks to serve.ts's control address (CONTROL) for the flows: ACTION is send (TEXT), send-voice,
// expect-text (TEXT) or expect-voice; the expectations wait up to 60 s for bob to have it.
var base = CONTROL;
function call(method, path) {
  return method === 'POST' ? http.post(base + path, { body: '' }) : http.get(base + path);
}
function waitFor(path, what) {
  var until = Date.now() + 60000;
  while (Date.now() < until) {
    if (call('GET', path).status === 200) return;
  }
  throw new Error('bob did not receive ' + what + ' within 60 s');
}
if (ACTION === 'send') {
  var sent = call('POST', '/send?text=' + encodeURIComponent(TEXT));
  if (sent.status !== 200) throw new Error('bob could not send: ' + sent.body);
} else if (ACTION === 'send-voice') {
  var voice = call('POST', '/send-voice');
  if (voice.status !== 200) throw new Error('bob could not send a voice message: ' + voice.body);
} else if (ACTION === 'expect-text') {
  waitFor('/received?text=' + encodeURIComponent(TEXT), '"' + TEXT + '"');
} else if (ACTION === 'expect-voice') {
  waitFor('/received?voice=1', 'a voice message');
} else {
  throw new Error('unknown ACTION ' + ACTION);
}
