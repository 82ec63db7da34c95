import { crc32, deflateSync } from "node:zlib";

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A small bar chart as a real PNG (8-bit RGB): an image artifact for the e2e run to keep, so the
 * preview and the screenshot show a picture the browser actually decoded.
 */
export function barChartPng(values: number[], width = 360, height = 160): Buffer {
  const rgb = Buffer.alloc(height * (1 + width * 3), 0xff);
  const set = (x: number, y: number, [r, g, b]: [number, number, number]) => {
    const i = y * (1 + width * 3) + 1 + x * 3;
    rgb[i] = r;
    rgb[i + 1] = g;
    rgb[i + 2] = b;
  };
  for (let y = 0; y < height; y++) rgb[y * (1 + width * 3)] = 0; // filter: none
  const max = Math.max(...values);
  const slot = Math.floor((width - 20) / values.length);
  values.forEach((v, n) => {
    const h = Math.round((v / max) * (height - 30));
    for (let x = 20 + n * slot + 6; x < 20 + (n + 1) * slot - 6; x++) {
      for (let y = height - 10 - h; y < height - 10; y++) set(x, y, [79, 70, 229]);
    }
  });
  for (let x = 10; x < width - 10; x++) set(x, height - 10, [113, 113, 122]);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rgb)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
