/**
 * Where the binaries the suite runs are, and what to tell someone who lacks
 * one. Each can be pointed at by an environment variable instead.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Executable {
  /** As a person would call it. */
  name: string;
  /** The file to look for on PATH, when PATH is searched at all. */
  onPath?: string;
  /** Overrides the search when set. */
  env: string;
  /** Where to look when neither the variable nor PATH has it. */
  fallbacks: string[];
  /** How to get it, as one short phrase. */
  install: string;
}

// Debian installs nats-server into /usr/sbin, which an ordinary user's PATH often lacks.
const sbin = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export const natsServer: Executable = {
  name: 'nats-server',
  onPath: 'nats-server',
  env: 'NATS_SERVER_PATH',
  fallbacks: sbin.map((d) => join(d, 'nats-server')),
  install: 'apt-get install nats-server',
};

export const redisServer: Executable = {
  name: 'redis-server',
  onPath: 'redis-server',
  env: 'REDIS_SERVER_PATH',
  fallbacks: sbin.map((d) => join(d, 'redis-server')),
  install: 'apt-get install redis-server',
};

// Only where the dashboard test looks for it, so that both agree on whether it is there.
export const chromium: Executable = {
  name: 'Chromium',
  env: 'CHROMIUM_PATH',
  fallbacks: ['/usr/bin/chromium'],
  install: 'apt-get install chromium',
};

function runnable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path of `exe`, or undefined when it is not installed (or its variable points at nothing runnable). */
export function findExecutable(exe: Executable): string | undefined {
  const given = process.env[exe.env];
  if (given) return runnable(given) ? given : undefined;
  const file = exe.onPath;
  const onPath = file
    ? (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, file))
    : [];
  return [...onPath, ...exe.fallbacks].find(runnable);
}

/** One line saying what is missing and how to get it. */
export function missingLine(exe: Executable): string {
  const given = process.env[exe.env];
  if (given) return `${exe.name} is not at ${exe.env}=${given}`;
  return `${exe.name} is not installed (${exe.install}, or set ${exe.env})`;
}

export function requireExecutable(exe: Executable): string {
  const path = findExecutable(exe);
  if (!path) throw new Error(missingLine(exe));
  return path;
}
