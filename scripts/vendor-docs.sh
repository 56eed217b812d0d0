#!/usr/bin/env bash
# Refresh the vendored Swagger UI and ReDoc assets served by /api/docs and
# /api/redoc, so the API docs work with no internet access at run time.
#
# Usage: scripts/vendor-docs.sh [swagger-ui-dist version] [redoc version]
# Packages are fetched with `npm pack` from the configured npm registry into a
# temporary directory; only the files the pages load are copied, together with
# each package's licence, and static/vendor/README.md records what was taken.
set -euo pipefail

SWAGGER_UI_VERSION="${1:-${SWAGGER_UI_VERSION:-5.35.0}}"
# ReDoc stays on 2.x: the 3.x standalone bundle renders a blank page offline.
REDOC_VERSION="${2:-${REDOC_VERSION:-2.5.4}}"

case "$REDOC_VERSION" in
  2.*) ;;
  *) echo "ReDoc must be a 2.x version, not $REDOC_VERSION" >&2; exit 1 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

fetch() {  # fetch <package@version> <dir>
  local spec="$1" dest="$2" tarball
  tarball="$(cd "$WORK" && npm pack --silent "$spec" | tail -n 1)"
  mkdir -p "$dest"
  tar -xzf "$WORK/$tarball" -C "$dest" --strip-components=1
}

fetch "swagger-ui-dist@$SWAGGER_UI_VERSION" "$WORK/swagger-ui"
fetch "redoc@$REDOC_VERSION" "$WORK/redoc"

rm -rf "$VENDOR/swagger-ui" "$VENDOR/redoc"
mkdir -p "$VENDOR/swagger-ui" "$VENDOR/redoc"

for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css \
         favicon-32x32.png LICENSE NOTICE; do
  cp "$WORK/swagger-ui/$f" "$VENDOR/swagger-ui/$f"
done
for f in bundles/redoc.standalone.js bundles/redoc.standalone.js.LICENSE.txt LICENSE; do
  cp "$WORK/redoc/$f" "$VENDOR/redoc/$(basename "$f")"
done

# Source maps are not shipped; drop the trailing pointers to them so browser
# dev tools do not ask the server for files that are not there.
sed -i -e '/^\/\*# sourceMappingURL=[^ ]*\.map\*\/$/d' "$VENDOR/swagger-ui/swagger-ui.css"
sed -i -e '/^\/\/# sourceMappingURL=[^ ]*\.map$/d' \
  "$VENDOR/swagger-ui/swagger-ui-bundle.js" "$VENDOR/redoc/redoc.standalone.js"

# ReDoc 2.x draws the "API docs by Redocly" badge with an image from the
# vendor's CDN. An empty src makes the image fail at once without a request
# (its onError handler then hides it), so the page stays on our own host.
REDOC_LOGO='src:"https://cdn.redoc.ly/redoc/logo-mini.svg"'
if ! grep -qF "$REDOC_LOGO" "$VENDOR/redoc/redoc.standalone.js"; then
  echo "ReDoc $REDOC_VERSION: the CDN logo reference moved; check the bundle for" \
       "requests to other hosts before vendoring it" >&2
  exit 1
fi
sed -i -e 's|src:"https://cdn.redoc.ly/redoc/logo-mini.svg"|src:""|' \
  "$VENDOR/redoc/redoc.standalone.js"
if grep -q 'https://cdn\.' "$VENDOR/redoc/redoc.standalone.js"; then
  echo "ReDoc $REDOC_VERSION still references a CDN" >&2
  exit 1
fi

licence() {  # licence <dir>
  sed -n 's/^ *"license": *"\([^"]*\)".*/\1/p' "$1/package.json" | head -n 1
}

cat > "$VENDOR/README.md" <<README
# Vendored API documentation assets

Served from this folder by /api/docs and /api/redoc so the pages make no
request to another host. Refresh with \`scripts/vendor-docs.sh\` (or
\`make vendor\`); do not edit these files by hand.

| package | version | licence | files |
|---|---|---|---|
| swagger-ui-dist | $SWAGGER_UI_VERSION | $(licence "$WORK/swagger-ui") (swagger-ui/LICENSE, NOTICE) | swagger-ui-bundle.js, swagger-ui.css, favicon-32x32.png |
| redoc | $REDOC_VERSION | $(licence "$WORK/redoc") (redoc/LICENSE) | redoc.standalone.js (from bundles/) |

Third-party licences bundled inside the scripts are listed in the
\`*.LICENSE.txt\` files next to them. Two edits are made on copy: the
trailing source map comments are removed (the maps are not shipped), and
ReDoc's "API docs by Redocly" badge image, which would load from the vendor's
CDN, gets an empty \`src\` so it is hidden instead of fetched.
README

echo "Vendored swagger-ui-dist $SWAGGER_UI_VERSION and redoc $REDOC_VERSION into $VENDOR"
