/**
 * @module
 * Which values can travel: what events, step results and run outputs may hold.
 *
 * One rule for all three: what is sent arrives as it was. Plain objects
 * (prototype Object, or none), arrays, strings, numbers, booleans, null,
 * undefined (as a property's value), bigints, Dates, Sets of such values,
 * typed arrays (Buffer and Uint8Array among them) and ArrayBuffers travel
 * as they are. Anything that could not arrive as it was is refused where it
 * enters, with the path to it: a function, a symbol, a cycle, a Map (msgpack
 * has one map type, so a Map would arrive as a plain object) and an instance
 * of any other class (it would arrive without its class: an Error, a
 * RegExp, a class of the app's own), a string or key holding a lone
 * surrogate (UTF-8 has no encoding for one, so it would arrive as U+FFFD)
 * and a key named `__proto__` (msgpackr renames it on the way in, so that
 * decoding can never set a prototype).
 */

const loneSurrogate = /\p{Surrogate}/u;

/** Half of a UTF-16 surrogate pair with no other half: it cannot be written as UTF-8, so it would not arrive as sent. */
export function hasLoneSurrogate(text: string): boolean {
  return loneSurrogate.test(text);
}

const loneSurrogateText = 'holds a lone surrogate (half of a UTF-16 pair), which would arrive as U+FFFD';

/**
 * Why `value` cannot travel, or `undefined` when it can. msgpackr would
 * quietly turn a function into an empty value and overflow the stack on a
 * cycle, so both are caught here first. Every event, step result and run
 * output passes through here: the path to a problem is spelled out only once
 * one is found, and a plain value allocates nothing.
 */
export function unserialisableReason(value: unknown, path = 'data'): string | undefined {
  if (
    value === null ||
    (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol' && typeof value !== 'string')
  )
    return undefined;
  const found = problemIn(value, []);
  return found === undefined ? undefined : `${path}${found}`;
}

/** The first problem inside `value` as the rest of its path and what is wrong (`.a[1] is a function`). `parents`: the objects above it. */
function problemIn(value: unknown, parents: object[]): string | undefined {
  switch (typeof value) {
    case 'function':
      return ' is a function';
    case 'symbol':
      return ' is a symbol';
    case 'string':
      return hasLoneSurrogate(value) ? ` ${loneSurrogateText}` : undefined;
    case 'object': {
      if (value === null) return undefined;
      if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return undefined;
      const kind = notPlain(value);
      if (kind !== undefined) return kind;
      if (parents.includes(value)) return ' is a cycle (refers back to one of its parents)';
      parents.push(value);
      let found: string | undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const inner = problemIn(value[i], parents);
          if (inner !== undefined) {
            found = `[${i}]${inner}`;
            break;
          }
        }
      } else if (value instanceof Set) {
        for (const v of value) {
          const inner = problemIn(v, parents);
          if (inner !== undefined) {
            found = `{}${inner}`;
            break;
          }
        }
      } else {
        for (const k in value) {
          const badKey = keyProblem(k);
          if (badKey !== undefined) {
            found = badKey;
            break;
          }
          const inner = problemIn((value as Record<string, unknown>)[k], parents);
          if (inner !== undefined) {
            found = `.${k}${inner}`;
            break;
          }
        }
        if (found === undefined && Object.getOwnPropertySymbols(value).length > 0) found = ' has symbol keys';
      }
      parents.pop();
      return found;
    }
    default:
      return undefined;
  }
}

/** What is wrong with a property's name, as the rest of a path; `undefined` for a name that arrives as it was. */
function keyProblem(key: string): string | undefined {
  if (key === '__proto__') return '.__proto__ is a key named __proto__, which would arrive renamed: use another name';
  if (hasLoneSurrogate(key)) return `[${JSON.stringify(key)}] is a key that ${loneSurrogateText}`;
  return undefined;
}

/** What is wrong with an object that is not plain data (not an array, a Set or a plain object); `undefined` for those. */
function notPlain(value: object): string | undefined {
  if (value instanceof Map) return ' is a Map, which would arrive as a plain object: send Object.fromEntries(map) instead';
  if (Array.isArray(value) || value instanceof Set) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype || isForeignObjectPrototype(proto)) return undefined;
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  const what = typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an instance of a class';
  return ` is ${what}, which would arrive as a plain object without its class: send its data as a plain object instead`;
}

/** Object.prototype of another realm (a vm context, a worker's structured clone): its objects are plain too. */
function isForeignObjectPrototype(proto: unknown): boolean {
  return (
    typeof proto === 'object' &&
    proto !== null &&
    Object.getPrototypeOf(proto) === null &&
    (proto as { constructor?: { name?: unknown } }).constructor?.name === 'Object'
  );
}
