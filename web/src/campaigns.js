// Hazard-campaign progress (隐患整治). The endpoint may not exist yet: the
// panel stays hidden unless GET /campaigns answers.
import { h, clear } from './dom.js';

export async function renderCampaigns(el, ctx) {
  el.hidden = true;
  let res;
  try { res = await ctx.api.get('/campaigns', { allow404: true }); } catch { return; }
  const items = res?.items || (Array.isArray(res) ? res : []);
  if (!items.length) return;
  const { t } = ctx.i18n;
  clear(el).append(h('h2', {}, t('campaigns')), h('ul', { class: 'campaigns' }, items.map((c) => {
    const done = Number(c.done ?? c.progress?.done ?? 0);
    const total = Number(c.total ?? c.progress?.total ?? 0);
    return h('li', {},
      h('span', {}, ctx.i18n.name(c) || c.title || c.name || c.id),
      h('progress', { max: total || 1, value: done, 'aria-label': `${done}/${total}` }),
      h('span', {}, `${done}/${total}`));
  })));
  el.hidden = false;
}
