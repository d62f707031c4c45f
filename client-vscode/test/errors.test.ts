import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorTitle, toPlotError } from '../src/logic/errors';
import { rewriteLensCommand, scanDefLines, targetFromCommandArgs } from '../src/logic/lenses';

describe('toPlotError', () => {
  it('a -32803 error with data.kind', () => {
    assert.deepEqual(toPlotError({ code: -32803, message: 'f took longer than 10 s', data: { kind: 'timeout' } }), {
      kind: 'timeout',
      message: 'f took longer than 10 s',
    });
  });
  it('other JSON-RPC errors', () => {
    assert.equal(toPlotError({ code: -32603, message: 'boom' }).kind, 'internal');
    assert.equal(toPlotError({ code: -32800, message: 'cancelled' }).kind, 'cancelled');
    assert.equal(toPlotError({ code: -32803, message: 'no kind' }).kind, 'internal');
  });
  it('anything else', () => {
    assert.deepEqual(toPlotError(new Error('server not running')), { kind: 'client', message: 'server not running' });
    assert.deepEqual(toPlotError('x'), { kind: 'client', message: 'x' });
  });
  it('titles', () => {
    assert.equal(errorTitle('timeout'), 'Timed out');
    assert.equal(errorTitle('weird'), 'weird');
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
