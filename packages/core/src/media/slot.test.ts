// What a refused upload slot carries: the server's limit and the size asked for, or when the
// quota allows uploads again (XEP-0363 §4.2), from the error stanza the server sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import { FileTooLargeError, QuotaExceededError, isHushError } from '../errors.ts';
import type { XmppSession } from '../xmpp/session.ts';
import { NS_HTTP_UPLOAD, requestUploadSlot } from './slot.ts';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** A session whose every request fails as @xmpp/client reports an <iq type="error"/>. */
function refusing(condition: string, ...extra: Element[]): XmppSession {
  const element = xml('error', { type: 'modify' }, xml(condition, { xmlns: NS_STANZAS }), ...extra);
  const failure = Object.assign(new Error(condition), { name: 'StanzaError', condition, element });
  return { request: () => Promise.reject(failure) } as unknown as XmppSession;
}

const request = { filename: 'big', size: 12_000_000, contentType: 'application/octet-stream' };

test("the server's file-too-large: the limit it states and the size asked for", async () => {
  const session = refusing(
    'not-acceptable',
    xml('file-too-large', { xmlns: NS_HTTP_UPLOAD }, xml('max-file-size', {}, '10485760')),
  );
  await assert.rejects(requestUploadSlot(session, 'upload.example', request), (e) => {
    assert.ok(e instanceof FileTooLargeError);
    assert.ok(isHushError(e, 'FileTooLarge'));
    assert.equal(e.limit, 10_485_760);
    assert.equal(e.size, 12_000_000);
    assert.match(e.message, /10 MB/);
    return true;
  });
});

test('a file-too-large without a limit: the size only', async () => {
  const session = refusing('not-acceptable', xml('file-too-large', { xmlns: NS_HTTP_UPLOAD }));
  await assert.rejects(requestUploadSlot(session, 'upload.example', request), (e) => {
    assert.ok(e instanceof FileTooLargeError);
    assert.equal(e.limit, undefined);
    assert.equal(e.size, 12_000_000);
    return true;
  });
});

test('the quota used up: when to retry, if the server says', async () => {
  const stamp = '2026-12-09T00:00:00Z';
  const withRetry = refusing('resource-constraint', xml('retry', { xmlns: NS_HTTP_UPLOAD, stamp }));
  await assert.rejects(requestUploadSlot(withRetry, 'upload.example', request), (e) => {
    assert.ok(e instanceof QuotaExceededError);
    assert.equal(e.code, 'QuotaExceeded');
    assert.equal(e.retryAt?.toISOString(), new Date(stamp).toISOString());
    return true;
  });
  for (const retry of [[], [xml('retry', { xmlns: NS_HTTP_UPLOAD, stamp: 'tomorrow' })]]) {
    await assert.rejects(
      requestUploadSlot(refusing('resource-constraint', ...retry), 'upload.example', request),
      (e) => e instanceof QuotaExceededError && e.retryAt === undefined,
    );
  }
});
