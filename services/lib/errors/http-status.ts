import { ERROR_CLASSES } from './error-classes.js';
import type { ErrorCode } from './latfleet.error.js';

/** HTTP status per error class (from ERROR_CLASSES). */
export const HTTP_STATUS = Object.fromEntries(Object.entries(ERROR_CLASSES).map(([code, c]) => [code, c.http])) as Record<ErrorCode, number>;
