/**
 * @module
 * Which values can travel: what events, step results and run outputs may hold.
 */

/**
 * Why `value` cannot travel, or `undefined` when it can. msgpackr would
 * quietly turn a function into an empty value and overflow the stack on a
 * cycle, so both are caught here first. Every event, step result and run
 * output passes through here: the path to a problem is spelled out only once
 * one is found, and a plain value allocates nothing.
 */
export function unserialisableReason(value: unknown, path = 'data'): string | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')) return undefined;
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
    case 'object': {
      if (value === null) return undefined;
      if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return undefined;
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
      } else if (value instanceof Map) {
        for (const [k, v] of value) {
          const inner = problemIn(v, parents);
          if (inner !== undefined) {
            found = `.get(${String(k)})${inner}`;
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
