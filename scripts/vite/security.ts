// The app's Content-Security-Policy (a meta tag in the built index.html, so any static host
// serves it) and the headers the dev and preview servers add. What each directive allows, and
// why, is listed in README ("Security headers").
import type { Plugin } from 'vite';

/** Directive -> sources. 'self': the app's own files (any base path); blob: where the app makes
 *  object URLs (downloads, printable report) and workers may be started from them (onnxruntime);
 *  'wasm-unsafe-eval': compiling WebAssembly (onnxruntime's, the reconstruction's kernel; no
 *  JavaScript eval); https: in connect-src: model URLs the visitor types in; inline styles: Svelte
 *  style bindings. */
export const CSP: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'worker-src': ["'self'", 'blob:'],
  'connect-src': ["'self'", 'https:', 'blob:', 'data:'],
  'img-src': ["'self'", 'data:', 'blob:'],
  'style-src': ["'self'", "'unsafe-inline'"],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'none'"],
};

export const cspText = (policy = CSP): string =>
  Object.entries(policy)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ');

/** Headers for the dev and preview servers: no MIME sniffing, never framed (frame-ancestors
 *  only works as a header, not in the meta tag). */
export const SERVER_SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "frame-ancestors 'none'",
};

/** Adds the CSP meta tag to the built index.html (not in dev: Vite's client needs its websocket
 *  and inline module preloads there). */
export function cspMetaTag(): Plugin {
  return {
    name: 'hp-lab-csp',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      // Right after <meta charset> (which must come first): before any script it governs.
      handler: (html) => {
        const meta = `<meta http-equiv="Content-Security-Policy" content="${cspText().replaceAll('"', '&quot;')}" />`;
        const at = html.search(/<meta charset="[^"]*"\s*\/?>/i);
        if (at < 0) throw new Error('index.html has no <meta charset>: the CSP meta tag goes right after it');
        const end = html.indexOf('>', at) + 1;
        return html.slice(0, end) + '\n    ' + meta + html.slice(end);
      },
    },
  };
}
