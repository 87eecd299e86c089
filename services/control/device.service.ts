import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { ErrorCode, LatfleetError, PG_INT_MAX, rejectNulCharacters, UUID_PATTERN } from '../lib/errors/index.js';
import { FORMAT_NAME } from '../lib/models/index.js';
import type { DeviceFacts, RegisterResponse } from '../lib/proto/index.js';
import { newSecret, REVOKED, secretHash, type DeviceEntity } from '../lib/store/index.js';
import { agentText } from './agent-text.js';
import { DeviceRepository } from './device.repository.js';

const DEVICE_CLASSES = ['cpu', 'android', 'npu'];
const MAX_FORMATS = 16;
const sha256 = (s: string) => Buffer.from(secretHash(s), 'hex');

/** validToken's answer for the fleet's bootstrap token (LATFLEET_ENROLLMENT_TOKEN), which has no row. */
const BOOTSTRAP = Symbol('bootstrap enrollment token');

@Injectable()
export class DeviceService {
  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    private readonly devices: DeviceRepository,
  ) {}

  async register(token: string, facts: DeviceFacts | undefined): Promise<RegisterResponse> {
    const enrollment = await this.validToken(token);
    if (!enrollment) throw new LatfleetError(ErrorCode.Unauthenticated, 'enrollment_token: not valid, revoked or expired');
    const f = validateFacts(facts);
    const secret = newSecret(32);
    const device = await this.devices.insertUnlessNameTaken({
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
      formats: f.formats,
      credentialHash: secretHash(secret),
      enrollmentTokenId: enrollment === BOOTSTRAP ? null : enrollment,
    });
    // A name is a device: registering it again would hand its id, results and credential to the caller.
    if (!device) {
      throw new LatfleetError(
        ErrorCode.PermissionDenied,
        `facts.name: device '${f.name}' is already registered; the agent that registered it keeps its credential (restore it), an admin can revoke the device (latfleet devices revoke '${f.name}') to free the name, or register under another name`,
        'facts.name',
      );
    }
    return { agentId: device.id, credential: `${device.id}.${secret}`, heartbeatIntervalMs: this.config.heartbeatMs };
  }

  /** The bootstrap token of the configuration, or one an admin created (`latfleet enroll create`). */
  /** BOOTSTRAP for the fleet's own token, the id of a valid issued token, or null. */
  private async validToken(token: string): Promise<typeof BOOTSTRAP | string | null> {
    if (!token) return null;
    const bootstrap = this.config.enrollmentToken;
    if (bootstrap && timingSafeEqual(sha256(token), sha256(bootstrap))) return BOOTSTRAP;
    return this.devices.validEnrollmentToken(secretHash(token));
  }

  /** Resolves the `authorization: Bearer <agent id>.<secret>` metadata to its device. */
  async authenticate(authorization: string | undefined): Promise<DeviceEntity> {
    const credential = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
    // exactly `<uuid>.<secret>`: anything after a second dot is not ignored, it makes the credential invalid
    const [id, secret, ...extra] = credential.split('.');
    if (!id || !secret || extra.length > 0 || !UUID_PATTERN.test(id)) {
      throw new LatfleetError(ErrorCode.Unauthenticated, 'missing or malformed agent credential');
    }
    const device = await this.devices.findById(id);
    const given = sha256(secret);
    const stored = Buffer.from(device?.credentialHash ?? REVOKED, 'hex');
    // a revoked device's hash is empty: no secret matches it
    if (!device || stored.length !== given.length || !timingSafeEqual(given, stored)) {
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

  /** False when the device was revoked meanwhile: its session must end. */
  heartbeat(id: string): Promise<boolean> {
    return this.devices.touch(id);
  }
}

function validateFacts(facts: DeviceFacts | undefined): DeviceFacts {
  if (!facts) throw LatfleetError.validation('facts', 'required');
  rejectNulCharacters(facts, 'facts');
  if (facts.cores > PG_INT_MAX) throw LatfleetError.validation('facts.cores', `at most ${PG_INT_MAX}`);
  if (!facts.name || facts.name.length > 128) throw LatfleetError.validation('facts.name', 'required, at most 128 characters');
  // the name goes into control's log lines
  if (agentText(facts.name) !== facts.name) throw LatfleetError.validation('facts.name', 'control characters are not allowed');
  if (!DEVICE_CLASSES.includes(facts.deviceClass)) {
    throw LatfleetError.validation('facts.device_class', `expected one of ${DEVICE_CLASSES.join(', ')}`);
  }
  if (!facts.runner) throw LatfleetError.validation('facts.runner', 'required');
  const formats = [...new Set(facts.formats ?? [])];
  if (formats.length > MAX_FORMATS) throw LatfleetError.validation('facts.formats', `at most ${MAX_FORMATS}`);
  formats.forEach((f, i) => {
    if (!FORMAT_NAME.test(f))
      throw LatfleetError.validation(`facts.formats[${i}]`, 'expected a format name: 1-32 lowercase letters, digits, dots, dashes or underscores (onnx, tflite, rknn)');
  });
  // an agent from before formats were announced runs ONNX, the only format there was
  return { ...facts, tags: facts.tags ?? {}, formats: formats.length > 0 ? formats : ['onnx'] };
}
