import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

/** stdout of a command run from the repository root (dist/ built, as `npm ci` leaves it). */
const stdoutOf = async (command: string, args: string[]): Promise<string> => (await exec(command, args, { cwd: root, env: { ...process.env, NO_COLOR: '1' } })).stdout;

describe('the latfleet command as a user types it', () => {
  it.each([
    ['npx latfleet', 'npx', ['--offline', 'latfleet', 'models', 'list', '--json']],
    ['npm run -s latfleet --', 'npm', ['run', '-s', 'latfleet', '--', 'models', 'list', '--json']],
  ])('%s … --json writes JSON alone to stdout', async (_how, command, args) => {
    const sut = await stdoutOf(command, args);

    expect(JSON.parse(sut)).toMatchObject({ models: expect.arrayContaining([expect.objectContaining({ name: 'mobilenetv3-large-1.0' })]) });
  });
});
