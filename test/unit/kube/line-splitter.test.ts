import { strict as assert } from 'node:assert';
import { LineSplitter } from '../../../src/kube/line-splitter.js';

/** The lines `chunks` make, pushed one by one, then ended. */
function split(chunks: Array<string | Buffer>): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('hands over each line of a chunk, in order, without its newline', () => {
    assert.deepEqual(split(['{"a":1}\n{"b":2}\n']), ['{"a":1}', '{"b":2}']);
  });

  it('joins a line cut across chunks, and one cut across three', () => {
    assert.deepEqual(split(['{"type":"AD', 'DED"}\n{"x"', ':', '1}\n']), ['{"type":"ADDED"}', '{"x":1}']);
  });

  it('decodes a UTF-8 character whose bytes are cut across chunks', () => {
    const bytes = Buffer.from('{"v":"é€"}\n');
    // "é" is 2 bytes from offset 6, "€" 3 bytes from offset 8: cut inside each.
    const chunks = [bytes.subarray(0, 7), bytes.subarray(7, 9), bytes.subarray(9)];
    assert.deepEqual(split(chunks), ['{"v":"é€"}']);
  });

  it('strips "\\r\\n", skips empty lines, and hands over a last line without a newline at the end', () => {
    assert.deepEqual(split(['a\r\n\n\nb', '\r', '\nc']), ['a', 'b', 'c']);
  });

  it('hands over nothing for a chunk without a newline until the line ends', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push(Buffer.from('{"partial":'));
    assert.deepEqual(lines, []);
    splitter.push(Buffer.from('true}\n'));
    assert.deepEqual(lines, ['{"partial":true}']);
  });
});
