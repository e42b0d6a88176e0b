// Public API of the report renderer (sim run, eval and the presence page).
export * from './types.ts';
export { renderEvalReport, renderRunReport, writeReport } from './render.ts';
export { countMarks, dataMarks, pngUnavailable, specToSvg, svgToPng } from './svg.ts';
