// Types for the parts of xmpp.js (https://github.com/xmppjs/xmpp.js, untyped JavaScript) that Hush uses.
declare module '@xmpp/xml' {
  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    toString(): string;
    append(...children: (Element | string)[]): Element;
  }
  type Child = Element | string | null | undefined | false;
  function xml(
    name: string,
    attrs?: Record<string, string | undefined> | null,
    ...children: Child[]
  ): Element;
  export default xml;
}

declare module '@xmpp/client' {
  import type { Element } from '@xmpp/xml';
  export { default as xml } from '@xmpp/xml';

  export interface JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
  }
  export interface XmppError extends Error {
    condition?: string;
    text?: string;
    element?: Element;
    code?: string;
  }
  export type Authenticate = (
    credentials: { username: string; password: string },
    mechanism: string,
    userAgent?: Element,
  ) => Promise<void>;
  export type OnAuthenticate = (authenticate: Authenticate, mechanisms: string[]) => Promise<void>;

  export interface IqCaller {
    request(stanza: Element, timeout?: number): Promise<Element>;
    get(element: Element, to?: string, timeout?: number): Promise<Element>;
    set(element: Element, to?: string, timeout?: number): Promise<Element>;
  }
  export interface XmppClient {
    status: string;
    jid: JID | null;
    options: { service: string; domain: string };
    iqCaller: IqCaller;
    reconnect: { stop(): void; start(): void; delay: number };
    streamManagement: { enabled: boolean; id: string; outbound: number; inbound: number };
    saslFactory: { use(name: string, mechanism: unknown): void };
    start(): Promise<JID>;
    stop(): Promise<void>;
    send(...stanzas: Element[]): Promise<void>;
    isSecure(): boolean;
    on(event: 'stanza' | 'nonza' | 'element', listener: (stanza: Element) => void): this;
    on(event: 'online', listener: (jid: JID) => void): this;
    on(event: 'error', listener: (error: XmppError) => void): this;
    on(event: 'status', listener: (status: string, ...args: unknown[]) => void): this;
    on(event: string, listener: (...args: never[]) => void): this;
    once(event: string, listener: (...args: never[]) => void): this;
    removeListener(event: string, listener: (...args: never[]) => void): this;
  }
  export interface ClientOptions {
    service: string;
    domain?: string;
    resource?: string;
    credentials?: OnAuthenticate;
    username?: string;
    password?: string;
  }
  export function client(options: ClientOptions): XmppClient;
}
