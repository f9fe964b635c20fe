// Server-sent events over fetch(): EventSource cannot send the
// Authorization header, so the stream is read and parsed here. The stream
// reconnects with backoff until stop() is called, sending the last event
// id it saw as Last-Event-ID so a stream with a backlog (level changes)
// resumes without a gap.
export function parseEvents(buffer, emit) {
  // Events end with a blank line; returns the unfinished tail.
  const blocks = buffer.split(/\r?\n\r?\n/);
  const tail = blocks.pop();
  for (const block of blocks) {
    const ev = { event: 'message', data: '', id: '' };
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') ev.event = value;
      else if (field === 'id') ev.id = value;
    }
    ev.data = data.join('\n');
    if (data.length) emit(ev);
  }
  return tail;
}

export function openStream(api, path, { onEvent, onStatus = () => {} }) {
  const ctrl = new AbortController();
  let delay = 1000;
  let lastId = '';
  const track = (ev) => {
    if (ev.id) lastId = ev.id;
    onEvent(ev);
  };
  async function run() {
    while (!ctrl.signal.aborted) {
      try {
        const headers = { Authorization: `Bearer ${api.token}`, Accept: 'text/event-stream' };
        if (lastId) headers['Last-Event-ID'] = lastId;
        const resp = await fetch(`/api/v1${path}`, { headers, signal: ctrl.signal });
        if (!resp.ok || !resp.body) throw new Error(`HTTP ${resp.status}`);
        onStatus(true);
        delay = 1000;
        const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer = parseEvents(buffer + value, track);
        }
      } catch (err) {
        if (ctrl.signal.aborted) return;
        console.warn(`stream ${path}:`, err);
      }
      onStatus(false);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }
  run();
  return { stop: () => ctrl.abort() };
}
