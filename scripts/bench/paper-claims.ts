// The paper-claims table for README.md: each claim, this project's figure (measured or
// modelled), the baseline and the verdict. The accuracy sweeps are BENCHMARKS.md's measured
// tables (scripts/bench/data/*.json: one-shot) and the retraining study's sweep.
// `npx tsx scripts/bench/paper-claims.ts`
import { readFileSync } from 'node:fs';
import { paperClaims, retrainedAlike } from '../../src/core/explore/paper-claims';
import { parseSweep } from '../../src/core/explore/sweep';

const read = (url: URL) => parseSweep(JSON.parse(readFileSync(url, 'utf8')));
const load = (f: string) => read(new URL(`./data/${f}`, import.meta.url));
const s32 = load('sweep-32x32.json');
const s8 = load('sweep-8x8.json');
// The retraining study's points (public/models/retrained/), HP and tile-only retrained alike.
const retrained = retrainedAlike(read(new URL('../../public/models/retrained/study-sweep.json', import.meta.url)));
const main = paperClaims({ sweep: s32, retrained });
const small = paperClaims({ sweep: s8 }).find((c) => c.id === 'sparsity')!;
console.log('| claim | paper | this project | basis | baseline | verdict |');
console.log('|---|---|---|---|---|---|');
for (const c of main) {
  console.log(`| ${c.claim} | ${c.paper} | ${c.ours} | ${c.basis} | ${c.baseline} | **${c.verdict}** (${c.why}) |`);
  if (c.id === 'sparsity')
    console.log(
      `| ${small.claim}, 8x8 tiles | ${small.paper} | ${small.ours} | ${small.basis} | ${small.baseline} | ` +
        `**${small.verdict}** (${small.why}) |`,
    );
}
