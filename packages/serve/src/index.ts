export { SERVE_DEFAULTS } from './defaults.js';
export { startServer, type RunningServer, type ServeOptions } from './start-server.js';
