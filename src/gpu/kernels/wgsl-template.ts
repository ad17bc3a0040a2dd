// A tiny preprocessor for the kernels' .wgsl files, so each kernel stays one readable WGSL file
// while tile sizes are compile-time constants (the driver can keep accumulators in registers):
//   {{NAME}}              replaced by the value of NAME
//   //#if NAME / //#else / //#endif     kept when NAME is truthy (nesting allowed)
//   //#unroll I N ... //#end           the lines repeated N times with {{I}} = 0..N-1 (nesting allowed)

export type TemplateValues = Record<string, number | string | boolean>;

export function expandWgsl(source: string, values: TemplateValues): string {
  const lines = source.split('\n');
  const out = expandBlock(lines, 0, lines.length, values);
  return out.join('\n').replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`WGSL template: no value for {{${name}}}`);
    return String(values[name]);
  });
}

function expandBlock(lines: string[], start: number, end: number, values: TemplateValues): string[] {
  const out: string[] = [];
  for (let i = start; i < end; i++) {
    const line = lines[i];
    const directive = line.trim();
    if (directive.startsWith('//#if ')) {
      const name = directive.slice(6).trim();
      const { elseAt, endAt } = findMatching(lines, i, end, '//#if ', '//#endif');
      const truthy = Boolean(lookup(values, name));
      if (truthy) out.push(...expandBlock(lines, i + 1, elseAt ?? endAt, values));
      else if (elseAt !== undefined) out.push(...expandBlock(lines, elseAt + 1, endAt, values));
      i = endAt;
    } else if (directive.startsWith('//#unroll ')) {
      const [name, rawCount] = directive.slice(10).trim().split(/\s+/);
      const count = rawCount.replace(/^\{\{(\w+)\}\}$/, '$1');
      const n = /^\d+$/.test(count) ? Number(count) : Number(lookup(values, count));
      if (!Number.isInteger(n) || n < 0) throw new Error(`WGSL template: bad unroll count '${count}'`);
      const { endAt } = findMatching(lines, i, end, '//#unroll ', '//#end');
      for (let v = 0; v < n; v++) {
        const body = expandBlock(lines, i + 1, endAt, { ...values, [name]: v });
        out.push(...body.map((l) => l.replaceAll(`{{${name}}}`, String(v))));
      }
      i = endAt;
    } else {
      out.push(line);
    }
  }
  return out;
}

function lookup(values: TemplateValues, name: string): number | string | boolean | undefined {
  if (!(name in values) && !/^\d+$/.test(name)) throw new Error(`WGSL template: no value for '${name}'`);
  return values[name];
}

/** Finds the directive closing the block opened at `open` (and its //#else for //#if). */
function findMatching(lines: string[], open: number, end: number, opener: string, closer: string) {
  let depth = 0;
  let elseAt: number | undefined;
  for (let i = open + 1; i < end; i++) {
    const d = lines[i].trim();
    if (d.startsWith(opener)) depth++;
    else if (d === closer || d.startsWith(closer + ' ')) {
      if (depth === 0) return { elseAt, endAt: i };
      depth--;
    } else if (d === '//#else' && depth === 0 && opener === '//#if ') elseAt = i;
  }
  throw new Error(`WGSL template: '${lines[open].trim()}' has no ${closer}`);
}
