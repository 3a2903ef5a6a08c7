// The offline verifier behind `custos audit check-proof`. It needs no database and no secret: only
// a checkpoint the checker already trusts (obtained earlier, e.g. published or printed), the log's
// public key, and a proof document from GET /api/v1/audit/proof/*.
//   inclusion:   the event is in the tree the trusted checkpoint commits to;
//   consistency: the log at the proof's newer checkpoint extends the trusted (older) checkpoint,
//                i.e. nothing the trusted checkpoint covered was rewritten.
import { hashLeaf, verifyConsistency, verifyInclusion } from './merkle.js';
import { openNote, parseVerifierKey, type Checkpoint } from './note.js';

export type CheckResult = { ok: true; detail: string } | { ok: false; detail: string };

interface InclusionDoc {
  kind: 'inclusion';
  event: number;
  size: number;
  entry: string;
  leafHash: string;
  proof: string[];
}
interface ConsistencyDoc {
  kind: 'consistency';
  from: number;
  to: number;
  proof: string[];
  checkpoint: string;
}

const isB64List = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');
const hashes = (list: string[]): Buffer[] => list.map((h) => Buffer.from(h, 'base64'));

function parseDoc(text: string): InclusionDoc | ConsistencyDoc | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'the proof file is not JSON';
  }
  if (typeof doc !== 'object' || doc === null) return 'the proof file is not a JSON object';
  const d = doc as Record<string, unknown>;
  if (
    d.kind === 'inclusion' &&
    typeof d.event === 'number' &&
    typeof d.size === 'number' &&
    typeof d.entry === 'string' &&
    typeof d.leafHash === 'string' &&
    isB64List(d.proof)
  ) {
    return d as unknown as InclusionDoc;
  }
  if (
    d.kind === 'consistency' &&
    typeof d.from === 'number' &&
    typeof d.to === 'number' &&
    typeof d.checkpoint === 'string' &&
    isB64List(d.proof)
  ) {
    return d as unknown as ConsistencyDoc;
  }
  return 'the proof file is neither an inclusion nor a consistency proof from Custos';
}

/** Checks a proof document against a trusted checkpoint note and the log's verifier key. */
export function checkProof(input: { proof: string; checkpoint: string; key: string }): CheckResult {
  const key = parseVerifierKey(input.key);
  if (key === null)
    return {
      ok: false,
      detail: 'the public key is not a Custos/C2SP Ed25519 verifier key (name+id+key)',
    };
  const trusted = openNote(input.checkpoint, key);
  if (!trusted.ok)
    return { ok: false, detail: `the trusted checkpoint is not valid: ${trusted.reason}` };
  const doc = parseDoc(input.proof);
  if (typeof doc === 'string') return { ok: false, detail: doc };
  const c: Checkpoint = trusted.checkpoint;

  if (doc.kind === 'inclusion') {
    const entry = Buffer.from(doc.entry, 'base64');
    const leaf = hashLeaf(entry);
    if (!leaf.equals(Buffer.from(doc.leafHash, 'base64')))
      return { ok: false, detail: 'the event bytes do not hash to the stated leaf hash' };
    if (doc.size !== c.size)
      return {
        ok: false,
        detail: `the proof is for tree size ${doc.size} but the trusted checkpoint has size ${c.size}; fetch the proof with size=${c.size}`,
      };
    return verifyInclusion(leaf, doc.event, doc.size, hashes(doc.proof), c.root)
      ? {
          ok: true,
          detail: `event ${doc.event} is included in the log of ${c.size} events (root ${c.root.toString('base64')})`,
        }
      : {
          ok: false,
          detail: `the inclusion proof for event ${doc.event} does not lead to the trusted root`,
        };
  }

  const newer = openNote(doc.checkpoint, key);
  if (!newer.ok)
    return { ok: false, detail: `the proof's newer checkpoint is not valid: ${newer.reason}` };
  if (doc.from !== c.size)
    return {
      ok: false,
      detail: `the proof starts at size ${doc.from} but the trusted checkpoint has size ${c.size}`,
    };
  if (newer.checkpoint.size !== doc.to)
    return { ok: false, detail: 'the proof does not match its own newer checkpoint' };
  if (newer.checkpoint.origin !== c.origin)
    return { ok: false, detail: 'the two checkpoints come from different logs' };
  return verifyConsistency(c.size, doc.to, hashes(doc.proof), c.root, newer.checkpoint.root)
    ? {
        ok: true,
        detail: `the log of ${doc.to} events extends the trusted log of ${c.size} events`,
      }
    : {
        ok: false,
        detail: `the log of ${doc.to} events does NOT extend the trusted checkpoint of ${c.size} events: history was rewritten`,
      };
}
