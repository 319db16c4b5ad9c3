// Test-only kit both apps' tests share (imported relatively: it is not part of the package):
// cleanup after each test, bounded waits, an in-memory log, child processes, TCP ports,
// Prometheus samples, and headless Chromium's launch options.
export { cleanupAfterEach } from './cleanup.js';
export { CHROMIUM, headlessChromiumOptions, openHeadlessPage } from './headless-chromium.js';
export { memoryLog } from './memory-log.js';
export { metricValue, parseMetrics, type MetricSample } from './metric-samples.js';
export { freeTcpPort, takenTcpPort } from './tcp-port.js';
export { startBin, startProcess, type StartOptions, type TestProcess } from './test-process.js';
export { waitFor } from './wait-for.js';
