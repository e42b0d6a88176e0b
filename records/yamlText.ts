// The one YAML/JSON text reader for the files users write (scenarios, sweeps, the beacon config): syntax
// errors name file, line and column; the line of any field path for the callers' validation messages.
import { isNode, LineCounter, parseDocument } from 'yaml';

/** A file that is not YAML/JSON; the message names file:line:col where the parser knows them. */
export class YamlTextError extends Error {}

export interface YamlText {
  /** The document as plain JS (null for an empty one). */
  raw: unknown;
  /** The line of the node at path, or of its nearest ancestor that has one (exact: only the node's own). */
  lineOf(path: readonly (string | number)[], exact?: boolean): number | undefined;
}

export function parseYamlText(text: string, file: string): YamlText {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = lc.linePos(e.pos[0]);
    throw new YamlTextError(`${file}:${pos.line}:${pos.col}: not valid YAML/JSON: ${e.message.split('\n')[0]}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (e) {
    // toJS throws ReferenceError for an alias without its anchor and for alias bombs (maxAliasCount)
    throw new YamlTextError(`${file}: not valid YAML/JSON: ${(e as Error).message}`);
  }
  const lineOf = (path: readonly (string | number)[], exact = false) => {
    for (let n = path.length; n >= (exact ? path.length : 0); n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return { raw, lineOf };
}
