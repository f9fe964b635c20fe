// Warning-level colours (GB/T blue, yellow, orange, red) and health ramp,
// shared by the map, the vitals panel and the alert feed.
export const levelColours = {
  no_data: '#5b6472',
  normal: '#2e9d5b',
  blue: '#2f7fe0',
  yellow: '#e6c229',
  orange: '#f07c1e',
  red: '#d9302c',
};

const levelByNumber = { 0: 'normal', 1: 'blue', 2: 'yellow', 3: 'orange', 4: 'red' };

export function levelName(n) { return levelByNumber[n] ?? 'no_data'; }

export function levelColour(level) {
  return levelColours[typeof level === 'number' ? levelName(level) : level] ?? levelColours.no_data;
}

// healthColour maps 0–100 to red → yellow → green.
export function healthColour(health) {
  if (health === undefined || health === null) return levelColours.no_data;
  const x = Math.max(0, Math.min(100, health)) / 100;
  const hue = Math.round(120 * x * x);
  return `hsl(${hue} 65% 42%)`;
}
