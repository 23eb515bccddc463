#!/usr/bin/env python3
"""Vendor GraphiQL's browser assets from the npm registry into app/static/graphiql/vendor/.

    python3 scripts/refresh_graphiql_assets.py                    # re-vendor the pinned versions
    python3 scripts/refresh_graphiql_assets.py graphiql@3.9.1     # upgrade one package

Needs `npm` (only here: running Quire never needs Node). Versions come from the current
manifest, overridden by NAME@VERSION arguments (exact versions only). Each package is fetched
with `npm pack`, which checks the tarball against the registry's integrity hash; only the
files listed in PACKAGE_FILES are copied. Stylesheets get their inline `data:` fonts and images
moved into files next to them, so the page's Content-Security-Policy can stay at 'self' for
fonts and images. Then manifest.json is rewritten with every file's sha384 (the page's
`integrity=` attributes) and the tarball's own integrity. Review `git diff app/static/graphiql`
and run the browser test (`make test`) before committing.
"""

import argparse
import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "app" / "static" / "graphiql"
VENDOR = ASSETS / "vendor"
MANIFEST = ASSETS / "manifest.json"

# Used when there is no manifest yet. GraphiQL 3 is the last line with UMD builds that run
# without a bundler; React 18 is the last React with UMD builds.
DEFAULT_VERSIONS = {
    "react": "18.3.1",
    "react-dom": "18.3.1",
    "graphiql": "3.9.0",
    "@graphiql/plugin-explorer": "3.2.6",
}
# package -> (folder under vendor/, {path in the package: file name in that folder})
PACKAGE_FILES: dict[str, tuple[str, dict[str, str]]] = {
    "react": ("react", {"umd/react.production.min.js": "react.production.min.js"}),
    "react-dom": ("react-dom", {"umd/react-dom.production.min.js": "react-dom.production.min.js"}),
    "graphiql": (
        "graphiql",
        {"graphiql.min.js": "graphiql.min.js", "graphiql.min.css": "graphiql.min.css"},
    ),
    "@graphiql/plugin-explorer": (
        "plugin-explorer",
        {"dist/index.umd.js": "index.umd.js", "dist/style.css": "style.css"},
    ),
}
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt")
MEDIA_EXTENSIONS = {
    "font/woff2": "woff2",
    "font/woff": "woff",
    "application/font-woff": "woff",
    "font/ttf": "ttf",
    "image/png": "png",
    "image/gif": "gif",
    "image/svg+xml": "svg",
}
DATA_URL = re.compile(
    r"url\(\s*(?P<quote>['\"]?)data:(?P<mime>[\w.+-]+/[\w.+-]+)(?:;[\w=.+-]+)*;base64,"
    r"(?P<data>[A-Za-z0-9+/=\s]+)(?P=quote)\s*\)"
)
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pins", nargs="*", metavar="NAME@VERSION", help="exact versions to use")
    versions = current_versions()
    for pin in parser.parse_args().pins:
        name, _, version = pin.rpartition("@")
        if name not in PACKAGE_FILES or not EXACT_VERSION.match(version):
            parser.error(f"{pin!r}: expected one of {', '.join(PACKAGE_FILES)} @ an exact x.y.z")
        versions[name] = version

    packages, assets = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "vendor"
        for name, version in versions.items():
            package, files = vendor_package(name, version, Path(tmp), staging)
            packages.append(package)
            assets.update(files)
        # Only a complete download replaces the vendored files.
        shutil.rmtree(VENDOR, ignore_errors=True)
        shutil.copytree(staging, VENDOR)
    manifest = {
        "comment": "Written by scripts/refresh_graphiql_assets.py; do not edit by hand.",
        "packages": packages,
        "assets": dict(sorted(assets.items())),
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    for package in packages:
        print(f"{package['name']}@{package['version']}")
    print(f"{len(assets)} files in {VENDOR.relative_to(ROOT)}, hashes in {MANIFEST.name}")


def current_versions() -> dict[str, str]:
    if not MANIFEST.exists():
        return dict(DEFAULT_VERSIONS)
    pinned = {p["name"]: p["version"] for p in json.loads(MANIFEST.read_text())["packages"]}
    return {name: pinned.get(name, DEFAULT_VERSIONS[name]) for name in PACKAGE_FILES}


def vendor_package(
    name: str, version: str, tmp: Path, staging: Path
) -> tuple[dict[str, object], dict[str, dict[str, str]]]:
    packed = json.loads(
        subprocess.run(
            ["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(tmp)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )[0]
    folder, wanted = PACKAGE_FILES[name]
    (staging / folder).mkdir(parents=True)
    assets: dict[str, dict[str, str]] = {}
    with tarfile.open(tmp / packed["filename"]) as tarball:
        package_json = json.loads(read_member(tarball, "package.json"))
        for source, filename in wanted.items():
            content = read_member(tarball, source)
            origin = f"{name}@{version}/{source}"
            if filename.endswith(".css"):
                content = move_data_urls(content, staging, folder, origin, assets)
                origin += " (data: URLs moved to media/)"
            assets.update(write_asset(staging, f"{folder}/{filename}", content, origin))
        license_file = next(
            (n for n in LICENSE_NAMES if f"package/{n}" in tarball.getnames()), None
        )
        if license_file:
            (staging / folder / "LICENSE").write_bytes(read_member(tarball, license_file))
    package = {
        "name": name,
        "version": version,
        "license": package_json.get("license", "see the package"),
        "npm_integrity": packed["integrity"],
        "folder": f"vendor/{folder}",
    }
    return package, assets


def read_member(tarball: tarfile.TarFile, path: str) -> bytes:
    member = tarball.extractfile(f"package/{path}")
    if member is None:
        sys.exit(f"package/{path} is not a file in {tarball.name!s}")
    return member.read()


def move_data_urls(
    css: bytes, staging: Path, folder: str, origin: str, assets: dict[str, dict[str, str]]
) -> bytes:
    """Replace every `url(data:...;base64,...)` with a file under media/."""

    def extract(match: re.Match[str]) -> str:
        mime = match["mime"]
        if mime not in MEDIA_EXTENSIONS:
            sys.exit(f"{origin}: no file extension known for data URL of type {mime}")
        data = base64.b64decode("".join(match["data"].split()), validate=True)
        name = f"media/{hashlib.sha256(data).hexdigest()[:16]}.{MEDIA_EXTENSIONS[mime]}"
        (staging / folder / "media").mkdir(exist_ok=True)
        assets.update(write_asset(staging, f"{folder}/{name}", data, f"{origin} (inline {mime})"))
        return f"url({name})"

    text = DATA_URL.sub(extract, css.decode())
    for leftover in ("data:", "@import", "url(http", "url(//"):
        if leftover in text:
            sys.exit(f"{origin}: the stylesheet still refers to {leftover!r}; extend the script")
    return text.encode()


def write_asset(staging: Path, path: str, content: bytes, source: str) -> dict[str, dict[str, str]]:
    """Writes vendor/PATH (staged) and returns its manifest entry."""
    (staging / path).write_bytes(content)
    digest = base64.b64encode(hashlib.sha384(content).digest()).decode()
    return {f"vendor/{path}": {"integrity": f"sha384-{digest}", "source": source}}


if __name__ == "__main__":
    main()
