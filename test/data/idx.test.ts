import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { encodeIdxImages, encodeIdxLabels, maybeGunzip, parseIdxImages, parseIdxLabels } from '../../src/data/idx';

/** Big-endian int32 header followed by bytes, written out by hand (independent of the encoder). */
function idx(header: number[], body: number[]): Uint8Array {
  const out = new Uint8Array(4 * header.length + body.length);
  header.forEach((value, i) => {
    out[4 * i] = (value >>> 24) & 0xff;
    out[4 * i + 1] = (value >>> 16) & 0xff;
    out[4 * i + 2] = (value >>> 8) & 0xff;
    out[4 * i + 3] = value & 0xff;
  });
  out.set(body, 4 * header.length);
  return out;
}

// 3 images of 2 rows x 4 cols: pixel values 0..23 then 255, so order and range are checked.
const PIXELS = [...Array.from({ length: 23 }, (_, i) => i), 255];
const IMAGES = idx([0x00000803, 3, 2, 4], PIXELS);
const LABELS = idx([0x00000801, 5], [0, 9, 3, 7, 1]);

describe('parseIdxImages', () => {
  test('reads the header and the pixels, image by image, row by row', () => {
    const parsed = parseIdxImages(IMAGES, 'images.idx');
    assert.equal(parsed.count, 3);
    assert.equal(parsed.rows, 2);
    assert.equal(parsed.cols, 4);
    assert.deepEqual([...parsed.pixels], PIXELS);
  });

  test('reads a header of a big count (60000 = 0x0000EA60) as big-endian', () => {
    const header = idx([2051, 60000, 28, 28], []);
    assert.throws(() => parseIdxImages(header, 'big.idx'), /header promises 47040000 bytes of pixels/);
  });

  test('rejects a wrong magic number, naming the file', () => {
    assert.throws(() => parseIdxImages(LABELS, 'train-images-idx3-ubyte'), {
      message: 'train-images-idx3-ubyte: not an IDX images file (magic number 2049, expected 2051)',
    });
  });

  test('says when the file is still gzipped', () => {
    assert.throws(() => parseIdxImages(gzipSync(IMAGES), 'x.gz'), /not an IDX images file .*; it is still gzipped/);
  });

  test('rejects a truncated header', () => {
    assert.throws(() => parseIdxImages(IMAGES.subarray(0, 10), 'short.idx'), {
      message: 'short.idx: truncated IDX images file (10 bytes, shorter than the 16-byte header)',
    });
    assert.throws(
      () => parseIdxImages(IMAGES.subarray(0, 2), 'tiny.idx'),
      /tiny\.idx: truncated IDX images file \(2 bytes/,
    );
    assert.throws(() => parseIdxImages(new Uint8Array(), 'empty.idx'), /empty\.idx: truncated/);
  });

  test('rejects a truncated body', () => {
    assert.throws(() => parseIdxImages(IMAGES.subarray(0, IMAGES.length - 1), 'cut.idx'), {
      message: 'cut.idx: truncated file (header promises 24 bytes of pixels (3 images of 2x4), found 23)',
    });
  });

  test('rejects trailing bytes the header does not account for', () => {
    const longer = idx([2051, 3, 2, 4], [...PIXELS, 0, 0]);
    assert.throws(() => parseIdxImages(longer, 'long.idx'), /long\.idx: 2 unexpected bytes after the 24 bytes/);
  });

  test('rejects nonsense dimensions', () => {
    assert.throws(
      () => parseIdxImages(idx([2051, 1, 0, 4], []), 'zero.idx'),
      /bad IDX images header \(count 1, rows 0, cols 4\)/,
    );
  });
});

describe('parseIdxLabels', () => {
  test('reads the labels', () => {
    assert.deepEqual([...parseIdxLabels(LABELS, 'labels.idx')], [0, 9, 3, 7, 1]);
  });

  test('reads an empty label file', () => {
    assert.equal(parseIdxLabels(idx([2049, 0], []), 'empty.idx').length, 0);
  });

  test('rejects a wrong magic number', () => {
    assert.throws(() => parseIdxLabels(IMAGES, 'labels.idx'), {
      message: 'labels.idx: not an IDX labels file (magic number 2051, expected 2049)',
    });
  });

  test('rejects truncated headers and bodies', () => {
    assert.throws(
      () => parseIdxLabels(LABELS.subarray(0, 7), 'l.idx'),
      /l\.idx: truncated IDX labels file \(7 bytes, shorter than the 8-byte header\)/,
    );
    assert.throws(() => parseIdxLabels(LABELS.subarray(0, 11), 'l.idx'), {
      message: 'l.idx: truncated file (header promises 5 bytes of labels (5 labels), found 3)',
    });
  });

  test('rejects a label above 9, naming it and its index', () => {
    assert.throws(() => parseIdxLabels(idx([2049, 3], [1, 2, 10]), 'bad.idx'), {
      message: 'bad.idx: label 10 at index 2 is not a digit 0..9',
    });
  });
});

describe('maybeGunzip', () => {
  test('unpacks gzip data and passes plain data through untouched', () => {
    assert.deepEqual([...maybeGunzip(gzipSync(IMAGES), 'x.gz')], [...IMAGES]);
    assert.equal(maybeGunzip(IMAGES, 'x'), IMAGES);
    assert.deepEqual([...parseIdxLabels(maybeGunzip(gzipSync(LABELS), 'l.gz'), 'l.gz')], [0, 9, 3, 7, 1]);
  });

  test('rejects corrupt gzip data, naming the file', () => {
    const gz = gzipSync(IMAGES);
    const corrupt = Uint8Array.from(gz);
    corrupt.fill(0xaa, 10, 20);
    assert.throws(
      () => maybeGunzip(corrupt, 'train-images-idx3-ubyte.gz'),
      /^UsageError: train-images-idx3-ubyte\.gz: corrupt gzip data \(/,
    );
    assert.throws(() => maybeGunzip(gz.subarray(0, gz.length - 8), 'cut.gz'), /cut\.gz: corrupt gzip data/);
  });
});

describe('encodeIdxImages / encodeIdxLabels', () => {
  test('write exactly the bytes of the format', () => {
    assert.deepEqual(encodeIdxImages({ count: 3, rows: 2, cols: 4, pixels: Uint8Array.from(PIXELS) }), IMAGES);
    assert.deepEqual(encodeIdxLabels(Uint8Array.from([0, 9, 3, 7, 1])), LABELS);
  });

  test('rejects pixels that do not fit the dimensions', () => {
    assert.throws(
      () => encodeIdxImages({ count: 2, rows: 2, cols: 2, pixels: new Uint8Array(7) }),
      /7 pixels, expected 2 \* 2 \* 2 = 8/,
    );
  });
});
