/** Replaces the password of a URL with `***`, so the URL can be logged. Unparseable input is hidden entirely. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== '') url.password = '***';
    for (const key of new Set(url.searchParams.keys())) {
      if (/pass|secret|token|key/i.test(key)) url.searchParams.set(key, '***');
    }
    return url.toString();
  } catch {
    return '<unparseable URL>';
  }
}
