/**
 * Whole values shorter than this are not masked: a 1–2 character "secret" would shred every line
 * (and is no secret). Their JSON-escaped and URL-encoded forms are masked from this length too.
 */
export const MIN_SECRET_LENGTH = 3;

/**
 * Pieces derived from a value — one line of a multi-line value, the stable part of a base64
 * encoding, one line of wrapped base64 — shorter than this are not masked: short pieces occur by
 * chance in ordinary output ("-----", "}", "QUJD") and masking them would shred it while hiding
 * little. A line of a PEM key is 64 characters; a 6-byte value is the shortest whose base64 is kept.
 */
export const MIN_FRAGMENT_LENGTH = 8;

/** Line widths at which base64 tools wrap their output: PEM/openssl (64) and coreutils base64 (76). */
const BASE64_WRAP_WIDTHS = [64, 76];

/**
 * Every literal form in which a credential value can show up in what an agent prints or reports:
 * the value itself (and trimmed), each line of a multi-line value, and for each of those its
 * JSON-escaped, URL-encoded and base64 forms. Masking all of them is what makes a PEM key printed
 * line by line, a key inside a tool call's JSON arguments or a token in a query string disappear.
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>();
  const add = (form: string) => {
    if (form.length >= MIN_SECRET_LENGTH) forms.add(form);
  };
  for (const whole of new Set([value, value.trim()])) {
    if (whole.length >= MIN_SECRET_LENGTH) addEncodings(whole, add);
  }
  const lines = value.split(/\r\n|\r|\n/);
  if (lines.length > 1) {
    for (const line of lines) {
      const piece = line.trim();
      if (piece.length >= MIN_FRAGMENT_LENGTH) addEncodings(piece, add);
    }
  }
  return [...forms];
}

function addEncodings(text: string, add: (form: string) => void) {
  add(text);
  const json = JSON.stringify(text).slice(1, -1);
  add(json);
  // Python's json.dumps escapes every non-ASCII character; PHP's json_encode also escapes "/".
  add(json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  add(json.replaceAll("/", "\\/"));
  // A JSON document carried as a string inside another one (a tool's arguments, an event's payload).
  add(JSON.stringify(json).slice(1, -1));
  for (const url of urlEncodings(text)) {
    add(url);
    add(url.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
  }
  for (const b64 of base64Cores(text)) {
    add(b64);
    add(b64.replaceAll("+", "-").replaceAll("/", "_"));
  }
}

function urlEncodings(text: string): string[] {
  try {
    // Path/query component, form encoding (spaces as "+", !'()* escaped) and a whole URI.
    return [encodeURIComponent(text), new URLSearchParams([["", text]]).toString().slice(1), encodeURI(text)];
  } catch {
    return []; // A lone surrogate cannot be URL-encoded, so it cannot appear URL-encoded either.
  }
}

/**
 * The base64 characters that depend only on the value's bytes, for each of the three offsets
 * (mod 3) at which the value can start inside a longer encoded stream: the first and last
 * characters mix in neighbouring bytes, the ones between are the same wherever the value sits.
 * The offset-0 form is also cut at the usual wrap widths, for a value encoded on its own by a tool
 * that wraps lines.
 */
function base64Cores(text: string): string[] {
  const bytes = Buffer.from(text, "utf8");
  const cores: string[] = [];
  for (let lead = 0; lead < 3; lead++) {
    const encoded = Buffer.concat([Buffer.alloc(lead), bytes]).toString("base64");
    // Character k holds bits [6k, 6k+6); the value's bits are [8·lead, 8·(lead+n)).
    const core = encoded.slice(Math.ceil((8 * lead) / 6), Math.floor((8 * (lead + bytes.length)) / 6));
    if (core.length < MIN_FRAGMENT_LENGTH) continue;
    cores.push(core);
    if (lead !== 0) continue;
    for (const width of BASE64_WRAP_WIDTHS) {
      if (core.length <= width) continue;
      for (let i = 0; i < core.length; i += width) {
        const line = core.slice(i, i + width);
        if (line.length >= MIN_FRAGMENT_LENGTH) cores.push(line);
      }
    }
  }
  return cores;
}
