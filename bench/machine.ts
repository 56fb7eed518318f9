import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Where and when the numbers were taken: printed above every run, copied into BENCHMARKS.md. */
export function describeMachine(): string[] {
  return [
    `date: ${new Date().toISOString()}`,
    `node: ${process.version} (V8 ${process.versions.v8}), ${os.platform()} ${os.arch()}`,
    `cpu: ${cpuModel()}, ${os.availableParallelism()} cores (nproc)`,
    `load average at start: ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}`,
  ];
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1] !== undefined) return match[1].trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return os.cpus()[0]?.model ?? 'unknown';
}
