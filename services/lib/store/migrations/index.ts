import { InitialSchema1795500000000 } from './1795500000000-initial-schema.js';

export const MIGRATIONS = [InitialSchema1795500000000];
