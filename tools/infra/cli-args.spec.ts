import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args';

const command = (argv: readonly string[]) => parseCliArgs(argv).command;

describe('parseCliArgs', () => {
  it('reads the commands without arguments', () => {
    expect(command(['up'])).toEqual({ kind: 'up' });
    expect(command(['down'])).toEqual({ kind: 'down' });
    expect(command(['status'])).toEqual({ kind: 'status' });
    expect(command(['--help'])).toEqual({ kind: 'help' });
  });

  it('takes everything after "run --" as the command, options included', () => {
    expect(command(['run', '--', 'nx', 'run-many', '-t', 'test-int', '--parallel=1'])).toEqual({
      kind: 'run',
      command: 'nx',
      args: ['run-many', '-t', 'test-int', '--parallel=1'],
    });
  });

  it('accepts run without "--" and keeps a later "--" and --state-dir for the command', () => {
    expect(command(['run', 'vitest', 'run', '--', 'x', '--state-dir', 'y'])).toEqual({
      kind: 'run',
      command: 'vitest',
      args: ['run', '--', 'x', '--state-dir', 'y'],
    });
  });

  it('reads --state-dir before the command, in both spellings', () => {
    expect(parseCliArgs(['--state-dir', '/tmp/s', 'status'])).toEqual({ stateDir: '/tmp/s', command: { kind: 'status' } });
    expect(parseCliArgs(['--state-dir=/tmp/s', 'up'])).toEqual({ stateDir: '/tmp/s', command: { kind: 'up' } });
    expect(parseCliArgs(['down'])).toEqual({ stateDir: null, command: { kind: 'down' } });
  });

  it('rejects what it does not understand with a reason', () => {
    expect(command([])).toEqual({ kind: 'invalid', message: 'no command given' });
    expect(command(['start'])).toMatchObject({ kind: 'invalid', message: expect.stringContaining('unknown command "start"') });
    expect(command(['run', '--'])).toMatchObject({ kind: 'invalid', message: expect.stringContaining('run -- <command>') });
    expect(command(['up', 'now'])).toMatchObject({ kind: 'invalid', message: expect.stringContaining('takes no arguments') });
    expect(command(['--state-dir'])).toMatchObject({ kind: 'invalid', message: expect.stringContaining('--state-dir needs a folder') });
  });
});
