"""How fast `quire import wordpress` brings a big blog in, and how much memory it needs.

    uv run python -m bench.import_speed --posts 100000 --backend postgresql

Writes a WordPress export of N posts (bench/.data/wxr-<N>.xml, reused while it exists): 300
categories and tags used with a long tail, 120 authors, bodies of 300 to 1,500 words in
paragraphs, headings, lists and code. Imports it with the CLI into an empty database, then once
more (every post unchanged), each time as a process of its own, and reports the wall time, the
posts per second and the importing process's peak resident memory beside the file's size.
"""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # ships no type information

from bench.dataset import DATA_DIR, driver_dsn
from bench.servers import ROOT

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WORDS = [
    "queue",
    "latency",
    "shard",
    "replica",
    "index",
    "cache",
    "schema",
    "deploy",
    "rollout",
    "metric",
    "alert",
    "pipeline",
    "worker",
    "batch",
    "stream",
    "partition",
    "consumer",
    "producer",
    "lag",
    "throughput",
    "budget",
    "incident",
    "review",
    "migration",
    "rollback",
    "feature",
    "flag",
    "canary",
    "cluster",
    "node",
    "region",
    "failover",
    "backup",
    "restore",
    "query",
    "plan",
    "vacuum",
    "lock",
    "transaction",
    "isolation",
    "retry",
    "timeout",
    "backoff",
    "jitter",
    "trace",
    "span",
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    return parser.parse_args(argv)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _body(rng: random.Random) -> str:
    blocks = []
    for index in range(rng.randint(6, 30)):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."
            for _ in range(rng.randint(2, 5))
        ]
        if index and index % 7 == 0:
            blocks.append(f"<h2>{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)}</h2>")
        if index % 11 == 5:
            items = "".join(f"<li>{rng.choice(WORDS)} {rng.choice(WORDS)}</li>" for _ in range(4))
            blocks.append(f"<ul>{items}</ul>")
        if index % 13 == 6:
            blocks.append('<pre><code class="language-sql">SELECT 1;\n</code></pre>')
        blocks.append(f"<p>{' '.join(sentences)}</p>")
    return "\n\n".join(blocks)


def write_wxr(path: Path, posts: int) -> None:
    rng = random.Random(1)
    terms = [f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{n}" for n in range(300)]
    weights = [1 / (rank + 1) for rank in range(len(terms))]  # Zipf: a long tail
    start = datetime(2015, 1, 1, tzinfo=UTC)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            "<title>Bench Engineering</title><link>https://bench.example.com</link>"
            "<language>en-US</language><wp:wxr_version>1.2</wp:wxr_version>"
            "<wp:base_site_url>https://bench.example.com</wp:base_site_url>"
            "<wp:base_blog_url>https://bench.example.com</wp:base_blog_url>\n"
        )
        for n in range(120):
            out.write(
                f"<wp:author><wp:author_login>author{n}</wp:author_login>"
                f"<wp:author_display_name>{_cdata(f'Author {n}')}</wp:author_display_name>"
                "</wp:author>\n"
            )
        for n, term in enumerate(terms):
            kind = "category" if n < 40 else "post_tag"
            out.write(
                f"<wp:term><wp:term_taxonomy>{kind}</wp:term_taxonomy>"
                f"<wp:term_slug>{term}</wp:term_slug><wp:term_name>{_cdata(term)}</wp:term_name>"
                "</wp:term>\n"
            )
        for n in range(1, posts + 1):
            moment = start + timedelta(minutes=50 * n)
            title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).capitalize()
            chosen = dict.fromkeys(rng.choices(terms, weights, k=rng.randint(1, 5)))
            categories = "".join(
                f'<category domain="{"category" if terms.index(t) < 40 else "post_tag"}" '
                f'nicename="{t}">{_cdata(t)}</category>'
                for t in chosen
            )
            out.write(
                f"<item><title>{_cdata(title)}</title>"
                f"<dc:creator>author{rng.randrange(120)}</dc:creator>"
                f"<content:encoded>{_cdata(_body(rng))}</content:encoded>"
                f"<excerpt:encoded>{_cdata('')}</excerpt:encoded>"
                f"<wp:post_id>{n}</wp:post_id>"
                f"<wp:post_date_gmt>{moment:%Y-%m-%d %H:%M:%S}</wp:post_date_gmt>"
                f"<wp:post_name>post-{n}</wp:post_name><wp:status>publish</wp:status>"
                f"<wp:post_type>post</wp:post_type>{categories}</item>\n"
            )
        out.write("</channel>\n</rss>\n")
    partial.replace(path)


def fresh_database(backend: str, posts: int, postgres_url: str) -> str:
    if backend == "sqlite":
        path = DATA_DIR / f"import-{posts}.db"
        for leftover in DATA_DIR.glob(f"import-{posts}.db*"):
            leftover.unlink()
        return f"sqlite+aiosqlite:///{path}"
    name = f"quire_import_{posts}"

    async def recreate() -> None:
        connection = await asyncpg.connect(driver_dsn(postgres_url))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(recreate())
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


def timed_quire(url: str, *args: str) -> tuple[float, int, str]:
    """Seconds, peak resident memory (MiB) and output of one `quire` process."""
    env = {**os.environ, "QUIRE_DATABASE_URL": url}
    quire = Path(sys.executable).parent / "quire"
    started = time.monotonic()
    process = subprocess.Popen(
        [str(quire), *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"quire {' '.join(args)} failed:\n{output}")
    return elapsed, usage.ru_maxrss // 1024, output


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    wxr = DATA_DIR / f"wxr-{args.posts}.xml"
    if not wxr.exists():
        print(f"Writing {wxr}...", flush=True)
        started = time.monotonic()
        write_wxr(wxr, args.posts)
        print(f"  {time.monotonic() - started:.0f} s", flush=True)
    size = wxr.stat().st_size / 2**20
    url = fresh_database(args.backend, args.posts, args.postgres_url)
    subprocess.run(
        [str(Path(sys.executable).parent / "quire"), "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, "QUIRE_DATABASE_URL": url},
        check=True,
    )
    rows = []
    for label in ("first import", "again (unchanged)"):
        print(f"{label}...", flush=True)
        seconds, memory, output = timed_quire(url, "import", "wordpress", str(wxr))
        print(output.strip(), flush=True)
        rows.append((label, seconds, memory))
        print(f"  {seconds:.0f} s, {args.posts / seconds:.0f} posts/s, peak {memory} MiB")
    report = [
        f"# Import speed: {args.posts:,} WordPress posts into {args.backend}",
        "",
        f"`uv run python -m bench.import_speed --posts {args.posts} --backend {args.backend}`,"
        f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on {os.cpu_count()} cores.",
        "",
        f"The file: {size:.0f} MiB (WXR 1.2, 300 categories and tags with a long tail, 120"
        " authors, bodies of 300 to 1,500 words).",
        "",
        "| run | wall time | posts/s | peak memory of the process |",
        "| --- | ---: | ---: | ---: |",
        *(f"| {label} | {s:.0f} s | {args.posts / s:,.0f} | {m} MiB |" for label, s, m in rows),
        "",
    ]
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"{datetime.now(UTC):%Y-%m-%d}-import-{args.backend}-{args.posts}.md"
    out.write_text("\n".join(report))
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
