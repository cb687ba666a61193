/**
 * The few `Reflect` metadata functions `@peculiar/x509`'s dependency injection container
 * (tsyringe) requires (`getMetadata`, `getOwnMetadata`, `defineMetadata`), installed only when no
 * polyfill is present. Weft uses no decorators, so this small WeakMap store replaces the
 * `reflect-metadata` package the library's README suggests. Import before `@peculiar/x509` (done
 * by `src/security/x509.ts`).
 */
type MetadataKey = unknown;
type Store = Map<string | symbol | undefined, Map<MetadataKey, unknown>>;

interface ReflectMetadata {
  getMetadata?: (key: MetadataKey, target: object, prop?: string | symbol) => unknown;
  getOwnMetadata?: (key: MetadataKey, target: object, prop?: string | symbol) => unknown;
  defineMetadata?: (key: MetadataKey, value: unknown, target: object, prop?: string | symbol) => void;
}

const R = Reflect as unknown as ReflectMetadata;
if (typeof R.getMetadata !== 'function') {
  const stores = new WeakMap<object, Store>();
  const own = (key: MetadataKey, target: object, prop?: string | symbol): unknown => stores.get(target)?.get(prop)?.get(key);
  R.getOwnMetadata = own;
  R.getMetadata = (key, target, prop) => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const v = own(key, t, prop);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  R.defineMetadata = (key, value, target, prop) => {
    let store = stores.get(target);
    if (!store) stores.set(target, (store = new Map()));
    let m = store.get(prop);
    if (!m) store.set(prop, (m = new Map()));
    m.set(key, value);
  };
}

export {};
