// The README stays a five-minute read, and every relative link in it and in docs/ leads somewhere:
// the file exists and, for `#anchor` links into Markdown, a heading with that GitHub slug does.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchor: lower case, punctuation dropped (hyphens kept), spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(join(root, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

describe('README.md', () => {
  it('stays under 27 KB: details live in docs/ (the README keeps the security, isolation, scale-out and performance summaries the issues ask of it)', () => {
    expect(readFileSync(join(root, 'README.md')).length).toBeLessThan(27_000);
  });
});

describe.each(docs)('%s', (file) => {
  it('has only relative links that resolve, anchors included', () => {
    const text = readFileSync(join(root, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const to = path === '' ? file : relative(root, join(root, dirname(file), path));
      if (!existsSync(join(root, to))) broken.push(target!);
      else if (anchor !== undefined && to.endsWith('.md') && !anchors(to).has(anchor)) broken.push(target!);
    }
    expect(broken).toEqual([]);
  });
});
