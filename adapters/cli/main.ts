/**
 * @module
 * `eventide <command>`: dispatch, help, and what an error becomes. Exit
 * codes: 0 done, 1 the command failed (a transport that does not answer, a
 * run that does not exist, an event refused), 2 the command line is wrong.
 */
import { ConfigError, EventValidationError } from '../../index.js';
import { parse, splitCommand, UsageError } from './args.js';
import { commands, type Command, type Io } from './commands.js';
import type { Connection } from './outside.js';
import { Failure } from './outside.js';

const globalHelp = `  -t, --transport <url>  nats://host:4222, redis://host:6379, redis+cluster://…; default EVENTIDE_TRANSPORT
  -n, --namespace <ns>   the namespace the service uses; default EVENTIDE_NAMESPACE, else eventide
  -h, --help             this help`;

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return `eventide: look at and act on an eventide namespace from outside the service

usage: eventide <command> [options]

commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

options of every command:
${globalHelp}

eventide <command> --help describes a command and its options.
`;
}

const commandHelp = (name: string, c: Command) => `eventide ${name}: ${c.summary}

usage: ${c.usage}

${c.help}

${globalHelp}
`;

/** Resolves on the first SIGINT or SIGTERM, which then no longer end the process at once. */
function interruption(): Promise<unknown> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

export async function main(argv: string[], io: Io): Promise<number> {
  const { name, rest } = splitCommand(argv);
  const usageError = (message: string, name?: string) => {
    io.err.write(
      `eventide: ${message}\n${name ? `usage: ${commands[name].usage}\nsee eventide ${name} --help\n` : 'see eventide --help\n'}`,
    );
    return 2;
  };
  if (name === undefined || name === 'help') {
    const topic = name === 'help' ? rest.find((a) => !a.startsWith('-')) : undefined;
    if (topic !== undefined && !Object.hasOwn(commands, topic)) return usageError(`no command "${topic}"`);
    if (topic !== undefined) io.out.write(commandHelp(topic, commands[topic]));
    else if (name === 'help' || rest.includes('--help') || rest.includes('-h')) io.out.write(overview());
    else return usageError('which command? (dashboard, send, runs, run, replay, dead-letters)');
    return 0;
  }
  if (!Object.hasOwn(commands, name)) return usageError(`no command "${name}"`);
  const command = commands[name];
  try {
    const { values, positionals } = parse(rest, command.options, command.positionals);
    if (values.help) {
      io.out.write(commandHelp(name, command));
      return 0;
    }
    let connected: Connection | undefined;
    // Read when a command first needs it, so that --help and usage errors need no transport; once, so a warning is said once.
    const connection = (): Connection => (connected ??= connectionOf());
    const connectionOf = (): Connection => {
      const transport = (values.transport as string | undefined) || io.env.EVENTIDE_TRANSPORT;
      if (!transport) throw new UsageError('which transport? give --transport redis://host:6379 (or nats://…), or set EVENTIDE_TRANSPORT');
      if (/^memory:/i.test(transport))
        io.err.write('eventide: memory:// lives inside one process: this command sees only what it does itself\n');
      const namespace = (values.namespace as string | undefined) || io.env.EVENTIDE_NAMESPACE || 'eventide';
      return { transport, namespace };
    };
    await command.run({ values, positionals, io, connection, interrupted: interruption });
    return 0;
  } catch (e) {
    if (e instanceof UsageError) return usageError(e.message, name);
    // A transport URL or namespace the runtime refuses is a wrong command line too.
    if (e instanceof ConfigError && /^(transport|namespace)\b/.test(e.message)) return usageError(e.message, name);
    const err = e as Error;
    if (e instanceof Failure || e instanceof ConfigError || e instanceof EventValidationError) io.err.write(`eventide: ${err.message}\n`);
    else
      io.err.write(`eventide: ${name} failed: ${err?.message ?? String(e)}${err?.name && err.name !== 'Error' ? ` (${err.name})` : ''}\n`);
    return 1;
  }
}
