/**
 * `obf-station crypto …`: the primitives operators check keys and cards with, each verified
 * against published vectors (TS 35.208, RFC 4493, GP Amendment D).
 */
import { toHex } from '../core/bytes.js';
import { encodeCommand } from '../core/card/index.js';
import { parseInitializeUpdateResponse, scp03Handshake } from '../core/card/gp/index.js';
import { computeOpc, diversifyKeySet, kcvAes, kcvDes3, milenage } from '../core/crypto/index.js';
import { ObfError } from '../core/index.js';
import { hexOption, jsonOption, printResult, type CommandGroup } from './cli-args.js';

const hexOpt = { type: 'string' } as const;
const AES_LENGTHS = [16, 24, 32] as const;

function table(rows: Record<string, string>): string {
  const width = Math.max(...Object.keys(rows).map((k) => k.length));
  return Object.entries(rows)
    .map(([k, v]) => `${k.padEnd(width)}  ${v}`)
    .join('\n');
}

export const cryptoCommands: CommandGroup = {
  summary: 'Milenage, KCV, SCP03 and KDF3 calculations for checking keys and cards',
  subcommands: {
    milenage: {
      summary: 'Milenage f1…f5* (TS 35.206) from K, OP or OPc, RAND, SQN and AMF',
      usage:
        'obf-station crypto milenage --k HEX (--op HEX | --opc HEX) --rand HEX --sqn HEX --amf HEX [--json]',
      options: {
        k: hexOpt,
        op: hexOpt,
        opc: hexOpt,
        rand: hexOpt,
        sqn: hexOpt,
        amf: hexOpt,
        json: jsonOption,
      },
      run(values) {
        const k = hexOption('k', values.k, [16]);
        if ((values.op === undefined) === (values.opc === undefined)) {
          throw new ObfError('VALIDATION', 'give exactly one of --op and --opc');
        }
        const opc =
          values.opc !== undefined
            ? hexOption('opc', values.opc, [16])
            : computeOpc(k, hexOption('op', values.op, [16]));
        const out = milenage(
          k,
          opc,
          hexOption('rand', values.rand, [16]),
          hexOption('sqn', values.sqn, [6]),
          hexOption('amf', values.amf, [2]),
        );
        const result = {
          opc: toHex(opc),
          f1: toHex(out.f1),
          f1star: toHex(out.f1star),
          f2: toHex(out.f2),
          f3: toHex(out.f3),
          f4: toHex(out.f4),
          f5: toHex(out.f5),
          f5star: toHex(out.f5star),
        };
        printResult(values, result, table(result));
        return Promise.resolve(0);
      },
    },
    kcv: {
      summary: 'key check value: AES = AES(K, 01×16)[0..3], 3DES = E(K, 00×8)[0..3]',
      usage: 'obf-station crypto kcv --key HEX [--alg aes|des3] [--json]',
      options: { key: hexOpt, alg: { type: 'string', default: 'aes' }, json: jsonOption },
      run(values) {
        const alg = String(values.alg);
        if (alg !== 'aes' && alg !== 'des3')
          throw new ObfError('VALIDATION', `--alg must be aes or des3; got "${alg}"`);
        const key = hexOption('key', values.key, alg === 'aes' ? AES_LENGTHS : [16, 24]);
        const kcv = toHex(alg === 'aes' ? kcvAes(key) : kcvDes3(key));
        printResult(values, { kcv }, kcv);
        return Promise.resolve(0);
      },
    },
    scp03: {
      summary:
        'SCP03 session keys, cryptograms and the EXTERNAL AUTHENTICATE for an INITIALIZE UPDATE answer',
      usage:
        'obf-station crypto scp03 --enc HEX --mac HEX --dek HEX --host-challenge HEX --init-update-response HEX [--level HEX] [--json]',
      options: {
        enc: hexOpt,
        mac: hexOpt,
        dek: hexOpt,
        'host-challenge': hexOpt,
        'init-update-response': hexOpt,
        level: { type: 'string', default: '01' },
        json: jsonOption,
      },
      run(values) {
        const enc = hexOption('enc', values.enc, AES_LENGTHS);
        const mac = hexOption('mac', values.mac, AES_LENGTHS);
        hexOption('dek', values.dek, AES_LENGTHS); // checked for the operator; the handshake does not use it
        const hostChallenge = hexOption('host-challenge', values['host-challenge'], [8]);
        let answer = hexOption('init-update-response', values['init-update-response'], [29, 31, 32, 34]);
        if (answer.length === 31 || answer.length === 34) {
          const sw = (answer[answer.length - 2]! << 8) | answer[answer.length - 1]!;
          if (sw !== 0x9000)
            throw new ObfError(
              'VALIDATION',
              `--init-update-response ends in status ${sw.toString(16)}, not 9000`,
            );
          answer = answer.slice(0, -2);
        }
        const level = hexOption('level', values.level, [1])[0]!;
        const iu = parseInitializeUpdateResponse(answer);
        const h = scp03Handshake({ enc, mac }, hostChallenge, iu, level);
        const result = {
          cardChallenge: toHex(iu.cardChallenge),
          cardCryptogram: toHex(iu.cardCryptogram),
          sequenceCounter: iu.sequenceCounter ? toHex(iu.sequenceCounter) : null,
          sEnc: toHex(h.sessionKeys.sEnc),
          sMac: toHex(h.sessionKeys.sMac),
          sRmac: toHex(h.sessionKeys.sRmac),
          hostCryptogram: toHex(h.hostCryptogram),
          cardCryptogramValid: h.cardCryptogramValid,
          externalAuthenticate: toHex(encodeCommand(h.externalAuthenticate)),
        };
        printResult(
          values,
          result,
          table(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, String(v)]))),
        );
        return Promise.resolve(h.cardCryptogramValid ? 0 : 1);
      },
    },
    diversify: {
      summary: 'card keys from a master key and the card’s key diversification data (KDF3)',
      usage: 'obf-station crypto diversify --master HEX --kdd HEX --scheme kdf3 [--json]',
      options: { master: hexOpt, kdd: hexOpt, scheme: { type: 'string', default: 'kdf3' }, json: jsonOption },
      run(values) {
        if (values.scheme !== 'kdf3')
          throw new ObfError('VALIDATION', `--scheme must be kdf3; got "${String(values.scheme)}"`);
        const keys = diversifyKeySet(
          hexOption('master', values.master, AES_LENGTHS),
          hexOption('kdd', values.kdd, [10]),
        );
        const result = {
          enc: toHex(keys.enc),
          mac: toHex(keys.mac),
          dek: toHex(keys.dek),
          kcv: { enc: toHex(kcvAes(keys.enc)), mac: toHex(kcvAes(keys.mac)), dek: toHex(kcvAes(keys.dek)) },
        };
        printResult(
          values,
          result,
          table({
            enc: `${result.enc}  KCV ${result.kcv.enc}`,
            mac: `${result.mac}  KCV ${result.kcv.mac}`,
            dek: `${result.dek}  KCV ${result.kcv.dek}`,
          }),
        );
        return Promise.resolve(0);
      },
    },
  },
};
