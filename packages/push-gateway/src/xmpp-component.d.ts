// Types for the parts of @xmpp/component (https://github.com/xmppjs/xmpp.js, untyped JavaScript) the
// gateway uses.
declare module '@xmpp/component' {
  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    toString(): string;
  }
  type Child = Element | string | null | undefined | false;
  export function xml(
    name: string,
    attrs?: Record<string, string | undefined> | null,
    ...children: Child[]
  ): Element;
  export interface IqContext {
    readonly stanza: Element;
    /** The IQ's one child. */
    readonly element: Element;
    readonly from: { toString(): string; local: string; domain: string; resource: string };
  }
  /** Returns the result's child, nothing for an empty result, or an <error/> element. */
  export type IqHandler = (ctx: IqContext) => Promise<Element | true | undefined> | Element | true;
  export interface Component {
    status: string;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(stanza: Element): Promise<void>;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'online' | 'offline', listener: () => void): this;
    on(event: 'stanza', listener: (stanza: Element) => void): this;
    on(event: string, listener: (...args: never[]) => void): this;
    iqCallee: {
      get(ns: string, name: string, handler: IqHandler): void;
      set(ns: string, name: string, handler: IqHandler): void;
    };
    reconnect: { delay: number; stop(): void };
  }
  export function component(options: {
    service: string;
    domain: string;
    password: string;
  }): Component;
}
