// MQTT topic and filter rules shared by the transports: validation (MQTT 3.1.1 §4.7) and an
// index from filters to values that stays fast with many subscriptions — exact filters sit in a
// Map, wildcard filters in a trie over topic levels, so a publish costs O(levels), not O(filters).
import mqttMatch from 'mqtt-match';

/** Whether a topic name is valid for PUBLISH: non-empty, no wildcards (§4.7.1, §4.7.3). */
export function isValidTopic(topic: string): boolean {
  return topic.length > 0 && !topic.includes('+') && !topic.includes('#') && !topic.includes('\u0000');
}

/** Whether a topic filter is valid for SUBSCRIBE: `+` fills a level, `#` only the last (§4.7.1). */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level === '#') {
      if (i !== levels.length - 1) return false;
    } else if (level === '+') {
      continue;
    } else if (level.includes('#') || level.includes('+')) {
      return false;
    }
  }
  return true;
}

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/** Whether a topic falls under a filter; wildcards at the first level skip `$` topics (§4.7.2). */
export function matches(filter: string, topic: string): boolean {
  if (!hasWildcard(filter)) return filter === topic;
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  return mqttMatch(filter, topic);
}

/**
 * matches() for one filter, made once for a filter tested against many topics: it reads the topic
 * in place, where mqtt-match splits both strings into arrays on every call.
 */
export function filterMatcher(filter: string): (topic: string) => boolean {
  if (!hasWildcard(filter)) return (topic) => topic === filter;
  const levels = filter.split('/');
  const first = levels[0];
  const skipsDollar = first === '+' || first === '#';
  return (topic) => {
    if (skipsDollar && topic.startsWith('$')) return false;
    let at = 0; // where the topic's next level starts; past the end once its last level is read
    for (const level of levels) {
      if (level === '#') return true; // also matches the parent level: 'a/#' matches 'a'
      if (at > topic.length) return false;
      let end = topic.indexOf('/', at);
      if (end < 0) end = topic.length;
      if (level !== '+' && (end - at !== level.length || !topic.startsWith(level, at))) return false;
      at = end + 1;
    }
    return at > topic.length;
  };
}

/** A filter and its value, as FilterIndex.match() returns them. */
export type FilterEntry<V> = readonly [filter: string, value: V];

/**
 * One level of the wildcard trie: children by literal level, the `+` child, and the entries of
 * the filters that end here (`end`) or end with `#` right after this level (`rest`).
 */
interface TrieNode<V> {
  readonly children: Map<string, TrieNode<V>>;
  plus: TrieNode<V> | undefined;
  end: FilterEntry<V> | undefined;
  rest: FilterEntry<V> | undefined;
}

const node = <V>(): TrieNode<V> => ({ children: new Map(), plus: undefined, end: undefined, rest: undefined });

/**
 * Filters to values (one value per filter). A lookup by topic costs O(1) for exact filters plus
 * O(levels of the topic × matching branches) in a trie of the wildcard filters, however many
 * filters there are: an event topic is no longer tested against every subscription.
 */
export class FilterIndex<V> {
  private readonly exact = new Map<string, V>();
  /** Every wildcard filter's entry (the trie holds the same entry objects). */
  private readonly wildcard = new Map<string, FilterEntry<V>>();
  private readonly root: TrieNode<V> = node();
  /** Wildcard filters the trie cannot hold (invalid: `a+`, `#/a`), scanned with matches(). */
  private readonly odd = new Map<string, FilterEntry<V>>();

  get size(): number {
    return this.exact.size + this.wildcard.size;
  }

  /** How many filters have wildcards (none: a topic matches at most the one exact filter). */
  get wildcards(): number {
    return this.wildcard.size;
  }

  /** The value of the filter equal to this topic (a topic has no wildcards). */
  exactly(topic: string): V | undefined {
    return this.exact.get(topic);
  }

  set(filter: string, value: V): void {
    if (!hasWildcard(filter)) {
      this.exact.set(filter, value);
      return;
    }
    const entry: FilterEntry<V> = [filter, value];
    this.wildcard.set(filter, entry);
    if (!isValidFilter(filter)) {
      this.odd.set(filter, entry);
      return;
    }
    let at = this.root;
    for (const level of filter.split('/')) {
      if (level === '#') {
        at.rest = entry;
        return;
      }
      let next = level === '+' ? at.plus : at.children.get(level);
      if (!next) {
        next = node();
        if (level === '+') at.plus = next;
        else at.children.set(level, next);
      }
      at = next;
    }
    at.end = entry;
  }

  get(filter: string): V | undefined {
    return hasWildcard(filter) ? this.wildcard.get(filter)?.[1] : this.exact.get(filter);
  }

  delete(filter: string): boolean {
    if (!hasWildcard(filter)) return this.exact.delete(filter);
    if (!this.wildcard.delete(filter)) return false;
    if (this.odd.delete(filter)) return true;
    // Walk down, then clear the entry and prune the nodes it leaves empty, deepest first.
    const levels = filter.split('/');
    const rest = levels[levels.length - 1] === '#';
    if (rest) levels.pop();
    const path: Array<[parent: TrieNode<V>, level: string]> = [];
    let at = this.root;
    for (const level of levels) {
      const next = level === '+' ? at.plus : at.children.get(level);
      if (!next) return true; // unreachable: set() made the path
      path.push([at, level]);
      at = next;
    }
    if (rest) at.rest = undefined;
    else at.end = undefined;
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i]!;
      const child = level === '+' ? parent.plus : parent.children.get(level);
      if (!child || child.end || child.rest || child.plus || child.children.size > 0) break;
      if (level === '+') parent.plus = undefined;
      else parent.children.delete(level);
    }
    return true;
  }

  /** Every (filter, value) whose filter matches the topic, each once: the exact one first. */
  match(topic: string): Array<FilterEntry<V>> {
    const found: Array<FilterEntry<V>> = [];
    const hit = this.exact.get(topic);
    if (hit !== undefined) found.push([topic, hit]);
    if (this.wildcard.size === 0) return found;
    if (this.wildcard.size > this.odd.size) collect(this.root, topic.split('/'), 0, topic.startsWith('$'), found);
    if (this.odd.size > 0) {
      for (const entry of this.odd.values()) if (matches(entry[0], topic)) found.push(entry);
    }
    return found;
  }

  entries(): IterableIterator<[string, V]> {
    return concat(this.exact.entries(), wildcardEntries(this.wildcard));
  }
}

/**
 * The trie's entries matching levels[i..]. A `#` after this level matches the rest, none
 * included ('a/#' matches 'a'); at the first level wildcards skip `$` topics (§4.7.2).
 */
function collect<V>(at: TrieNode<V>, levels: readonly string[], i: number, dollar: boolean, found: Array<FilterEntry<V>>): void {
  const first = i === 0 && dollar;
  if (at.rest && !first) found.push(at.rest);
  if (i === levels.length) {
    if (at.end) found.push(at.end);
    return;
  }
  const child = at.children.get(levels[i]!);
  if (child) collect(child, levels, i + 1, dollar, found);
  if (at.plus && !first) collect(at.plus, levels, i + 1, dollar, found);
}

function* wildcardEntries<V>(wildcard: Map<string, FilterEntry<V>>): IterableIterator<[string, V]> {
  for (const [filter, entry] of wildcard) yield [filter, entry[1]];
}

function* concat<T>(a: Iterable<T>, b: Iterable<T>): IterableIterator<T> {
  yield* a;
  yield* b;
}
