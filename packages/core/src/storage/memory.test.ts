import { createMemoryStorage } from './memory.ts';
import { storageContract } from './contract.ts';

storageContract('memory storage', async () => createMemoryStorage());
