// The report formats: RFC 4180 CSV with spreadsheet-formula guarding, and the XLSX writer's zip and XML.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { toCsv } from '../../fleet/reports.ts';
import { writeXlsx } from '../../fleet/xlsx.ts';

/** Reads a stored (method 0) zip through its central directory, checking each CRC. */
function unzip(buf: Buffer): Map<string, string> {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(eocd).toBeGreaterThan(0);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const files = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(p)).toBe(0x02014b50);
    const crc = buf.readUInt32LE(p + 16);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    expect(buf.readUInt32LE(local)).toBe(0x04034b50);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    expect(crc32(data), name).toBe(crc);
    files.set(name, data.toString('utf8'));
    p += 46 + nameLen;
  }
  return files;
}

describe('reports', () => {
  it('CSV: quotes commas, quotes and line breaks; guards formula-looking text', () => {
    expect(toCsv([['a', 'b,c', 'say "hi"', 'x\ny', 3, null], ['=SUM(A1)', '-1', -1]])).toBe('a,"b,c","say ""hi""","x\ny",3,\r\n\'=SUM(A1),\'-1,-1\r\n');
  });

  it('XLSX: a valid zip with the parts Excel and LibreOffice need; numbers as numbers, text escaped', () => {
    const x = writeXlsx('daily 2026-11-23', [['site', 'phones'], ['Phòng <A> & "B"', 42], ['empty', null]]);
    const files = unzip(x);
    expect([...files.keys()].sort()).toEqual(['[Content_Types].xml', '_rels/.rels', 'xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/worksheets/sheet1.xml']);
    const sheet = files.get('xl/worksheets/sheet1.xml')!;
    expect(sheet).toContain('<c r="B2"><v>42</v></c>');
    expect(sheet).toContain('<c r="A2" t="inlineStr"><is><t>Phòng &lt;A&gt; &amp; &quot;B&quot;</t></is></c>');
    expect(sheet).not.toContain('r="B3"');
    expect(files.get('xl/workbook.xml')).toContain('<sheet name="daily 2026-11-23" sheetId="1" r:id="rId1"/>');
    expect(writeXlsx('s', [['a']]).equals(writeXlsx('s', [['a']]))).toBe(true); // repeatable bytes
  });

  it('XLSX: column names past Z', () => {
    const row = Array.from({ length: 30 }, (_, i) => i);
    expect(unzip(writeXlsx('s', [row])).get('xl/worksheets/sheet1.xml')).toContain('<c r="AD1"><v>29</v></c>');
  });
});
