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
    /** Answers IQs: the handler's element is the result payload, or an <error/> element. */
    iqCallee: {
      get(
        ns: string,
        name: string,
        handler: (context: { stanza: Element; element: Element }) => Element | Promise<Element>,
      ): void;
      set(
        ns: string,
        name: string,
        handler: (context: { stanza: Element; element: Element }) => Element | Promise<Element>,
      ): void;
    };
    reconnect: {
      stop(): void;
      start(): void;
      delay: number;
      /** 'reconnecting': an attempt starts; 'reconnected': its stream is open (not yet online). */
      on(event: 'reconnecting' | 'reconnected', listener: () => void): void;
      removeListener(event: 'reconnecting' | 'reconnected', listener: () => void): void;
    };
    streamManagement: {
      enabled: boolean;
      id: string;
      outbound: number;
      inbound: number;
      /** 'ack': the server acknowledged this stanza; 'fail': the stream died before it did. */
      on(event: 'ack' | 'fail', listener: (stanza: Element) => void): void;
      /** The stream was resumed after a reconnect: nothing was lost, no new 'online' follows. */
      on(event: 'resumed', listener: () => void): void;
      removeListener(event: 'ack' | 'fail', listener: (stanza: Element) => void): void;
      removeListener(event: 'resumed', listener: () => void): void;
    };
    saslFactory: {
      use(name: string, mechanism: unknown): unknown;
      /** saslmechanisms' registry, in order of preference; xmpp.js itself reads it to pick mechanisms. */
      _mechs: { name: string; mech: unknown }[];
    };
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
    /** Milliseconds to wait for the stream header, an answer or a close (xmpp.js: 2000). */
    timeout?: number;
  }
  export function client(options: ClientOptions): XmppClient;
}

// Only the bench imports it, to time xmpp.js's stock SCRAM-SHA-1 against Hush's (bench/login.ts).
declare module '@xmpp/sasl-scram-sha-1' {
  /** The sasl-scram-sha-1 Mechanism class: response() is async once a challenge has arrived. */
  export interface StockScramMechanism {
    response(credentials: { username: string; password: string }): string | Promise<string>;
    challenge(text: string): unknown;
  }
  export type StockScramMechanismClass = new (options?: {
    genNonce?: () => string;
  }) => StockScramMechanism;
  /** Registers the mechanism on a saslmechanisms factory. */
  export default function saslScramSha1(sasl: {
    use(mechanism: StockScramMechanismClass): unknown;
  }): void;
}
declare module '@xmpp/xml/lib/parse.js' {
  import type { Element } from '@xmpp/xml';
  export default function parse(text: string): Element;
}

declare module '@xmpp/iq/caller.js' {
  /** xmpp.js's IQ caller, made for an entity and its middleware (tests build one alone). */
  export default function iqCaller(deps: {
    entity: { send(stanza: unknown): Promise<void> };
    middleware: { use(handler: unknown): void };
  }): unknown;
}
