// The API client: every call carries the session's bearer token; RFC 7807
// problems become ApiError with the server's code and detail; a 401 ends
// the session so the login form comes back.
const base = '/api/v1';
const tokenKey = 'cityvitals.token';

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export function createApi(storage = window.sessionStorage) {
  let token = storage.getItem(tokenKey) || '';
  let onUnauthorized = () => {};

  async function request(method, path, body, { signal, allow404 = false } = {}) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const resp = await fetch(base + path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
    if (resp.status === 404 && allow404) return null;
    if (!resp.ok) throw await toError(resp, path);
    if (resp.status === 204) return null;
    return resp.json();
  }

  async function toError(resp, path) {
    if (resp.status === 401 && !path.startsWith('/auth/login')) {
      token = '';
      storage.removeItem(tokenKey);
      onUnauthorized();
    }
    let problem = {};
    try { problem = await resp.json(); } catch { /* not a problem document */ }
    return new ApiError(resp.status, problem.code || '', problem.detail || problem.title || `${resp.status} ${resp.statusText}`);
  }

  return {
    get signedIn() { return token !== ''; },
    get token() { return token; },
    onUnauthorized(fn) { onUnauthorized = fn; },
    async login(name, password) {
      const res = await request('POST', '/auth/login', { name, password });
      token = res.token;
      storage.setItem(tokenKey, token);
      return res.user;
    },
    async logout() {
      try { await request('POST', '/auth/logout'); } finally {
        token = '';
        storage.removeItem(tokenKey);
      }
    },
    get: (path, opts) => request('GET', path, undefined, opts),
    // upload posts a file as the raw body (attachments, evidence).
    async upload(path, file) {
      const headers = { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream' };
      if (token) headers.Authorization = `Bearer ${token}`;
      const resp = await fetch(base + path, { method: 'POST', headers, body: file });
      if (!resp.ok) throw await toError(resp, path);
      return resp.json();
    },
    post: (path, body, opts) => request('POST', path, body ?? {}, opts),
  };
}

// enc escapes one path segment.
export const enc = encodeURIComponent;
