/** Where eventide writes about itself; pass `console`, pino or anything with these four methods. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
  console.error(`[eventide] ${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
};

/** Default: warnings and errors to stderr, nothing else. */
export const defaultLogger: Logger = { debug: () => {}, info: () => {}, warn: write('warn'), error: write('error') };

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
