const KEY = 'shop-live-operator-token';

/**
 * The operator token the event stream asks for. The stack's ready line prints the page's URL with
 * `#token=...`: the fragment never reaches a server or a log, and it is taken out of the address
 * bar at once (kept in this tab's sessionStorage), so it does not end up in a screenshot or a
 * shared link.
 */
export function tokenFromLocation(): string | undefined {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromFragment) {
    saveToken(fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
    return fromFragment;
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}
