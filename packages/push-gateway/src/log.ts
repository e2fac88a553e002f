// The gateway's log: one line a record on standard error, at a level. At info it never writes an
// endpoint, a token, a node or an address: a registration or a wake-up is counted, not described.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type Logger = (level: LogLevel, message: string) => void;

export function createLogger(
  minimum: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  return (level, message) => {
    if (ORDER[level] >= ORDER[minimum])
      write(`${new Date().toISOString()} ${level} ${message.replace(/[\r\n]+/g, ' ')}`);
  };
}

export const isLogLevel = (value: string): value is LogLevel => value in ORDER;
