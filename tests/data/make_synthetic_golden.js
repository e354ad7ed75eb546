// Regenerates synthetic_golden.json from the BullMQ anchor's own stage code,
// so the C++ port is checked against an implementation it does not share:
//   node tests/data/make_synthetic_golden.js ../shared/anchors/bullmq/lib/stages.js
'use strict';
const path = require('path');
const { STAGES, LAYERS } = require(path.resolve(process.argv[2]));
const texts = [
  'The app crashes every time I open settings. Terrible, please fix ASAP!',
  'Love the new dashboard, great work and thanks!',
  'How do I export my data to CSV?',
  'Checkout is DOWN right now!!! This is a blocker, urgent outage.',
  'Would love a dark mode option, nice to have.',
  'Café au lait ☕ — la app es lenta y se cuelga 🚀 İstanbul KELVIN',
  '!!!',
  'slow slow slow bug bug broken, not good at all, awful experience; bad bad',
];
const out = texts.map((text) => {
  const r = { text };
  for (const layer of LAYERS) for (const name of layer) r[name] = STAGES[name](r);
  const results = {};
  for (const layer of LAYERS) for (const name of layer) results[name] = r[name];
  return { text, results };
});
process.stdout.write('[\n' + out.map((x) => JSON.stringify(x)).join(',\n') + '\n]\n');
