/**
 * Rule globs (README, "Role → group rules"): `*` matches any run of characters, line breaks included;
 * everything else is literal; case is ignored, since HR data is not consistent about it.
 *
 * No regular expression: a backtracking engine takes polynomial time on `*a*a*` against a long value
 * (minutes for 8 KB). Split at `*`, a pattern is a prefix, literal pieces and a suffix; the value
 * matches when it starts with the prefix, ends with the suffix, and holds the pieces in order in
 * between. Taking each piece where it first occurs leaves the most room for the rest, so one
 * left-to-right pass decides, with no backtracking: time grows linearly with the value (times the
 * pattern's length at worst, and patterns are short lines of the config file).
 */
export type GlobMatcher = (value: string) => boolean;

interface CompiledGlob {
  prefix: string;
  pieces: string[];
  /** null: the pattern has no `*`, and the whole value must equal `prefix`. */
  suffix: string | null;
}

function compile(pattern: string): CompiledGlob {
  const parts = pattern.toLowerCase().split('*');
  if (parts.length === 1) return { prefix: parts[0]!, pieces: [], suffix: null };
  return { prefix: parts[0]!, pieces: parts.slice(1, -1).filter((piece) => piece !== ''), suffix: parts.at(-1)! };
}

function matches({ prefix, pieces, suffix }: CompiledGlob, value: string): boolean {
  const text = value.toLowerCase();
  if (suffix === null) return text === prefix;
  // The prefix and the suffix must not share characters: `ab*ba` does not match `aba`.
  if (text.length < prefix.length + suffix.length || !text.startsWith(prefix) || !text.endsWith(suffix)) return false;
  const end = text.length - suffix.length;
  let from = prefix.length;
  for (const piece of pieces) {
    const at = text.indexOf(piece, from);
    if (at === -1 || at + piece.length > end) return false;
    from = at + piece.length;
  }
  return true;
}

const compiled = new Map<string, GlobMatcher>();

/** The matcher for `pattern`, compiled once: rules are few and workers many. */
export function globMatcher(pattern: string): GlobMatcher {
  let matcher = compiled.get(pattern);
  if (!matcher) {
    const glob = compile(pattern);
    matcher = (value) => matches(glob, value);
    compiled.set(pattern, matcher);
  }
  return matcher;
}
