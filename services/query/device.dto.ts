import { z } from 'zod';
import { OPTIMIZATION_LEVELS, pagination } from './pagination.dto.js';

export const deviceListQuery = z
  .object({
    ...pagination(100),
    class: z.string().min(1).max(50).optional().describe('device class (cpu, phone, npu)'),
    state: z.enum(['online', 'offline']).optional().describe('online: session open and a heartbeat within 3 intervals'),
  })
  .strict();
export type DeviceListQuery = z.output<typeof deviceListQuery>;

export const deviceHistoryQuery = z
  .object({
    model: z.string().min(1).max(300).optional().describe('model name or sha256; default: every model measured on the device'),
    optimization: z.enum(OPTIMIZATION_LEVELS).default('all').describe('graph optimization level of the runs to include'),
  })
  .strict();
export type DeviceHistoryQuery = z.output<typeof deviceHistoryQuery>;
