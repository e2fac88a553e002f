// xmpp.js's XML string parser (untyped JavaScript), used by tests to write stanzas as text.
declare module '@xmpp/xml/lib/parse.js' {
  import type { Element } from '@xmpp/xml';
  export default function parse(text: string): Element;
}
