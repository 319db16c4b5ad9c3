// The hand-made vectors (formats from protocol.md, edge cases on purpose) decode to exactly the
// listed fields, or fail with the listed reason.
import { describe, expect, it } from 'vitest';
import {
  KEEPALIVE_OFFSET,
  SRTLA_TYPE,
  SRT_CONTROL,
  WireDecodeError,
  decodeKeepalive,
  decodeSrtAck,
  decodeSrtNak,
  expandLossList,
  isExtendedKeepalive,
  peekSrtControlType,
} from '../src/index.js';
import { fromHex, loadHandmadeVectors } from './vectors.js';

const vectors = loadHandmadeVectors();

/** A keepalive's fields under handmade.json's names; magic and version read from the bytes. */
function readKeepaliveFields(bytes: Uint8Array): Record<string, unknown> {
  const keepalive = decodeKeepalive(bytes);
  const fields: Record<string, unknown> = {
    type: peekSrtControlType(bytes),
    extended: isExtendedKeepalive(bytes),
  };
  if (keepalive.timestampMs !== undefined) fields.timestamp_ms = keepalive.timestampMs;
  const info = keepalive.info;
  if (info !== undefined) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    Object.assign(fields, {
      magic: view.getUint16(KEEPALIVE_OFFSET.magic),
      version: view.getUint16(KEEPALIVE_OFFSET.version),
      conn_id: info.connId,
      window: info.window,
      in_flight: info.inFlight,
      rtt_ms: info.rttMs,
      nak_count: info.nakCount,
      bitrate_bytes_per_sec: info.bitrateBytesPerSec,
    });
  }
  return fields;
}

/** The decoded fields of a vector, named as handmade.json names them. */
function decodeFields(bytes: Uint8Array): Record<string, unknown> {
  const type = peekSrtControlType(bytes);
  if (type === SRTLA_TYPE.KEEPALIVE) return readKeepaliveFields(bytes);
  if (type === SRT_CONTROL.NAK) return { lost: expandLossList(decodeSrtNak(bytes).ranges) };
  if (type === SRT_CONTROL.ACK) return { ack_seq: decodeSrtAck(bytes).ackSeq };
  throw new Error(`no decoder for type 0x${type.toString(16)}`);
}

describe('hand-made vectors', () => {
  it('covers keepalives, NAKs and ACKs', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(14);
  });

  for (const vector of vectors) {
    it(vector.name, () => {
      const bytes = fromHex(vector.hex);
      const { error, ...expected } = vector.fields;
      if (typeof error === 'string') {
        let thrown: unknown;
        try {
          decodeFields(bytes);
        } catch (caught) {
          thrown = caught;
        }
        expect(thrown).toBeInstanceOf(WireDecodeError);
        expect((thrown as WireDecodeError).reason).toBe(error);
        expect((thrown as WireDecodeError).code).toBe('BOND_ERR_WIRE_DECODE');
        return;
      }
      const actual = decodeFields(bytes);
      if (!('extended' in expected) && 'extended' in actual) {
        // Vectors that list the extended fields imply an extended keepalive.
        expect(actual.extended).toBe(true);
        delete actual.extended;
      }
      expect(actual).toEqual(expected);
    });
  }
});
