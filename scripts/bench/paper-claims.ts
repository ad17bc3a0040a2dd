// The paper-claims table for README.md: each claim, this project's figure (measured or
// modelled), the baseline and the verdict. The accuracy sweeps are BENCHMARKS.md's measured
// tables (scripts/bench/data/*.json). `npx tsx scripts/bench/paper-claims.ts`
import { readFileSync } from 'node:fs';
import { paperClaims } from '../../src/core/explore/paper-claims';
import { parseSweep } from '../../src/core/explore/sweep';

const load = (f: string) => parseSweep(JSON.parse(readFileSync(new URL(`./data/${f}`, import.meta.url), 'utf8')));
const s32 = load('sweep-32x32.json');
const s8 = load('sweep-8x8.json');
const main = paperClaims({ sweep: s32 });
const small = paperClaims({ sweep: s8 }).find((c) => c.id === 'sparsity')!;
console.log('| claim | paper | this project | basis | baseline | verdict |');
console.log('|---|---|---|---|---|---|');
for (const c of main) {
  console.log(`| ${c.claim} | ${c.paper} | ${c.ours} | ${c.basis} | ${c.baseline} | **${c.verdict}** (${c.why}) |`);
  if (c.id === 'sparsity') console.log(`| ${small.claim}, 8x8 tiles | ${small.paper} | ${small.ours} | ${small.basis} | ${small.baseline} | **${small.verdict}** (${small.why}) |`);
}
