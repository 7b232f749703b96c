import { describe, expect, it } from 'vitest';
import { renderWatchdogScript } from './watchdog';

describe('renderWatchdogScript', () => {
  const script = renderWatchdogScript({ ownerPid: 1234, pgid: 5678, graceSeconds: 9.5 });

  it('waits while both the owner and the service live', () => {
    expect(script).toContain('while alive 1234 && alive 5678; do sleep 1; done');
  });

  it('exits quietly when the service stopped first', () => {
    expect(script).toContain('alive 5678 || exit 0');
  });

  it('stops the whole group: SIGTERM, then SIGKILL after the rounded-up grace period', () => {
    expect(script.indexOf('kill -TERM -5678')).toBeLessThan(script.indexOf('kill -KILL -5678'));
    expect(script).toContain('[ "$i" -lt 10 ]');
  });

  it('treats zombies as dead', () => {
    expect(script).toContain('Z*) return 1');
  });

  it('refuses anything but pids', () => {
    expect(() => renderWatchdogScript({ ownerPid: 1, pgid: 5678, graceSeconds: 1 })).toThrow(/ownerPid/);
    expect(() => renderWatchdogScript({ ownerPid: 1234, pgid: Number.NaN, graceSeconds: 1 })).toThrow(/pgid/);
  });
});
