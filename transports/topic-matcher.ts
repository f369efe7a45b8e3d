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

/** Filters to values (one value per filter); lookups by topic cost O(1) + O(wildcard filters). */
export class FilterIndex<V> {
  private readonly exact = new Map<string, V>();
  private readonly wildcard = new Map<string, V>();

  get size(): number {
    return this.exact.size + this.wildcard.size;
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
