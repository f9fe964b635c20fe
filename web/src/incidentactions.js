// Which loop actions an incident's state allows, as the incident package's
// action table has it (incident/actions.go, requests.go). The page offers
// only these; roles, departments and areas are the server's to check, and
// its refusal is shown.

const open = new Set(['reported', 'registered', 'dispatched', 'disposing', 'fed_back', 'suspended']);
const inDisposal = new Set(['dispatched', 'disposing']);

const byState = {
  reported: ['register'],
  registered: ['dispatch'],
  dispatched: ['assign', 'accept'],
  disposing: ['assign', 'feedback'],
  fed_back: ['verify'],
  suspended: ['resume'],
  closed: ['evaluate'],
};

// requestKinds lists the requests (回退, 延期, 缓办, 作废) the state admits.
export function requestKinds(inc) {
  if (!open.has(inc.state)) return [];
  const kinds = [];
  if (inDisposal.has(inc.state)) kinds.push('return', 'extend');
  if (inc.state !== 'suspended') kinds.push('suspend');
  kinds.push('cancel');
  return kinds;
}

// availableActions lists the actions to offer, the loop's next step first:
// a pending request is decided (approve / reject) before another is filed.
export function availableActions(inc) {
  const actions = [...(byState[inc.state] || [])];
  if (open.has(inc.state)) {
    if (inc.pending) actions.push('approve', 'reject');
    else if (requestKinds(inc).length) actions.push('request');
  }
  actions.push('note');
  return actions;
}
