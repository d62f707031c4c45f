import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_TITLES, errorTitle, toPlotError } from '../src/logic/errors';
import { ERROR_KINDS } from '../src/logic/protocol';
import { rewriteLensCommand, scanDefLines, targetFromCommandArgs } from '../src/logic/lenses';

describe('toPlotError', () => {
  it('a -32803 error with data.kind', () => {
    assert.deepEqual(toPlotError({ code: -32803, message: 'f took longer than 10 s', data: { kind: 'timeout' } }), {
      kind: 'timeout',
      message: 'f took longer than 10 s',
    });
  });
  it('invalid-options keeps the option the server names', () => {
    const e = {
      code: -32803,
      message: 'samples must be 2 to 401 for a function of two variables, got 1000',
      data: { kind: 'invalid-options', option: 'samples' },
    };
    assert.deepEqual(toPlotError(e), { kind: 'invalid-options', message: e.message, option: 'samples' });
    assert.deepEqual(toPlotError({ code: -32803, message: 'directive: unknown option', data: { kind: 'invalid-options' } }), {
      kind: 'invalid-options',
      message: 'directive: unknown option',
    });
    assert.equal(toPlotError({ code: -32803, message: 'm', data: { kind: 'timeout', option: 7 } }).option, undefined);
  });
  it('other JSON-RPC errors', () => {
    assert.equal(toPlotError({ code: -32603, message: 'boom' }).kind, 'internal');
    assert.equal(toPlotError({ code: -32800, message: 'cancelled' }).kind, 'cancelled');
    assert.equal(toPlotError({ code: -32803, message: 'no kind' }).kind, 'internal');
  });
  it('a kind this client does not know is not called internal', () => {
    const e = toPlotError({ code: -32803, message: 'the quota is used up', data: { kind: 'quota' } });
    assert.equal(e.kind, 'client');
    assert.match(e.message, /^the quota is used up .*"quota"/);
  });
  it('anything else', () => {
    assert.deepEqual(toPlotError(new Error('server not running')), { kind: 'client', message: 'server not running' });
    assert.deepEqual(toPlotError(Object.assign(new Error('not running'), { data: { kind: 'client' } })), { kind: 'client', message: 'not running' });
    assert.deepEqual(toPlotError('x'), { kind: 'client', message: 'x' });
  });
  it('titles: one for every kind of the protocol', () => {
    assert.equal(errorTitle('timeout'), 'Timed out');
    assert.equal(errorTitle('invalid-options'), 'Invalid option');
    assert.equal(errorTitle('weird'), 'weird');
    for (const kind of ERROR_KINDS) assert.ok(ERROR_TITLES[kind] && ERROR_TITLES[kind] !== kind, kind);
    assert.ok(ERROR_KINDS.includes('invalid-options'));
  });
});

describe('code lenses', () => {
  it('rewrites derivlens.plot to the client command, keeps arguments', () => {
    const args = [{ uri: 'file:///a.py', position: { line: 1, character: 0 } }];
    const cmd = { title: 'Plot derivative', command: 'derivlens.plot', arguments: args };
    assert.equal(rewriteLensCommand(cmd).command, 'derivlens.openPlot');
    assert.equal(cmd.arguments, args);
    assert.equal(rewriteLensCommand({ title: 't', command: 'other' }).command, 'other');
    assert.equal(rewriteLensCommand(undefined), undefined);
  });
  it('reads the target from the arguments', () => {
    assert.deepEqual(targetFromCommandArgs([{ uri: 'u', position: { line: 1, character: 2 } }]), { uri: 'u', position: { line: 1, character: 2 } });
    assert.equal(targetFromCommandArgs([]), undefined);
    assert.equal(targetFromCommandArgs([{ uri: 'u' }]), undefined);
    assert.equal(targetFromCommandArgs(undefined), undefined);
  });
  it('scans def lines', () => {
    const text = 'import torch\n\ndef f(x):\n    return x\n\nasync def g(x): pass\nh = lambda x: x\nclass C:\n    @staticmethod\n    def m(x):\n        return x\n';
    assert.deepEqual(scanDefLines(text), [2, 5, 6, 9]);
  });
});
