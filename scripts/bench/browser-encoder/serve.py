#!/usr/bin/env python3
"""Serves the browser benchmark: the project root (the model under /public/models/) and the built
folder under /bench/; takes the page's progress (POST /log: printed) and its result (POST
/result: written to OUT, then the server exits). Usage: serve.py ROOT BENCH_DIR OUT PORT."""
import http.server
import sys
import threading

root, bench, out, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


class Handler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path):
        if not path.startswith('/bench/'):
            return super().translate_path(path)
        saved, self.directory = self.directory, bench
        try:
            return super().translate_path(path[len('/bench'):])
        finally:
            self.directory = saved

    def end_headers(self):
        self.send_header('Cache-Control', 'no-store')
        super().end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0))).decode()
        self.send_response(204)
        self.end_headers()
        if self.path == '/log':
            print(body, flush=True)
        elif self.path == '/result':
            with open(out, 'w') as f:
                f.write(body)
            print('result written to', out, flush=True)
            threading.Thread(target=self.server.shutdown).start()

    def log_request(self, code='-', size='-'):
        # Only failures: a 404 names a file the page needed and the build did not copy.
        if str(code).isdigit() and int(code) >= 400:
            sys.stderr.write(f'serve: {self.requestline} -> {code}\n')


http.server.ThreadingHTTPServer.allow_reuse_address = True
server = http.server.ThreadingHTTPServer(('127.0.0.1', port), lambda *a: Handler(*a, directory=root))
server.serve_forever()
