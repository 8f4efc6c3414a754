/**
 * Outbox rows written before schema 3 carry no sealed secret. Their cards still reach the
 * server with their keys: the engine reads them from the card row, where they were sealed when
 * the card got its ICCID (BatchStore.secrets). A card row that is missing stops sync with an
 * integrity error naming the record, rather than skipping a sequence number.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPersoStation, PASSPHRASES } from '../../test/harness/perso-station.js';
import { Kms } from '../kms/kms.js';
import { BatchStore, type CardSecrets } from '../perso/batch-store.js';
import { SyncEngine } from './engine.js';
import { FakeServer } from './fake-server.fixture.js';

let dir: string;
let fake: FakeServer;
let kms: Kms | null = null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'obf-sync-legacy-'));
  fake = await new FakeServer().start();
});
afterEach(async () => {
  kms?.lock();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('outbox rows from before schema 3 (no sealed secret)', { timeout: 60_000 }, () => {
  it('send the card keys read from the card row; a card row gone stops sync naming the record', async () => {
    const station = await createPersoStation(dir, { cards: 3 });
    kms = Kms.open(station.dbPath);
    kms.unlock('oscar', PASSPHRASES.oscar);
    const store = new BatchStore(kms.records());
    store.createBatch(station.order, 'oscar');
    const issued: { iccid: string; k: string }[] = [];
    for (const n of [1, 2]) {
      const card = await store.assign(station.order.batchId, `card-${n}`, 'reader 0', () => {
        const secrets: CardSecrets = {
          k: new Uint8Array(randomBytes(16)),
          opc: new Uint8Array(randomBytes(16)),
          appKeys: new Map(station.order.appKeySlots.map((s) => [s, new Uint8Array(randomBytes(16))])),
        };
        return { secrets, kcvs: {} };
      });
      issued.push({ iccid: card!.iccid, k: Buffer.from(store.secrets(card!).k).toString('hex') });
      await store.verified(
        card!.cardId,
        { state: 'verified', steps: [], kcvs: {} },
        'reader 0',
        '000000000001',
      );
    }
    // As a schema-2 station left them: no secret on the outbox rows.
    kms.database().prepare('UPDATE outbox SET secret = NULL').run();

    const engine = new SyncEngine({ station: () => kms });
    await engine.enrol({ serverUrl: fake.url, code: 'ABCD-EFGH-JKLM-NPQR' }, ['alice', 'bob']);
    const run = await engine.syncOnce();
    expect(run).toMatchObject({ applied: 2, queue: 0 });
    const applied = [...fake.applied.get(kms.stationId())!.values()];
    expect(applied.map((r) => [r.ref, (r.plaintext as { k: string }).k])).toEqual(
      issued.map((c) => [c.iccid, c.k]),
    );

    // A third record whose card row is gone: sync stops on it and says which.
    const orphanAt = new Date().toISOString();
    kms
      .database()
      .prepare(
        "INSERT INTO outbox (kind, ref, payload, secret, created_at) VALUES ('card-personalised', ?, ?, NULL, ?)",
      )
      .run('8999000000000000099', JSON.stringify({ iccid: '8999000000000000099' }), orphanAt);
    await expect(engine.syncOnce()).rejects.toThrow(
      /record 3 is card 8999000000000000099, which has no card row/,
    );
    expect(engine.status()).toMatchObject({ state: 'error', queue: 1 });
    await engine.stop();
  });
});
