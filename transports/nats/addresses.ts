/**
 * Which names of a namespace are durable subjects and which are broadcast
 * channels, and their addresses. Both live under `<ns>.`, so one name cannot
 * be both (a subject's stream would store every broadcast). A durable
 * subject's stream is made on its first use, before anything is published
 * to it.
 */
import { ConfigError } from '../../core/errors.js';
import type { Names } from './names.js';

export class Addresses {
  /** Durable subject → its address, once its stream is known to exist. */
  private readonly subjects = new Map<string, string>();
  private readonly preparing = new Map<string, Promise<string>>();
  private readonly channels = new Map<string, string>();

  constructor(
    private readonly names: Names,
    /** Makes (or finds) the stream of a durable subject. */
    private readonly createStream: (subject: string) => Promise<void>,
  ) {}

  /** The address of a durable subject whose stream exists; undefined until `prepare` has made sure of it. */
  subject(subject: string): string | undefined {
    return this.subjects.get(subject);
  }

  /** Durable subjects whose streams exist (to make again when the server lost them). */
  knownSubjects(): IterableIterator<string> {
    return this.subjects.keys();
  }

  /** The address of a durable subject, creating its stream on first use. */
  prepare(subject: string): Promise<string> {
    let ready = this.preparing.get(subject);
    if (ready === undefined) {
      ready = (async () => {
        if (this.channels.has(subject)) throw sharedName(subject);
        await this.createStream(subject);
        const address = this.names.subject(subject);
        this.subjects.set(subject, address);
        return address;
      })();
      this.preparing.set(subject, ready);
      ready.catch(() => this.preparing.delete(subject));
    }
    return ready;
  }

  /** The address of a broadcast channel. */
  channel(channel: string): string {
    let address = this.channels.get(channel);
    if (address === undefined) {
      if (this.preparing.has(channel)) throw sharedName(channel);
      this.channels.set(channel, (address = this.names.channel(channel)));
    }
    return address;
  }
}

function sharedName(name: string): ConfigError {
  return new ConfigError(
    `NATS transport: "${name}" is used both as a durable subject and as a broadcast channel; both live under <ns>.${name}, so pick two names`,
  );
}
