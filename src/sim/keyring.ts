/**
 * Signatures in the simulator: an ideal signature scheme. A node's public key is `sim:` and its
 * id; signing records what was signed, and a signature verifies only if the keyring issued it for
 * that key and those bytes. Nobody in the simulation can forge one (not even with the code of the
 * signer: the record is the proof), it is deterministic, and it costs almost nothing, so a
 * 1,000-node run checks every membership signature as the browser does with ECDSA.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { signedBytes } from '../core/bytes.js';
import type { NodeId, Signer, Verifier } from '../core/ports.js';

const PREFIX = 'sim:';

export class Keyring implements Verifier {
  private readonly issued = new Set<string>();

  /** The key of node `id`: whoever is handed it speaks as that node (the simulation hands it only to the node). */
  signerFor(id: NodeId): Signer {
    const publicKey = utf8ToBytes(PREFIX + id);
    return {
      publicKey,
      sign: (data) => {
        const signature = sha256(signedBytes('sim-signature', publicKey, data)).subarray(0, 16);
        this.issued.add(this.name(publicKey, data, signature));
        return signature;
      },
    };
  }

  idOf(publicKey: Uint8Array): NodeId {
    const text = new TextDecoder().decode(publicKey);
    return text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
  }

  verify(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
    return this.issued.has(this.name(publicKey, data, signature));
  }

  private name(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): string {
    return bytesToHex(sha256(signedBytes('issued', publicKey, data, signature)));
  }
}
