import { Injectable } from '@nestjs/common';
import type { Subject } from 'rxjs';
import type { ConnectResponse } from '../lib/proto/index.js';
import type { DeviceEntity } from '../lib/store/index.js';

export interface AgentSession {
  deviceId: string;
  deviceName: string;
  /** What job selectors match against. */
  device: Pick<DeviceEntity, 'id' | 'deviceClass' | 'cpuModel' | 'tags'>;
  out: Subject<ConnectResponse>;
  /** The agent has work (a job from here, or one it told us about): it is not offered another. */
  busy: boolean;
  /** The jobs this agent is working on (one round), when this process knows which. */
  jobIds: Set<string>;
  assignedAt: number;
}

/** The agents connected to this control process. */
@Injectable()
export class SessionRegistry {
  private readonly sessions = new Map<string, AgentSession>();

  add(session: AgentSession): void {
    this.sessions.get(session.deviceId)?.out.complete();
    this.sessions.set(session.deviceId, session);
  }

  remove(session: AgentSession): boolean {
    if (this.sessions.get(session.deviceId) !== session) return false;
    this.sessions.delete(session.deviceId);
    return true;
  }

  idle(): AgentSession[] {
    return [...this.sessions.values()].filter((s) => !s.busy);
  }

  get(deviceId: string): AgentSession | undefined {
    return this.sessions.get(deviceId);
  }

  get size(): number {
    return this.sessions.size;
  }

  closeAll(): void {
    for (const s of this.sessions.values()) s.out.complete();
    this.sessions.clear();
  }
}
