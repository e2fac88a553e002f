export { startGateway, DEFAULT_RATE_LIMIT } from './gateway.ts';
export type { Gateway, GatewayEvent, GatewayOptions } from './gateway.ts';
export { RegistrationStore, type Registration } from './store.ts';
export { NS_HUSH_PUSH, NS_PUSH, type Provider } from './protocol.ts';
export { readConfig, openState, ConfigError } from './config.ts';
export { main } from './main.ts';
