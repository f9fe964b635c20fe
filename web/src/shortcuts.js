// Single-key shortcuts (listed in the ? dialog); ignored while typing in a
// form field or with a modifier held, so they never eat real input.
const keys = { '?': 'help', h: 'home', u: 'up', m: 'mode', a: 'alerts', b: 'board', e: 'evaluation', l: 'lang' };

export function installShortcuts(handlers) {
  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = e.target?.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || e.target?.isContentEditable) return;
    const name = keys[e.key];
    if (!name || !handlers[name]) return;
    e.preventDefault();
    handlers[name]();
  }
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
