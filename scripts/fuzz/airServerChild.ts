// The air server alone in a child process, so the abuse run can read its memory (fuzz/airAbuse.ts).
// Messages: -> {port}; <- 'mem' -> {rss, peak_rss, heap, log_lines, log_bytes, stats}.
import { startVirtualAir } from '../../firmware/hci/server.ts';

let logLines = 0;
let logBytes = 0;
const air = await startVirtualAir({
  // Count what would be logged rather than writing it: the abuse run measures the volume.
  log: (l) => {
    logLines++;
    logBytes += l.length + 1;
  },
});
process.send!({ port: air.port });
process.on('message', (m) => {
  if (m === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send!({ ok: true });
  } else if (m === 'mem') {
    process.send!({
      rss: process.memoryUsage.rss(),
      peak_rss: process.resourceUsage().maxRSS * 1024,
      heap: process.memoryUsage().heapUsed,
      log_lines: logLines,
      log_bytes: logBytes,
      // (?? : also runs against servers from before issue 18, for the baseline figures)
      served: air.served ?? air.history.length,
      stats: air.stats?.() ?? [],
    });
  } else if (m === 'stop') {
    void air.close().then(() => process.exit(0));
  }
});
