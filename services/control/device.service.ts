import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
import type { DeviceFacts, RegisterResponse } from '../lib/proto/index.js';
import type { DeviceEntity } from '../lib/store/index.js';
import { DeviceRepository } from './device.repository.js';

const DEVICE_CLASSES = ['cpu', 'android', 'npu'];
const sha256 = (s: string) => createHash('sha256').update(s).digest();

@Injectable()
export class DeviceService {
  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    private readonly devices: DeviceRepository,
  ) {}

  async register(token: string, facts: DeviceFacts | undefined): Promise<RegisterResponse> {
    if (!(await this.validToken(token))) throw new LatfleetError(ErrorCode.Unauthenticated, 'enrollment_token: not valid, revoked or expired');
    const f = validateFacts(facts);
    const secret = randomBytes(32).toString('base64url');
    const device = await this.devices.upsertByName({
      name: f.name,
      deviceClass: f.deviceClass,
      cpuModel: f.cpuModel,
      cores: f.cores,
      os: f.os,
      hostname: f.hostname,
      runner: f.runner,
      runtimeVersion: f.runtimeVersion,
      agentVersion: f.agentVersion,
      tags: f.tags,
      credentialHash: sha256(secret).toString('hex'),
    });
    return { agentId: device.id, credential: `${device.id}.${secret}`, heartbeatIntervalMs: this.config.heartbeatMs };
  }

  /** The bootstrap token of the configuration, or one an admin created (`latfleet enroll create`). */
  private async validToken(token: string): Promise<boolean> {
    if (!token) return false;
    const bootstrap = this.config.enrollmentToken;
    if (bootstrap && timingSafeEqual(sha256(token), sha256(bootstrap))) return true;
    return this.devices.validEnrollmentToken(sha256(token).toString('hex'));
  }

  /** Resolves the `authorization: Bearer <agent id>.<secret>` metadata to its device. */
  async authenticate(authorization: string | undefined): Promise<DeviceEntity> {
    const credential = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
    const [id, secret] = credential.split('.', 2);
    if (!id || !secret || !/^[0-9a-f-]{36}$/.test(id)) {
      throw new LatfleetError(ErrorCode.Unauthenticated, 'missing or malformed agent credential');
    }
    const device = await this.devices.findById(id);
    const given = sha256(secret);
    if (!device || !timingSafeEqual(given, Buffer.from(device.credentialHash, 'hex'))) {
      throw new LatfleetError(ErrorCode.Unauthenticated, 'agent credential not valid');
    }
    return device;
  }

  online(id: string) {
    return this.devices.setState(id, 'online');
  }

  offline(id: string) {
    return this.devices.setState(id, 'offline');
  }

  heartbeat(id: string) {
    return this.devices.touch(id);
  }
}

function validateFacts(facts: DeviceFacts | undefined): DeviceFacts {
  if (!facts) throw LatfleetError.validation('facts', 'required');
  if (!facts.name || facts.name.length > 128) throw LatfleetError.validation('facts.name', 'required, at most 128 characters');
  if (!DEVICE_CLASSES.includes(facts.deviceClass)) {
    throw LatfleetError.validation('facts.device_class', `expected one of ${DEVICE_CLASSES.join(', ')}`);
  }
  if (!facts.runner) throw LatfleetError.validation('facts.runner', 'required');
  return { ...facts, tags: facts.tags ?? {} };
}
