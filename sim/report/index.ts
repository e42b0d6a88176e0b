// Public API of the report renderer (shared/docs interfaces: sim/report).
export * from './types.ts';
export { renderEvalReport, renderPresenceReport, renderRunReport, writeReport } from './render.ts';
export { countMarks, dataMarks, specToSvg, svgToPng } from './svg.ts';
