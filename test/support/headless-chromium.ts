import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { findExecutable } from '../deploy/support/executable.js';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it), or undefined. */
export const CHROMIUM = findExecutable('chromium');

/**
 * Headless chromium with a fresh profile, as root, and none of its background traffic (this
 * machine's network is closed: update checks and the like would only fail, many at a time).
 */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'latfleet-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM ?? 'chromium',
    headless: true,
    userDataDir: profile,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
