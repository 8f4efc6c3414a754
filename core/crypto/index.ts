export { aesEcbEncrypt, aesEcbDecrypt, aesCbcEncrypt, aesCbcDecrypt, xor, AES_BLOCK } from './aes.js';
export { aesCmac } from './aes-cmac.js';
export { pad80, unpad80 } from './padding.js';
export { aesKeyWrap, aesKeyUnwrap } from './key-wrap.js';
export { kcvAes, kcvDes3 } from './kcv.js';
export { milenage, computeOpc, type MilenageOutput } from './milenage.js';
export {
  scp03Kdf,
  counterModeKdf,
  deriveSessionKeys,
  cryptogram,
  pseudoRandomCardChallenge,
  DerivationConstant,
  type Scp03SessionKeys,
} from './scp03-kdf.js';
export { kdf3, diversifyKeySet, keyTypes, type KeyType } from './kdf3.js';
export { fs28EncryptField, fs28DecryptField } from './fs28-csv.js';
