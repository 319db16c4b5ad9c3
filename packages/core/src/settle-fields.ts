/**
 * Settles the hidden class of an object the hot path keeps for a long time (a link's state).
 *
 * V8 tracks, per hidden class and field, whether the field holds small integers, doubles or
 * anything, and whether it was ever written again after it was set. Optimised code relies on
 * both; when a field first holds a fraction, or is first written again (a window rotating after
 * seconds, the first NAK, the first probe), V8 throws away every optimised function that relied on
 * it and compiles them again. On the sender that happened several times in the first seconds of a
 * stream, each time recompiling the scheduler and the data path (tens of milliseconds of CPU).
 *
 * Writing every number field once with a fraction and every field once again, before any code is
 * optimised for the class, moves each field to its final representation at construction: the
 * values are unchanged afterwards. It costs one pass over the fields per object, done when a link
 * is added. Call at the end of the constructor.
 */
export function settleFields(object: object): void {
  const fields = object as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    switch (typeof value) {
      case 'number':
      case 'undefined':
        fields[key] = 0.5;
        break;
      case 'boolean':
        fields[key] = !value;
        break;
      case 'string':
        fields[key] = value === '' ? ' ' : '';
        break;
      default:
        continue; // objects: their own fields are theirs to settle
    }
    fields[key] = value;
  }
}
