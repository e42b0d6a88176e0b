// bluezone-beacon: the library entry (docs/api.md). The root exports the light, dependency-free parts:
// protocol, classifier and evaluation. The simulator and the virtual air are subpath exports
// (bluezone-beacon/simulator, bluezone-beacon/air), so importing the root loads no YAML, zod or sockets.
export * from './api/protocol.ts';
export * from './api/classifier.ts';
export * from './api/evaluation.ts';
