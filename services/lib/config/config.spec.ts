import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const MB = 2 ** 20;

describe(loadConfig.name, () => {
  it('bounds models, studies and uploads by default', () => {
    const sut = loadConfig({});

    expect(sut).toMatchObject({
      maxModelBytes: 512 * MB,
      maxStudyModelBytes: 2048 * MB,
      uploadMaxMessages: 4096,
      uploadMaxBytes: 512 * MB,
      uploadConcurrency: 16,
      uploadPerAgent: 2,
    });
  });

  it('takes the limits from the environment', () => {
    const sut = loadConfig({
      LATFLEET_MAX_MODEL_MB: '64',
      LATFLEET_MAX_STUDY_MODEL_MB: '256',
      LATFLEET_UPLOAD_MAX_MESSAGES: '100',
      LATFLEET_UPLOAD_MAX_MB: '8',
      LATFLEET_UPLOAD_PER_AGENT: '4',
    });

    expect(sut).toMatchObject({ maxModelBytes: 64 * MB, maxStudyModelBytes: 256 * MB, uploadMaxMessages: 100, uploadMaxBytes: 8 * MB, uploadPerAgent: 4 });
  });

  it.each(['LATFLEET_MAX_MODEL_MB', 'LATFLEET_MAX_STUDY_MODEL_MB', 'LATFLEET_UPLOAD_MAX_MESSAGES', 'LATFLEET_UPLOAD_MAX_MB', 'LATFLEET_UPLOAD_PER_AGENT'])(
    'names %s=value when it is not a positive integer',
    (name) => {
      expect(() => loadConfig({ [name]: '0' })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: 'lots' })).toThrow(`${name}="lots"`);
    },
  );
});
