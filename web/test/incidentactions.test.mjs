// The actions the incident page offers per state (src/incidentactions.js),
// checked against the incident package's action table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableActions, requestKinds } from '../src/incidentactions.js';

test('each state offers its loop step, requests where allowed, and a note', () => {
  const cases = {
    reported: ['register', 'request', 'note'],
    registered: ['dispatch', 'request', 'note'],
    dispatched: ['assign', 'accept', 'request', 'note'],
    disposing: ['assign', 'feedback', 'request', 'note'],
    fed_back: ['verify', 'request', 'note'],
    suspended: ['resume', 'request', 'note'],
    closed: ['evaluate', 'note'],
    evaluated: ['note'],
    cancelled: ['note'],
  };
  for (const [state, want] of Object.entries(cases)) assert.deepEqual(availableActions({ state }), want, state);
});

test('a pending request is decided before another is filed', () => {
  const inc = { state: 'disposing', pending: { kind: 'extend', by: 'a' } };
  assert.deepEqual(availableActions(inc), ['assign', 'feedback', 'approve', 'reject', 'note']);
});

test('returns and extensions only during disposal; no suspending the suspended', () => {
  assert.deepEqual(requestKinds({ state: 'dispatched' }), ['return', 'extend', 'suspend', 'cancel']);
  assert.deepEqual(requestKinds({ state: 'registered' }), ['suspend', 'cancel']);
  assert.deepEqual(requestKinds({ state: 'suspended' }), ['cancel']);
  assert.deepEqual(requestKinds({ state: 'closed' }), []);
});
