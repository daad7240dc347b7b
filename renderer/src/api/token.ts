const TOKEN_KEY = 'pareto.token';

/** The per-launch token from a URL hash such as `#token=abc` (other hash parameters are ignored). */
export function readTokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  return token ? token : null;
}

export interface TokenEnvironment {
  location: Pick<Location, 'hash' | 'pathname' | 'search'>;
  history: Pick<History, 'replaceState' | 'state'>;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
}

/**
 * The web-mode token: taken from the address bar when present (then kept in sessionStorage and
 * removed from the address bar, so it does not linger in history or screenshots), else from a
 * previous load of this tab.
 */
export function resolveWebToken({ location, history, storage }: TokenEnvironment): string | null {
  const fromHash = readTokenFromHash(location.hash);
  if (fromHash) {
    storage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
    return fromHash;
  }
  return storage.getItem(TOKEN_KEY);
}
