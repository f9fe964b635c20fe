// Language state: Simplified Chinese by default, English on request; the
// choice is remembered in localStorage. Strings live in i18n/<lang>.js.
import zh from './i18n/zh.js';
import en from './i18n/en.js';

const tables = { zh, en };
const storageKey = 'cityvitals.lang';

export function createI18n(storage = window.localStorage) {
  let lang = storage.getItem(storageKey) === 'en' ? 'en' : 'zh';
  const listeners = new Set();
  const apply = () => { document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'; };
  apply();
  return {
    get lang() { return lang; },
    t(key) { return tables[lang][key] ?? key; },
    // name picks the localised name of an API object with name_zh/name_en.
    name(obj) { return (lang === 'zh' ? obj.name_zh : obj.name_en) || obj.name_zh || obj.name_en || obj.code || ''; },
    toggle() {
      lang = lang === 'zh' ? 'en' : 'zh';
      storage.setItem(storageKey, lang);
      apply();
      listeners.forEach((fn) => fn(lang));
    },
    onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); },
  };
}
