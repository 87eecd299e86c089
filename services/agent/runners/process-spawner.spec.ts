import { describe, expect, it } from 'vitest';
import { ProcessSpawner } from './process-spawner.js';
import { RunnerErrorCode } from './runner.error.js';

describe(ProcessSpawner.name, () => {
  const sut = new ProcessSpawner();

  it('resolves with the output of a zero exit and hands over stdout line by line', async () => {
    const lines: string[] = [];
    const { stdout, stderr } = await sut.run('sh', ['-c', 'echo one; echo two; echo warn >&2; printf three'], { onStdoutLine: (l) => lines.push(l) });
    expect(stdout).toBe('one\ntwo\nthree');
    expect(stderr).toBe('warn\n');
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('rejects a non-zero exit naming the command, its status and the end of its stderr', async () => {
    await expect(sut.run('sh', ['-c', 'echo "rknn_init fail! ret=-6" >&2; exit 3'])).rejects.toMatchObject({
      code: RunnerErrorCode.CommandFailed,
      message: expect.stringMatching(/^sh -c .*: exit code 3\nrknn_init fail! ret=-6$/),
    });
  });

  it('rejects a program that does not exist', async () => {
    await expect(sut.run('/nonexistent/adb', ['devices'])).rejects.toMatchObject({ code: RunnerErrorCode.CommandFailed, message: expect.stringContaining('ENOENT') });
  });

  it('kills a command that outlives its timeout', async () => {
    await expect(sut.run('sleep', ['5'], { timeoutMs: 100 })).rejects.toThrow(/killed by SIGTERM \(timeout 100 ms\)/);
  });

  it('stops the command when the job is cancelled', async () => {
    const abort = new AbortController();
    const running = sut.run('sleep', ['5'], { signal: abort.signal });
    setTimeout(() => abort.abort(new Error('job cancelled')), 50);
    await expect(running).rejects.toThrow(/cancelled|abort/i);
  });
});
