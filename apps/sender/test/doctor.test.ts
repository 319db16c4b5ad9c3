// `bond-sender --doctor` probes the receiver for real: one REG1, and what came back in words.
// Against bond's receiver (REG2), a socket that never answers, a closed port, and stand-ins that
// answer REG_ERR, REG_NAK and plain SRT.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createReceiver } from '@bond/runtime';
import { Address, DatagramKind, classifyDatagram, encodeRegErr, encodeRegNak } from '@bond/wire';
import { describe, expect, it, vi } from 'vitest';
import { probeReceiver, runDoctor } from '../src/index.js';
import { cleanupAfterEach } from '../../common/test/support/testing.js';
import { openRecordingSocket, type RecordingSocket } from './helpers.js';
import { tempDir } from './sender-bench.js';
import { srtData } from '@bond/wire/testing';

vi.setConfig({ testTimeout: 20_000 });

const defer = cleanupAfterEach();

function loopback(port: number): Address {
  const address = Address.parse('127.0.0.1', port);
  if (address === undefined) throw new Error('bad address');
  return address;
}

/** A socket that answers each REG1 with `answer`. */
async function answering(answer: Uint8Array): Promise<RecordingSocket> {
  const socket = await openRecordingSocket('127.0.0.1');
  defer(() => socket.close());
  socket.socket.on('message', (message, from) => {
    if (classifyDatagram(new Uint8Array(message)) === DatagramKind.SrtlaReg1) {
      socket.send(answer, from.port, from.address);
    }
  });
  return socket;
}

describe('--doctor', () => {
  it('registers with a running receiver from the first uplink and says so', async () => {
    const receiver = await createReceiver({
      port: 0,
      address: '127.0.0.1',
      upstream: { host: '127.0.0.1', port: 9 },
    });
    defer(() => receiver.close());
    const dir = await tempDir(defer);
    const uplinks = join(dir, 'uplinks');
    await writeFile(uplinks, '127.0.0.2 name=lte-1\n');
    const lines = await runDoctor({
      srtlaHost: '127.0.0.1',
      srtlaPort: receiver.local.port,
      ipsFile: uplinks,
    });
    const registration = lines.find((line) => line.check === 'registration');
    expect(registration?.ok).toBe(true);
    expect(registration?.detail).toMatch(
      /answered REG1 with REG2 in \d+ ms: an SRTLA receiver runs there and accepts this sender \(REG1 sent from 127\.0\.0\.2\)$/,
    );
    // The receiver saw one REG1, from the uplink's address.
    expect(receiver.stats().registration.reg1Received).toBe(1);
  });

  it('says nobody answered, and what to check, when the receiver is silent', async () => {
    const silent = await openRecordingSocket('127.0.0.1');
    defer(() => silent.close());
    const result = await probeReceiver(loopback(silent.port), { timeoutMs: 300 });
    expect(result).toMatchObject({ outcome: 'no-answer', ok: false, rttMs: undefined });
    expect(result.detail).toBe(
      `no answer to REG1 from 127.0.0.1:${silent.port} within 0.3 s: check the receiver address and port, that bond-receiver or srtla_rec runs there, and that no firewall drops UDP to it`,
    );
    expect(silent.received.map((datagram) => classifyDatagram(datagram.bytes))).toEqual([
      DatagramKind.SrtlaReg1,
    ]);
  });

  it('says nothing listens on a closed port', async () => {
    const gone = await openRecordingSocket('127.0.0.1');
    const port = gone.port;
    await gone.close();
    const result = await probeReceiver(loopback(port), { timeoutMs: 2000 });
    expect(result.outcome).toBe('unreachable');
    expect(result.detail).toContain('is bond-receiver or srtla_rec running there');
  });

  it('tells REG_ERR, REG_NAK and a non-SRTLA answer apart', async () => {
    const busy = await answering(encodeRegErr());
    expect(await probeReceiver(loopback(busy.port), { timeoutMs: 2000 })).toMatchObject({
      outcome: 'busy',
      ok: false,
    });
    const refusing = await answering(encodeRegNak('sender banned'));
    const refused = await probeReceiver(loopback(refusing.port), { timeoutMs: 2000 });
    expect(refused.outcome).toBe('refused');
    expect(refused.detail).toContain('REG_NAK: sender banned');
    const srt = await answering(srtData(1, { payloadBytes: 16 }));
    const wrong = await probeReceiver(loopback(srt.port), { timeoutMs: 2000 });
    expect(wrong.outcome).toBe('not-srtla');
    expect(wrong.detail).toContain('is this the SRT port instead of the SRTLA port?');
  });
});
