// The alert feed says why nobody was notified of an alert, in both
// languages, from the API's muted_by.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mutedText } from '../src/alerts.js';
import zh from '../src/i18n/zh.js';
import en from '../src/i18n/en.js';

const tr = (table) => (key) => table[key] ?? key;

test('a silenced alert names its silences', () => {
  assert.equal(mutedText({ silences: [3, 7] }, tr(en)), 'Notifications silenced (silence #3, #7)');
  assert.equal(mutedText({ silences: [3] }, tr(zh)), '通知已静默（静默规则 #3）');
});

test('an inhibited alert names the rule', () => {
  const why = { inhibit_rule: 'red-parent-mutes-yellow-children', inhibited_by: 'abc' };
  assert.match(mutedText(why, tr(en)), /^Notifications inhibited \(red-parent-mutes-yellow-children/);
  assert.match(mutedText(why, tr(zh)), /^通知已抑制（red-parent-mutes-yellow-children/);
});

test('a reason without detail still says the notifications were held back', () => {
  assert.equal(mutedText({}, tr(en)), 'Notifications held back');
});
