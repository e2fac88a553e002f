export { Push } from './push.ts';
export type { PushOptions } from './push.ts';
export { NS_PUSH, NS_HUSH_PUSH } from './build.ts';
export { memoryPushState } from './types.ts';
export type { PushProvider, PushRegistration, PushStateStore, PushTarget } from './types.ts';
