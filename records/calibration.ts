// Per-model BLE calibration (pure, no I/O): the caller reads the GAEN calibration CSV and passes the text
// in; the classifier only sees a lookup function. Source and semantics: shared/data/gaen-calibration
// README and peers-and-radio-facts.md 1.2 (attenuation = TX_power - (RSSI + RSSI_correction)).

export interface CalibrationEntry {
  /** Added to the RSSI this model measures, to give what a typical iPhone reports (dB). */
  rssiCorrection: number;
  /** This model's calibrated TX power on the iPhone scale (dBm), as GAEN's metadata carries it. */
  txPower: number;
  /** The row was measured directly (not extrapolated from the OEM). */
  measured: boolean;
}

export type CalibrationLookup = (model: string | undefined) => CalibrationEntry | undefined;

/**
 * Defaults for models not in the table. The table is Android-only and its correction maps onto the iPhone
 * scale, so an iPhone (or an unknown phone) gets correction 0. TX -24 dBm is the table's most common value
 * (2,075 of 9,895 rows, gaen-calibration README "Format").
 */
export const DEFAULT_CALIBRATION: Readonly<CalibrationEntry> = Object.freeze({
  rssiCorrection: 0,
  txPower: -24,
  measured: false,
});

export class CalibrationFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'CalibrationFormatError';
  }
}

function normModel(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ');
}

/** Splits one CSV line (RFC 4180 quotes, no embedded newlines: the table has none). */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  let field = '';
  let quoted = false;
  while (i < line.length) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
    i++;
  }
  out.push(field);
  return out;
}

/**
 * Parses Google's "EN Calibration" CSV (columns oem, model, rssi correction, tx, has direct measurement;
 * header text as in the 13 June 2020 file). Keys are the model string, matched case-insensitively, and
 * also "oem model". Throws CalibrationFormatError with the line number on a malformed row.
 */
export function parseCalibrationCsv(text: string): Map<string, CalibrationEntry> {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim().toLowerCase());
  const col = (pred: (h: string) => boolean, what: string): number => {
    const i = header.findIndex(pred);
    if (i < 0) throw new CalibrationFormatError(`calibration header has no ${what} column`, 1);
    return i;
  };
  const iOem = col((h) => h === 'oem', '"oem"');
  const iModel = col((h) => h === 'model', '"model"');
  const iCorr = col((h) => h.startsWith('rssi correction'), '"rssi correction"');
  const iTx = col((h) => h === 'tx' || h.startsWith('tx '), '"tx"');
  const iMeas = header.findIndex((h) => h.startsWith('has direct measurement'));
  const table = new Map<string, CalibrationEntry>();
  for (let ln = 1; ln < lines.length; ln++) {
    const line = lines[ln];
    if (line.trim() === '') continue;
    const f = splitCsvLine(line);
    if (f.length < header.length)
      throw new CalibrationFormatError(`line ${ln + 1}: ${f.length} columns, expected ${header.length}`, ln + 1);
    const corr = Number(f[iCorr]);
    const tx = Number(f[iTx]);
    if (f[iCorr].trim() === '' || !Number.isFinite(corr))
      throw new CalibrationFormatError(`line ${ln + 1}: bad rssi correction "${f[iCorr]}"`, ln + 1, iCorr + 1);
    if (f[iTx].trim() === '' || !Number.isFinite(tx))
      throw new CalibrationFormatError(`line ${ln + 1}: bad tx "${f[iTx]}"`, ln + 1, iTx + 1);
    const entry: CalibrationEntry = {
      rssiCorrection: corr,
      txPower: tx,
      measured: iMeas >= 0 && f[iMeas].trim().toLowerCase() === 'yes',
    };
    const model = normModel(f[iModel]);
    if (model === '') continue;
    // First row wins for duplicate model strings; the 2020-06-13 table has none.
    if (!table.has(model)) table.set(model, entry);
    const both = normModel(`${f[iOem]} ${f[iModel]}`);
    if (!table.has(both)) table.set(both, entry);
  }
  return table;
}

/** A lookup over a parsed table (case-insensitive, whitespace-normalised model strings). */
export function calibrationLookup(table: Map<string, CalibrationEntry>): CalibrationLookup {
  return (model) => (model ? table.get(normModel(model)) : undefined);
}

/** Bluezone platform of a device model: Apple models are iOS, everything else is taken as Android. */
export function platformOf(model: string | undefined): 'iOS' | 'Android' {
  return model && /iphone|ipad|ipod|\bios\b|apple/i.test(model) ? 'iOS' : 'Android';
}
