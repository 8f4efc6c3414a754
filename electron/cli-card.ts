/**
 * `obf-station card …`: look at a card in a reader — its identity and life cycle — and run the
 * OBF applet's AUTHENTICATE, the check an operator makes on a card that left the line.
 */
import { toHex } from '../core/bytes.js';
import {
  expectSw,
  getDataCommand,
  findTlv,
  parseTlv,
  ReaderManager,
  transmitApdu,
  type CardChannel,
} from '../core/card/index.js';
import { lifecycleFromStatus } from '../core/card/gp/index.js';
import { authenticate, ISD_AID, lifecycleName, selectObfApplet } from '../core/card/obf/index.js';
import { ObfError } from '../core/index.js';
import { hexOption, intOption, jsonOption, printResult, type CommandGroup, type Values } from './cli-args.js';
import { chooseReaders, parseReaderMode } from './compose.js';

const readerOptions = {
  reader: { type: 'string' },
  readers: { type: 'string', default: 'auto' },
  slots: { type: 'string', default: '4' },
  json: jsonOption,
} as const;

/** Connects to the card in `--reader`, runs `work`, and always lets go of reader and card. */
async function withCard<T>(values: Values, work: (channel: CardChannel) => Promise<T>): Promise<T> {
  if (typeof values.reader !== 'string' || values.reader === '')
    throw new ObfError('VALIDATION', '--reader NAME is required');
  const { backend } = chooseReaders(
    parseReaderMode(String(values.readers)),
    intOption('slots', values.slots, 1, 16),
  );
  const manager = new ReaderManager(backend);
  manager.start();
  try {
    const snapshot = await manager.ready();
    if (snapshot.service.state !== 'up') throw new ObfError('PCSCD_DOWN', snapshot.service.message);
    const channel = await manager.connect(values.reader);
    try {
      return await work(channel);
    } finally {
      await channel.disconnect();
    }
  } finally {
    await manager.stop();
  }
}

async function getData(channel: CardChannel, tag: number): Promise<Uint8Array | null> {
  const r = await transmitApdu(channel, getDataCommand(tag));
  if (r.sw !== 0x9000) return null;
  const node = findTlv(parseTlv(r.data), tag > 0xff ? tag : tag & 0xff);
  return node?.value ?? null;
}

export const cardCommands: CommandGroup = {
  summary: 'read a card’s identity and life cycle, or run the OBF applet’s AUTHENTICATE',
  subcommands: {
    info: {
      summary: 'ATR, CPLC, CIN, IIN, KDD, life cycle and key information of the card in a reader',
      usage: 'obf-station card info --reader NAME [--readers auto|pcsc|sim] [--json]',
      options: readerOptions,
      async run(values) {
        const info = await withCard(values, async (channel) => {
          expectSw(
            await transmitApdu(channel, { cla: 0, ins: 0xa4, p1: 4, p2: 0, data: ISD_AID, le: 256 }),
            'SELECT ISD',
          );
          const hex = (v: Uint8Array | null) => (v ? toHex(v) : null);
          const status = await transmitApdu(channel, {
            cla: 0x80,
            ins: 0xf2,
            p1: 0x80,
            p2: 0x00,
            data: Uint8Array.of(0x4f, 0x00),
            le: 256,
          });
          const lifecycle = status.sw === 0x9000 ? lifecycleName(lifecycleFromStatus(status.data)) : null;
          const keyInfo = await getData(channel, 0x00e0);
          const keys = keyInfo
            ? parseTlv(keyInfo)
                .filter((n) => n.tag === 0xc0 && n.value.length >= 4)
                .map((n) => ({ id: n.value[0]!, kvn: n.value[1]!, type: n.value[2]!, length: n.value[3]! }))
            : [];
          return {
            reader: channel.reader,
            atr: toHex(channel.atr),
            protocol: channel.protocol,
            cplc: hex(await getData(channel, 0x9f7f)),
            cin: hex(await getData(channel, 0x0045)),
            iin: hex(await getData(channel, 0x0042)),
            kdd: hex(await getData(channel, 0x00cf)),
            lifecycle,
            keys,
          };
        });
        const text = [
          `reader     ${info.reader}`,
          `ATR        ${info.atr} (${info.protocol})`,
          `CIN        ${info.cin ?? '—'}`,
          `IIN        ${info.iin ?? '—'}`,
          `KDD        ${info.kdd ?? '—'}`,
          `life cycle ${info.lifecycle ?? '—'}`,
          `CPLC       ${info.cplc ?? '—'}`,
          ...info.keys.map(
            (k) =>
              `key        KVN ${k.kvn.toString(16)} id ${k.id} type ${k.type.toString(16)} ${k.length * 8} bits`,
          ),
        ].join('\n');
        printResult(values, info, text);
        return 0;
      },
    },
    authenticate: {
      summary: 'AUTHENTICATE on the OBF applet (TS 31.102 §7.1.2): RES, CK, IK — or AUTS on a stale SQN',
      usage:
        'obf-station card authenticate --reader NAME --rand HEX --autn HEX [--readers auto|pcsc|sim] [--json]',
      options: { ...readerOptions, rand: { type: 'string' }, autn: { type: 'string' } },
      async run(values) {
        const rand = hexOption('rand', values.rand, [16]);
        const autn = hexOption('autn', values.autn, [16]);
        const result = await withCard(values, async (channel) => {
          await selectObfApplet(channel);
          return authenticate(channel, rand, autn);
        });
        if (result.kind === 'success') {
          const out = { res: toHex(result.res), ck: toHex(result.ck), ik: toHex(result.ik) };
          printResult(values, out, `RES ${out.res}\nCK  ${out.ck}\nIK  ${out.ik}`);
        } else {
          printResult(
            values,
            { auts: toHex(result.auts) },
            `synchronisation failure: AUTS ${toHex(result.auts)}`,
          );
        }
        return 0;
      },
    },
  },
};
