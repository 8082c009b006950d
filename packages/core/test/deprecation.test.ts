import { describe, expect, it } from 'vitest';
import { type Diagnostic, warnDeprecated } from '@voxtrace/core';

describe('warnDeprecated', () => {
  it('reports a deprecated name once per process, with its replacement', () => {
    const seen: Diagnostic[] = [];
    const d = { name: 'option `foo`', replacement: '`bar`', removedIn: 'voxtrace 1.0' };
    warnDeprecated((x) => seen.push(x), d);
    warnDeprecated((x) => seen.push(x), d);
    warnDeprecated((x) => seen.push(x), { ...d, name: 'option `baz`' });
    expect(seen.map((x) => [x.code, x.message])).toEqual([
      ['deprecated', 'option `foo` is deprecated: use `bar`. It will be removed in voxtrace 1.0.'],
      ['deprecated', 'option `baz` is deprecated: use `bar`. It will be removed in voxtrace 1.0.'],
    ]);
  });

  it('never throws, even when the handler does', () => {
    const throwing = () => {
      throw new Error('user bug');
    };
    expect(() =>
      warnDeprecated(throwing, { name: 'flag `--old`', replacement: '`--new`', removedIn: 'voxtrace 1.0' }),
    ).not.toThrow();
  });
});
