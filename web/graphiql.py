"""A GraphiQL page that works offline.

Strawberry's built-in GraphiQL page loads React and GraphiQL from a CDN, and
the gateway often runs with no internet. This page loads the copies vendored
in `static/graphiql/` (see the README there) and nothing else.

The app serves `render_graphiql_page()` on GET /graphql and mounts
`graphiql_static_app()` at the page's `assets_url` (/static/graphiql).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path

from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static" / "graphiql"

# The files the page loads, in load order (CSS first, React before GraphiQL).
STYLESHEETS = ("graphiql.min.css",)
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")

# What a first-time visitor sees in the query editor: how to get a token,
# in both languages the portal speaks, then a query that works signed out.
DEFAULT_QUERY = """\
# Ventanilla — GraphiQL
#
# ES: Para ver tus datos, iniciá sesión:
#
#   mutation {
#     signIn(input: {login: "...", password: "..."}) {
#       accessToken
#       errors { code message }
#     }
#   }
#
# y pegá el accessToken en la pestaña Headers (abajo):
#   {"Authorization": "Bearer <accessToken>"}
#
# EN: To see your data, sign in with the mutation
# above, then paste the accessToken into the Headers
# tab (below) as shown. Ctrl-Enter runs the query.

{ portal { name features } }
"""


def _js(value: object) -> str:
    """`value` as a JavaScript literal that is safe inside a <script> element."""
    # json.dumps escapes quotes and backslashes; escaping <, > and & as well
    # means no string can close the <script> element or open a comment.
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render_graphiql_page(
    *,
    endpoint: str = "/graphql",
    assets_url: str = "/static/graphiql",
    title: str = "Ventanilla — GraphiQL",
) -> str:
    """Return the HTML of a GraphiQL page that queries `endpoint`.

    The page loads only the vendored assets under `assets_url` and refers to
    no other URL, so it works with no internet access.
    """
    base = assets_url.rstrip("/")
    links = "\n".join(
        f'    <link rel="stylesheet" href="{html.escape(f"{base}/{name}")}">'
        for name in STYLESHEETS
    )
    scripts = "\n".join(
        f'    <script src="{html.escape(f"{base}/{name}")}"></script>' for name in SCRIPTS
    )
    return f"""<!doctype html>
<html lang="es">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{html.escape(title)}</title>
    <!-- An empty icon, so the browser does not ask the server for /favicon.ico. -->
    <link rel="icon" href="data:,">
{links}
    <style>
      body {{ margin: 0; height: 100%; width: 100%; overflow: hidden; }}
      #graphiql {{ height: 100vh; display: flex; }}
    </style>
  </head>
  <body>
    <div id="graphiql">Cargando GraphiQL… / Loading GraphiQL…</div>
{scripts}
    <script>
      // The Headers tab is where a signed-in user puts
      // {{"Authorization": "Bearer <token>"}}; GraphiQL sends those headers
      // with every request through this fetcher.
      const fetcher = GraphiQL.createFetcher({{ url: {_js(endpoint)} }});
      const root = ReactDOM.createRoot(document.getElementById("graphiql"));
      root.render(
        React.createElement(GraphiQL, {{
          fetcher: fetcher,
          defaultQuery: {_js(DEFAULT_QUERY)},
          defaultHeaders: "{{}}",
          isHeadersEditorEnabled: true,
          // Open the Headers tab, so the place for the token is in sight.
          defaultEditorToolsVisibility: "headers",
          inputValueDeprecation: true,
        }}),
      );
    </script>
  </body>
</html>
"""


def page_policy(page: str) -> str:
    """The Content-Security-Policy of a page from `render_graphiql_page`: its own origin only,
    and of inline scripts exactly the one it carries (by hash). GraphiQL's editor sets styles
    at run time, so inline styles stay allowed."""
    inline = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def graphiql_static_app() -> StaticFiles:
    """An ASGI app serving the vendored assets; mount it at the page's assets_url."""
    return StaticFiles(directory=STATIC_DIR)
