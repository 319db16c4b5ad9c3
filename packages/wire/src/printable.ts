/**
 * Text that came off the wire (link names, stream ids) made safe to print in a log line, a
 * Prometheus label or a web page: control characters (C0, DEL, C1), line and paragraph separators
 * and bidirectional overrides become `?`, so a peer cannot forge log lines or reorder what an
 * operator reads. HTML escaping stays the page's job.
 */

// C0 controls, DEL, C1 controls, U+2028/U+2029 and the bidi embeddings, overrides and isolates:
// matching control characters is this expression's purpose.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** `text` with every unprintable character replaced by `?`. */
export function printableText(text: string): string {
  return text.replace(UNPRINTABLE, '?');
}
