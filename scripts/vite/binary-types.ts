// The model files (.onnx, .hpw, .spw) have no MIME type in the preview server's table, so it
// sent them untyped, and its compression middleware gzipped any untyped file on the fly: the
// 29 MB model took 5.5 s from localhost at load 9 (0.5 s uncompressed), with the server's gzip
// competing with the page for the same cores. Typed as binary, they go out as stored, with their
// Content-Length (so the download also shows "x of y MB"). Static hosts type them the same way.
import type { Connect, Plugin } from 'vite';

export const BINARY_EXTENSIONS = /\.(onnx|hpw|spw)$/i;

/** Sets Content-Type: application/octet-stream on requests for model files (the file server keeps
 *  a type set before it; the compression middleware leaves that type alone). */
export const typeBinaries: Connect.NextHandleFunction = (req, res, next) => {
  const path = (req.url ?? '').split(/[?#]/)[0];
  if (BINARY_EXTENSIONS.test(path)) res.setHeader('Content-Type', 'application/octet-stream');
  next();
};

export function binaryTypes(): Plugin {
  return {
    name: 'hp-lab-binary-types',
    // Added here (not in a returned post hook), the middleware runs before the preview server's
    // compression and its file server; the dev server sends files uncompressed, but typed too.
    configurePreviewServer: (server) => void server.middlewares.use(typeBinaries),
    configureServer: (server) => void server.middlewares.use(typeBinaries),
  };
}
