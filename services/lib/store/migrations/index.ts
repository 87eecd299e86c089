import { InitialSchema1795500000000 } from './1795500000000-initial-schema.js';
import { FleetScheduling1795550000000 } from './1795550000000-fleet-scheduling.js';

export const MIGRATIONS = [InitialSchema1795500000000, FleetScheduling1795550000000];
