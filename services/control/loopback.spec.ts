import { describe, expect, it } from 'vitest';
import { isLoopback } from './loopback.js';

describe(isLoopback.name, () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])('takes %s as loopback', (host) => {
    expect(isLoopback(host)).toBe(true);
  });

  it.each(['127.0.0.1.nip.io', '127.evil.example', '0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'localhost.example.com', ''])('does not take %s as loopback', (host) => {
    expect(isLoopback(host)).toBe(false);
  });
});
