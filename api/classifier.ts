// bluezone-beacon/classifier: the streaming proximity classifier (docs/classifier.md) with the GAEN
// calibration table it ships (records/data/gaen-calibration, PROVENANCE.md there), and the observation
// CSV reader (docs/interfaces.md) to feed it from a file.
export {
  StreamingClassifier, classifyAll, METHODS, OURS_DEFAULTS, GAEN_DEFAULTS, BLUEZONE_THRESHOLDS, DEFAULT_WINDOW_MS,
  type Method, type WindowResult, type DailyContact, type OursParams, type GaenParams, type ClassifierOptions,
} from '../firmware/proximity/classifier.ts';
export {
  DEFAULT_CALIBRATION_CSV, DEFAULT_CALIBRATION, loadCalibrationTable, parseCalibrationTable, calibrationLookup,
  type DeviceModel, type CalibrationEntry, type CalibrationLookup,
} from '../records/calibration.ts';
export { observationReader, truthReader, windowsReader, parseAll, CsvError, type TruthRow } from '../records/csv.ts';
export { readCsvFile, readCsvBatches } from '../records/csvFiles.ts';
export { type Observation, type WindowRow, type DailyRow } from '../records/rows.ts';
