// MQTT topic and filter rules shared by the transports: validation (MQTT 3.1.1 §4.7) and an
// index from filters to values that stays fast with many subscriptions — exact filters sit in a
// Map, only wildcard filters are scanned (with mqtt-match).
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

/** Filters to values (one value per filter); lookups by topic cost O(1) + O(wildcard filters). */
export class FilterIndex<V> {
  private readonly exact = new Map<string, V>();
  private readonly wildcard = new Map<string, V>();

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
    (hasWildcard(filter) ? this.wildcard : this.exact).set(filter, value);
  }

  get(filter: string): V | undefined {
    return (hasWildcard(filter) ? this.wildcard : this.exact).get(filter);
  }

  delete(filter: string): boolean {
    return (hasWildcard(filter) ? this.wildcard : this.exact).delete(filter);
  }

  /** Every (filter, value) whose filter matches the topic, each once. */
  match(topic: string): Array<[string, V]> {
    const found: Array<[string, V]> = [];
    const hit = this.exact.get(topic);
    if (hit !== undefined) found.push([topic, hit]);
    if (this.wildcard.size > 0) {
      for (const entry of this.wildcard) {
        if (matches(entry[0], topic)) found.push(entry);
      }
    }
    return found;
  }

  entries(): IterableIterator<[string, V]> {
    return concat(this.exact.entries(), this.wildcard.entries());
  }
}

function* concat<T>(a: Iterable<T>, b: Iterable<T>): IterableIterator<T> {
  yield* a;
  yield* b;
}
