import { subjectData, BENCH_SEED, openBenchContext } from './generate.js';
import { checkRecords } from '../src/subjects/records.js';
import { encryptField } from '../src/crypto/fields.js';
import { newId } from '../src/db/ids.js';
import { transaction } from '../src/db/store.js';
let t = performance.now();
const N = 5000;
const ds = [];
for (let i = 0; i < N; i++) ds.push(subjectData(BENCH_SEED, i));
console.log('subjectData us', (performance.now()-t)/N*1000);
t = performance.now();
for (const d of ds) checkRecords([{category:'email',purpose:'a.b',value:d.email,source:'web_form'},{category:'phone',purpose:'a.b',value:d.phone,source:'web_form'},{category:'name',purpose:'a.b',value:d.name,source:'web_form'}], new Date());
console.log('checkRecords us', (performance.now()-t)/N*1000);
const key = Buffer.alloc(32, 1);
t = performance.now();
for (let i = 0; i < N*5; i++) encryptField(key, 'hello world this is an address', {table:'pi_records', column:'value_enc', rowId: 'x'});
console.log('encryptField us', (performance.now()-t)/N/5*1000);
t = performance.now();
for (let i = 0; i < N*5; i++) newId();
console.log('newId us', (performance.now()-t)/N/5*1000);
for (const kind of ['sqlite','postgres'] as const) {
  const ctx = await openBenchContext(kind, 5000);
  t = performance.now();
  await transaction(ctx.store, async (trx) => { for (let i = 0; i < 2000; i++) await ctx.keyring.createDataKey(ctx.store, trx, 'user', newId()); throw new Error('rollback'); }).catch(() => {});
  console.log(kind, 'createDataKey us', (performance.now()-t)/2000*1000);
  await ctx.store.close();
}
