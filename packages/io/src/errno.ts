/**
 * Operating-system error names from numbers (native backends report numbers) and from Node errors.
 */
import { constants } from 'node:os';

const names = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!names.has(value)) names.set(value, name);
}

/** `"EADDRINUSE"` for the platform's number of EADDRINUSE; `"E<number>"` when unknown. */
export function errnoName(errno: number): string {
  return names.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

/** The error name and call of an error thrown by Node or by a native binding. */
export function systemErrorParts(
  error: unknown,
  fallbackSyscall: string,
): { errno: string; syscall: string } {
  if (typeof error === 'object' && error !== null) {
    const record = error as { code?: unknown; errno?: unknown; syscall?: unknown };
    const syscall = typeof record.syscall === 'string' ? record.syscall : fallbackSyscall;
    if (typeof record.code === 'string' && record.code.startsWith('E'))
      return { errno: record.code, syscall };
    if (typeof record.errno === 'number') return { errno: errnoName(record.errno), syscall };
  }
  return { errno: 'UNKNOWN', syscall: fallbackSyscall };
}
