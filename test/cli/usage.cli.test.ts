/**
 * The `eventide` command line itself, run as a child process: help for every command,
 * exit code 2 for a wrong command line, 1 for a failure, and memory:// (which lives in
 * the command's own process).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bin, cli, waitFor } from './cli.suite.js';

const commands = ['dashboard', 'send', 'runs', 'run', 'replay', 'dead-letters'];

describe('eventide CLI: help and usage', () => {
  it('--help lists every command; each command has --help with each option and its default', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of commands) expect(top.stdout).toMatch(new RegExp(`^  ${c}\\s+\\S`, 'm'));
    expect((await cli(['help'])).stdout).toBe(top.stdout);
    const options: Record<string, string[]> = {
      dashboard: ['--port', '--host', '--token'],
      send: ['<name>', '--data', '--id', '--json'],
      runs: ['--function', '--status', '--limit', '--json'],
      run: ['<run id>', '--json'],
      replay: ['--function', '--status', '--since', '--run', '--json'],
      'dead-letters': ['--limit', '--json'],
    };
    for (const c of commands) {
      for (const args of [
        [c, '--help'],
        [c, '-h'],
        ['help', c],
      ]) {
        const r = await cli(args);
        expect(r, args.join(' ')).toMatchObject({ code: 0, stderr: '' });
        expect(r.stdout).toMatch(new RegExp(`^eventide ${c}: .+\n\nusage: eventide ${c}`));
        for (const o of [...options[c], '--transport', '--namespace']) expect(r.stdout, `${c} ${o}`).toContain(o);
      }
    }
    expect((await cli(['runs', '--help'])).stdout).toMatch(/--limit <n>.*default 20/);
  });

  it('a wrong command line exits 2 and says what is wrong', async () => {
    const env = { EVENTIDE_TRANSPORT: 'memory://' };
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [[], /which command\?/],
      [['frobnicate'], /no command "frobnicate"/],
      [['help', 'frobnicate'], /no command "frobnicate"/],
      [['runs', '--bogus'], /Unknown option '--bogus'/, env],
      [['runs', '--limit', 'ten'], /--limit must be a whole number from 1 to 10000/, env],
      [['runs', '--status', 'done'], /--status must be one of pending, running/, env],
      [['runs', 'extra'], /unexpected argument "extra"/, env],
      [['runs'], /which transport\? give --transport/],
      [['runs', '--transport', 'kafka://x'], /transport "kafka:\/\/x" names no transport this runtime knows/],
      [['runs', '--namespace', 'a b'], /namespace "a b" must be letters/, env],
      [['send'], /send needs the event name/, env],
      [['run'], /run needs a run id/, env],
      [['replay', '--function', 'f', '--run', 'r'], /not both/, env],
      [['replay', '--function', 'f', '--since', 'yesterday'], /--since "yesterday" is neither a duration/, env],
      [['dashboard', '--host', '0.0.0.0'], /needs --token or EVENTIDE_TOKEN/, env],
    ];
    for (const [args, message, e] of cases) {
      const r = await cli(args, e);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).toMatch(/see eventide( \S+)? --help\n$/);
    }
  });

  it('a transport that does not answer exits 1 within a bound, naming it', async () => {
    for (const url of ['redis://127.0.0.1:1', 'nats://127.0.0.1:1']) {
      const started = Date.now();
      const r = await cli(['runs', '--transport', url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^eventide: runs failed: .*cannot connect to ${url.replace(/[/.]/g, '\\$&')}`));
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });

  it('memory:// works in the command’s own process, with a warning that nothing else is there', async () => {
    const env = { EVENTIDE_TRANSPORT: 'memory://' };
    const sent = await cli(['send', 'user/created', '--data', '{"a":1}'], env);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^evt_\S+\n$/);
    expect(sent.stderr).toMatch(/memory:\/\/ lives inside one process/);
    expect((await cli(['runs'], env)).stdout).toBe('no runs in namespace "eventide"\n');
    expect((await cli(['dead-letters', '--json'], env)).stdout).toBe('[]\n');
  });

  it('dashboard without a token answers loopback clients only, and ends on SIGINT', async () => {
    const child = spawn(process.execPath, [bin, 'dashboard', '--port', '0', '--transport', 'memory://'], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const base = await waitFor('the dashboard URL', () => /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1]);
      expect(out).toContain('no token: answering this machine only');
      const res = await fetch(`${base}/runs`, { signal: AbortSignal.timeout(5_000) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ runs: [], nextCursor: null });
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(kill);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
