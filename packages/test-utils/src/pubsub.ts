// XEP-0060 requests as other OMEMO clients send them, written out by hand so that tests of Hush's
// PEP code set up the server without going through that code — https://xmpp.org/extensions/xep-0060.html
import xml, { type Element } from '@xmpp/xml';

const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
const NS_DATA_FORMS = 'jabber:x:data';

/** What these helpers need of a session: an IQ that resolves with the result or rejects. */
export interface IqRequester {
  request(iq: Element): Promise<Element>;
}

/** An IQ set carrying a <pubsub/> in `namespace` (pubsub, or pubsub#owner) with these children. */
async function pubsubSet(
  session: IqRequester,
  namespace: string,
  ...children: Element[]
): Promise<void> {
  await session.request(
    xml('iq', { type: 'set' }, xml('pubsub', { xmlns: namespace }, ...children)),
  );
}

/** A submitted data form of type `formType` that sets pubsub#access_model to `model`. */
function accessModelForm(formType: string, model: string): Element {
  return xml(
    'x',
    { xmlns: NS_DATA_FORMS, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
    xml('field', { var: 'pubsub#access_model' }, xml('value', {}, model)),
  );
}

/**
 * Publishes `payload` as item `itemId` ('current' unless given) of `node`. With `accessModel` the
 * request carries publish-options asking for it; without, it asks for nothing, as some clients do.
 */
export async function publishItem(
  session: IqRequester,
  node: string,
  payload: Element,
  options: { itemId?: string; accessModel?: string } = {},
): Promise<void> {
  const publishOptions = options.accessModel
    ? [
        xml(
          'publish-options',
          {},
          accessModelForm(`${NS_PUBSUB}#publish-options`, options.accessModel),
        ),
      ]
    : [];
  await pubsubSet(
    session,
    NS_PUBSUB,
    xml('publish', { node }, xml('item', { id: options.itemId ?? 'current' }, payload)),
    ...publishOptions,
  );
}

/** Sets a node's access model through its owner's configuration form. */
export async function configureAccessModel(
  session: IqRequester,
  node: string,
  model: string,
): Promise<void> {
  await pubsubSet(
    session,
    NS_PUBSUB_OWNER,
    xml('configure', { node }, accessModelForm(`${NS_PUBSUB}#node_config`, model)),
  );
}

/** Retracts item `itemId` of `node`. */
export async function retractItem(
  session: IqRequester,
  node: string,
  itemId: string,
): Promise<void> {
  await pubsubSet(session, NS_PUBSUB, xml('retract', { node }, xml('item', { id: itemId })));
}
