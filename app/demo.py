"""Demo content: a seeded generator of a realistic engineering-blog dataset.

`load_demo` writes 30 authors, 15 tags (one of them internal) and as many English posts as
asked for, plus Spanish translations of about a tenth of the published ones. The same seed and
the same `now` always give exactly the same rows, so the data can be used in tests and docs.

Everything comes from the word lists below and one `random.Random(seed)`; no text is copied
from a real blog. Markdown bodies are drawn from a pool of at most `MAX_BODY_POOL` bodies, each
rendered once with `render_body`, so large datasets (100,000 posts) load in a few minutes.
Rows are written with Core `insert()` executemany in batches, with ids assigned here so the
link rows can be built without RETURNING; on PostgreSQL the id sequences are reset afterwards.
"""

import random
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models import Author, Post, PostAuthor, PostLevel, PostStatus, PostTag, Tag, TagVisibility
from resolvers.content import RenderedBody, render_body, slugify

AUTHOR_COUNT = 30
MAX_BODY_POOL = 1000
MAX_SPANISH_BODY_POOL = 200
BATCH_SIZE = 2000
HISTORY = timedelta(days=6 * 365)
IMAGE_BASE_URL = "https://images.example.com"
CANONICAL_BASE_URL = "https://engineering.example.org"
BLOG_NAME = "Quire Engineering"

DRAFT_SHARE = 0.04
SCHEDULED_SHARE = 0.04
TRANSLATED_SHARE = 0.10
MIN_DRAFTS_AND_SCHEDULED = 2  # each, once there are at least 20 posts
CODE_SHARE = 0.40
FEATURED_SHARE = 0.08
IMAGE_SHARE = 0.85
META_SHARE = 0.20
CANONICAL_SHARE = 0.03
INTERNAL_TAG_SHARE = 0.03
LATE_UPDATE_SHARE = 0.20
TITLE_TAIL_SHARE = 0.15

HOUR = 3600
DAY = 24 * HOUR

# --- People -------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Amara", "Tomasz", "Priya", "Kenji", "Lucía", "Oluwaseun", "Mei", "Rafael", "Ingrid",
    "Dmitri", "Aisha", "Mateo", "Sunita", "Hyun-woo", "Chloé", "Tariq", "Noor", "Elif",
    "Bongani", "Henrik", "Yara", "Arjun", "Fatima", "Lars", "Thanh", "Camila", "Kwame",
    "Anika", "Diego", "Zainab", "Rohan", "Maren", "Joaquín", "Leilani", "Nikolai", "Saoirse",
    "Emeka", "Hana", "Gabriel", "Ximena",
)  # fmt: skip
LAST_NAMES = (
    "Okafor", "Lindqvist", "Raghunathan", "Moreau", "Takahashi", "Alvarez", "Nowak", "Haddad",
    "Mensah", "Kowalczyk", "Chen", "Ferreira", "Banerjee", "Oyelaran", "Virtanen", "Castillo",
    "Nakamura", "Abernathy", "Dubois", "Petrov", "Osei", "Romero", "Yilmaz", "Sato", "Eriksen",
    "Nguyen", "Quispe", "Halvorsen", "Adeyemi", "Kaur", "Brennan", "Szabo", "Lefebvre",
    "Mwangi", "Ibarra", "Choi", "Fonseca", "Whitfield", "Rahman", "Vasquez",
)  # fmt: skip
JOB_TITLES = (
    "Software Engineer",
    "Senior Software Engineer",
    "Staff Software Engineer",
    "Senior Staff Software Engineer",
    "Principal Engineer",
    "Machine Learning Engineer",
    "Senior Machine Learning Engineer",
    "Engineering Manager",
    "Senior Engineering Manager",
    "Site Reliability Engineer",
    "Senior Site Reliability Engineer",
    "Data Scientist",
    "Data Engineer",
    "Security Engineer",
    "Web Performance Engineer",
    "Mobile Engineer",
)
BIO_AREAS = (
    "ads delivery and budget pacing",
    "search relevance",
    "the Android client",
    "storage infrastructure",
    "developer tooling",
    "trust and safety classifiers",
    "batch and streaming data pipelines",
    "web performance",
    "recommendation models",
    "observability tooling",
    "payments and billing",
    "identity and access management",
    "release engineering",
    "the iOS app",
    "experimentation and metrics",
    "capacity planning",
)
BIO_BACKGROUNDS = (
    "Previously built trading systems at a small fintech.",
    "Joined from a robotics startup.",
    "Came to software by way of a physics PhD.",
    "Started out in customer support and never stopped asking why.",
    "Spent five years in game development before moving to infrastructure.",
    "Has maintained open source libraries for over a decade.",
    "Taught distributed systems at a university before joining.",
    "Once ran a two-person consultancy for museums.",
)
BIO_HOBBIES = (
    "Outside work, bakes sourdough with questionable consistency.",
    "Runs trail races slowly but happily.",
    "Collects and repairs mechanical keyboards.",
    "Teaches an evening coding class for teenagers.",
    "Plays bass in a band nobody has heard of.",
    "Is slowly learning Portuguese.",
    "Restores vintage bicycles.",
    "Climbs indoors and, weather permitting, outdoors.",
    "Keeps a very opinionated list of ramen shops.",
)

# --- Tags: name, description, relative popularity -----------------------------------------------

PUBLIC_TAGS = (
    ("Infrastructure", "Servers, storage, networking and the platforms the product runs on.", 14),
    ("Machine Learning", "Models, features and the systems that train and serve them.", 13),
    ("Data", "Pipelines, warehouses and the tools that turn events into answers.", 9),
    ("Performance", "Making things faster and cheaper, measured before and after.", 8),
    ("Monetization", "Ads, shopping and the systems that keep the business running.", 7),
    ("Mobile", "Our Android and iOS apps and the platform work behind them.", 7),
    ("Trust & Safety", "Keeping people safe from spam, abuse and harmful content.", 6),
    ("Engineering Culture", "How we hire, plan, review code and work together.", 6),
    ("Web", "The web app, from rendering and bundling to accessibility.", 6),
    ("Developer Experience", "Builds, CI, code review and the tools engineers use every day.", 6),
    ("Security", "Protecting accounts, data and infrastructure from attackers.", 5),
    ("Search", "Indexing, retrieval and ranking for search and discovery.", 5),
    ("Observability", "Metrics, logs, traces and alerts that tell us what is going on.", 5),
    ("Open Source", "Projects we publish and the communities we contribute to.", 3),
)
INTERNAL_TAG = (
    "Internal Announcements",
    "Org changes, launches and reminders meant for employees only.",
)

# --- Title vocabulary: (English, Spanish) pairs ---------------------------------------------------

SYSTEMS = (
    ("our ad-serving stack", "nuestra plataforma de anuncios"),
    ("our home feed ranker", "nuestro ranking del feed principal"),
    ("our search indexing pipeline", "nuestro pipeline de indexación de búsqueda"),
    ("our notification service", "nuestro servicio de notificaciones"),
    ("our payments ledger", "nuestro libro mayor de pagos"),
    ("our feature store", "nuestro almacén de características"),
    ("our image thumbnailing service", "nuestro servicio de miniaturas"),
    ("our build system", "nuestro sistema de compilación"),
    ("our CI fleet", "nuestra flota de integración continua"),
    ("our metrics pipeline", "nuestro pipeline de métricas"),
    ("our content moderation queue", "nuestra cola de moderación de contenido"),
    ("our recommendation service", "nuestro servicio de recomendaciones"),
    ("our GraphQL gateway", "nuestra pasarela GraphQL"),
    ("our session store", "nuestro almacén de sesiones"),
    ("our experimentation platform", "nuestra plataforma de experimentación"),
    ("our logging backend", "nuestro backend de registros"),
    ("our spam classifier", "nuestro clasificador de spam"),
    ("our billing service", "nuestro servicio de facturación"),
    ("our media upload path", "nuestra ruta de subida de archivos multimedia"),
    ("our sharded MySQL fleet", "nuestra flota de MySQL particionada"),
    ("our key-value store", "nuestro almacén clave-valor"),
    ("our embedding service", "nuestro servicio de embeddings"),
    ("our Android release train", "nuestro tren de lanzamientos de Android"),
    ("our iOS networking layer", "nuestra capa de red de iOS"),
    ("our web frontend", "nuestro frontend web"),
    ("our data warehouse", "nuestro almacén de datos"),
    ("our stream processor", "nuestro procesador de flujos"),
    ("our rate limiter", "nuestro limitador de tasa"),
    ("our translation pipeline", "nuestro pipeline de traducción"),
    ("our access control service", "nuestro servicio de control de acceso"),
    ("our alerting system", "nuestro sistema de alertas"),
    ("our job scheduler", "nuestro planificador de tareas"),
    ("our CDN configuration", "nuestra configuración de CDN"),
    ("our shopping catalog", "nuestro catálogo de compras"),
    ("our ads budget pacer", "nuestro regulador de presupuestos publicitarios"),
    ("our trust scoring service", "nuestro servicio de puntuación de confianza"),
    ("our mobile crash reporter", "nuestro sistema de informes de fallos móviles"),
    ("our schema registry", "nuestro registro de esquemas"),
)
PLATFORMS = (
    ("Kubernetes", "Kubernetes"),
    ("gRPC", "gRPC"),
    ("Kafka", "Kafka"),
    ("Arm instances", "instancias Arm"),
    ("a multi-region setup", "una arquitectura multirregión"),
    ("PostgreSQL", "PostgreSQL"),
    ("Rust", "Rust"),
    ("Kotlin Multiplatform", "Kotlin Multiplatform"),
    ("TypeScript", "TypeScript"),
    ("Bazel", "Bazel"),
    ("ClickHouse", "ClickHouse"),
    ("Flink", "Flink"),
    ("the public cloud", "la nube pública"),
    ("serverless functions", "funciones serverless"),
    ("Envoy", "Envoy"),
    ("Spark 3", "Spark 3"),
)
ADJECTIVES = (
    ("real-time", "en tiempo real"),
    ("low-latency", "de baja latencia"),
    ("scalable", "escalable"),
    ("cost-efficient", "eficiente en costes"),
    ("resilient", "resiliente"),
    ("multi-tenant", "multiinquilino"),
    ("self-serve", "de autoservicio"),
    ("fault-tolerant", "tolerante a fallos"),
    ("streaming", "en streaming"),
    ("global", "global"),
    ("flexible", "flexible"),
    ("incremental", "incremental"),
    ("high-throughput", "de alto rendimiento"),
)
THINGS = (
    ("feature store", "un almacén de características"),
    ("ranking service", "un servicio de ranking"),
    ("event bus", "un bus de eventos"),
    ("feature flag system", "un sistema de feature flags"),
    ("labeling tool", "una herramienta de etiquetado"),
    ("query engine", "un motor de consultas"),
    ("A/B testing platform", "una plataforma de pruebas A/B"),
    ("deployment pipeline", "un pipeline de despliegue"),
    ("vector index", "un índice vectorial"),
    ("moderation workflow", "un flujo de moderación"),
    ("metrics store", "un almacén de métricas"),
    ("design system", "un sistema de diseño"),
    ("cache layer", "una capa de caché"),
    ("data catalog", "un catálogo de datos"),
    ("bidding engine", "un motor de pujas"),
    ("rules engine", "un motor de reglas"),
    ("test runner", "un ejecutor de pruebas"),
    ("permissions model", "un modelo de permisos"),
    ("job queue", "una cola de trabajos"),
    ("config service", "un servicio de configuración"),
)
DOMAINS = (
    ("ads ranking", "el ranking de anuncios"),
    ("search", "la búsqueda"),
    ("shopping", "las compras"),
    ("creators", "los creadores"),
    ("content safety", "la seguridad del contenido"),
    ("mobile clients", "los clientes móviles"),
    ("analytics", "la analítica"),
    ("recommendations", "las recomendaciones"),
    ("billing", "la facturación"),
    ("internal tools", "las herramientas internas"),
    ("notifications", "las notificaciones"),
    ("onboarding", "la incorporación de usuarios"),
    ("fraud prevention", "la prevención del fraude"),
    ("video", "el vídeo"),
    ("localization", "la localización"),
)
METRICS = (
    ("p99 latency", "la latencia p99"),
    ("build times", "los tiempos de compilación"),
    ("cloud spend", "el gasto en la nube"),
    ("cold start time", "el tiempo de arranque en frío"),
    ("page load time", "el tiempo de carga de página"),
    ("storage costs", "los costes de almacenamiento"),
    ("alert noise", "el ruido de las alertas"),
    ("memory usage", "el uso de memoria"),
    ("CI wait time", "el tiempo de espera de CI"),
    ("crash rate", "la tasa de fallos"),
    ("query latency", "la latencia de las consultas"),
    ("bundle size", "el tamaño del bundle"),
    ("on-call pages", "los avisos de guardia"),
    ("false positives", "los falsos positivos"),
    ("data freshness lag", "el retraso de los datos"),
)
TECHNIQUES = (
    ("request hedging", "el hedging de peticiones"),
    ("smarter caching", "una caché más inteligente"),
    ("adaptive batching", "el batching adaptativo"),
    ("remote build caching", "la caché remota de compilación"),
    ("profile-guided optimization", "la optimización guiada por perfiles"),
    ("columnar storage", "el almacenamiento columnar"),
    ("model distillation", "la destilación de modelos"),
    ("lazy loading", "la carga diferida"),
    ("connection pooling", "un pool de conexiones"),
    ("tiered storage", "el almacenamiento por niveles"),
    ("incremental builds", "las compilaciones incrementales"),
    ("query rewriting", "la reescritura de consultas"),
    ("load shedding", "el descarte de carga"),
    ("better sampling", "un mejor muestreo"),
    ("autoscaling", "el autoescalado"),
    ("GPU inference", "la inferencia en GPU"),
    ("code splitting", "la división de código"),
    ("a new compression scheme", "un nuevo esquema de compresión"),
    ("precomputed embeddings", "embeddings precalculados"),
    ("write coalescing", "la agrupación de escrituras"),
    ("off-heap caches", "cachés fuera del heap"),
    ("dependency pruning", "la poda de dependencias"),
    ("speculative prefetching", "la precarga especulativa"),
    ("alert deduplication", "la deduplicación de alertas"),
    ("read replicas", "réplicas de lectura"),
)
ML_TECHNIQUES = (
    ("graph neural networks", "redes neuronales de grafos"),
    ("streaming anomaly detection", "detección de anomalías en streaming"),
    ("fine-tuned language models", "modelos de lenguaje ajustados"),
    ("sequence models", "modelos secuenciales"),
    ("locality-sensitive hashing", "hashing sensible a la localidad"),
    ("gradient-boosted trees", "árboles con gradient boosting"),
    ("contrastive embeddings", "embeddings contrastivos"),
    ("rule ensembles", "conjuntos de reglas"),
    ("human-in-the-loop review", "revisión con intervención humana"),
    ("multimodal classifiers", "clasificadores multimodales"),
)
PROBLEMS = (
    ("spam", "spam"),
    ("account takeovers", "robos de cuentas"),
    ("fake engagement", "interacciones falsas"),
    ("performance regressions", "regresiones de rendimiento"),
    ("flaky tests", "pruebas inestables"),
    ("data drift", "deriva de datos"),
    ("payment fraud", "fraude en pagos"),
    ("bot traffic", "tráfico de bots"),
    ("duplicate content", "contenido duplicado"),
    ("policy-violating images", "imágenes que infringen las normas"),
    ("capacity hotspots", "puntos calientes de capacidad"),
    ("broken deploys", "despliegues defectuosos"),
)
GOALS = (
    ("ten times the traffic", "diez veces más tráfico"),
    ("multi-region failover", "la conmutación por error multirregión"),
    ("strict privacy rules", "normas de privacidad estrictas"),
    ("a mobile-first world", "un mundo centrado en el móvil"),
    ("faster experimentation", "experimentar más rápido"),
    ("lower cloud bills", "facturas de nube más bajas"),
    ("offline-first clients", "clientes que funcionan sin conexión"),
    ("sub-second freshness", "una frescura inferior al segundo"),
)
SUBTITLES = (
    ("a tour of the architecture", "un recorrido por la arquitectura"),
    ("design decisions and trade-offs", "decisiones de diseño y compromisos"),
    ("what broke and how we fixed it", "qué se rompió y cómo lo arreglamos"),
    ("the first year in production", "el primer año en producción"),
    ("from prototype to platform", "del prototipo a la plataforma"),
    ("an on-call survival guide", "una guía de supervivencia para las guardias"),
)
TEAMS = (
    ("our SRE team", "nuestro equipo de SRE"),
    ("the ads infrastructure team", "el equipo de infraestructura de anuncios"),
    ("our mobile platform team", "nuestro equipo de plataforma móvil"),
    ("the search quality team", "el equipo de calidad de búsqueda"),
    ("our data platform team", "nuestro equipo de plataforma de datos"),
    ("the trust and safety team", "el equipo de confianza y seguridad"),
    ("a team of four engineers", "un equipo de cuatro personas"),
    ("our web platform group", "nuestro grupo de plataforma web"),
    ("the developer productivity team", "el equipo de productividad de desarrolladores"),
    ("our ML platform team", "nuestro equipo de plataforma de ML"),
)
ACHIEVEMENTS = (
    (
        "halved on-call pages in one quarter",
        "redujo a la mitad los avisos de guardia en un trimestre",
    ),
    ("retired a ten-year-old monolith", "retiró un monolito de diez años"),
    ("moved a petabyte without downtime", "movió un petabyte sin interrupciones"),
    ("rebuilt the release process", "rehízo el proceso de publicación"),
    ("made every deploy reversible", "hizo reversible cada despliegue"),
    ("cut incident response time in half", "redujo a la mitad el tiempo de respuesta a incidentes"),
    ("adopted trunk-based development", "adoptó el desarrollo basado en trunk"),
    ("paid down years of tech debt", "saldó años de deuda técnica"),
    ("launched in twelve new markets", "lanzó el producto en doce mercados nuevos"),
    ("automated capacity planning", "automatizó la planificación de capacidad"),
)
RETROSPECTIVE_TOPICS = (
    ("observability", "observabilidad"),
    ("reliability", "fiabilidad"),
    ("mobile performance", "rendimiento móvil"),
    ("security", "seguridad"),
    ("infrastructure", "infraestructura"),
    ("developer experience", "experiencia de desarrollo"),
    ("open source", "código abierto"),
    ("hiring", "contratación"),
)
AUDIENCES = (
    ("backend engineers", "ingenieros de backend"),
    ("data scientists", "científicos de datos"),
    ("mobile developers", "desarrolladores móviles"),
    ("new hires", "nuevas incorporaciones"),
    ("product teams", "equipos de producto"),
    ("SREs", "SRE"),
    ("frontend engineers", "ingenieros de frontend"),
    ("analysts", "analistas"),
)
# Technologies grouped by kind, so "Why we replaced X with Y" compares like with like.
TECH_GROUPS = (
    ("Kafka", "Pulsar", "RabbitMQ", "NATS"),
    ("Redis", "Memcached", "RocksDB", "DynamoDB"),
    ("PostgreSQL", "MySQL", "Cassandra", "HBase", "Vitess", "CockroachDB", "TiDB"),
    ("ClickHouse", "Druid", "Pinot", "Trino", "Spark", "BigQuery"),
    ("Flink", "Kafka Streams", "Beam"),
    ("Airflow", "Dagster", "Argo Workflows"),
    ("Jenkins", "Buildkite", "Bazel", "Gradle", "GitHub Actions"),
    ("Envoy", "NGINX", "HAProxy"),
    ("Prometheus", "Graphite", "StatsD", "OpenTelemetry", "Jaeger"),
    ("TensorFlow", "PyTorch", "Ray", "XGBoost", "ONNX Runtime"),
    ("ZooKeeper", "etcd", "Consul"),
)
TECHS = tuple(tech for group in TECH_GROUPS for tech in group)

# --- Excerpts, title tails and image alt text ----------------------------------------------------

EXCERPT_CLOSERS = (
    ("Spoiler: the boring option won.", "Adelanto: ganó la opción aburrida."),
    (
        "Includes the dashboards we used to track progress.",
        "Incluye los paneles que usamos para seguir el progreso.",
    ),
    (
        "We also cover the rollout plan and how we kept risk low.",
        "También contamos el plan de despliegue y cómo mantuvimos el riesgo bajo control.",
    ),
    (
        "The short version: measure first, then optimise.",
        "En resumen: primero medir, después optimizar.",
    ),
    (
        "Several of the tools are now open source.",
        "Varias de las herramientas ya son de código abierto.",
    ),
    ("It took three attempts to get right.", "Hicieron falta tres intentos para acertar."),
    (
        "Along the way we found a few surprises in our own assumptions.",
        "Por el camino descubrimos algunas sorpresas en nuestras propias suposiciones.",
    ),
    (
        "We include the rollout checklist we now reuse for every launch.",
        "Incluimos la lista de comprobación que ahora reutilizamos en cada lanzamiento.",
    ),
    (
        "We also share the metrics we watch every week.",
        "También compartimos las métricas que revisamos cada semana.",
    ),
    (
        "Most of it applies to much smaller systems too.",
        "Casi todo se aplica también a sistemas mucho más pequeños.",
    ),
    ("Several teams contributed to this work.", "Varios equipos contribuyeron a este trabajo."),
)
TITLE_TAILS = (
    ("a case study", "un caso práctico"),
    ("what we got wrong", "en qué nos equivocamos"),
    ("the numbers", "las cifras"),
    ("a retrospective", "una retrospectiva"),
    ("notes from the field", "notas desde el terreno"),
    ("an engineering deep dive", "un análisis técnico a fondo"),
    ("one year later", "un año después"),
    ("lessons for small teams", "lecciones para equipos pequeños"),
    ("the full story", "la historia completa"),
    ("a practical walkthrough", "un recorrido práctico"),
    ("from idea to launch", "de la idea al lanzamiento"),
    ("what we would do differently", "qué haríamos de otra manera"),
    ("behind the scenes", "entre bastidores"),
    ("the road so far", "el camino hasta ahora"),
    ("a field guide", "una guía de campo"),
    ("trade-offs and results", "compromisos y resultados"),
)
IMAGE_ALTS = (
    ("Architecture diagram of {subject}", "Diagrama de arquitectura de {subject}"),
    ("Hand-drawn sketch of {subject}", "Boceto a mano de {subject}"),
    (
        "Line chart comparing results before and after the change",
        "Gráfico de líneas que compara los resultados antes y después del cambio",
    ),
    (
        "Whiteboard covered in boxes and arrows from a design review",
        "Pizarra llena de cajas y flechas de una revisión de diseño",
    ),
    ("Abstract illustration of {subject}", "Ilustración abstracta de {subject}"),
)

# --- Body vocabulary -----------------------------------------------------------------------------

SECTION_HEADINGS = (
    "Background",
    "The problem",
    "Where we started",
    "Design goals",
    "Architecture overview",
    "Measuring the baseline",
    "The first prototype",
    "Handling failure",
    "Data model",
    "Rolling it out",
    "What went wrong",
    "Results",
    "Trade-offs we accepted",
    "Operating it day to day",
    "Cost",
    "Testing strategy",
    "Working with other teams",
    "Open questions",
)
CLOSING_HEADINGS = ("Lessons learned", "What's next", "Conclusion", "Looking ahead")
SENTENCES = (
    "{system} had grown organically for years, and nobody fully understood its failure modes.",
    "We started by measuring {metric} across every region for two weeks.",
    "The first prototype used {tech} and fit in a few hundred lines of code.",
    "Our main constraint was that {system} could not go offline, even for a minute.",
    "After the change, {metric} dropped by roughly {percent} percent.",
    "{team} owned the rollout and wrote the runbooks.",
    "We rolled the change out behind a feature flag, one percent of traffic at a time.",
    "Most of the complexity turned out to live in the edge cases rather than the happy path.",
    "We tried {technique} first, but it did not move the numbers enough on its own.",
    "Combining {technique} with better dashboards gave us the confidence to keep going.",
    "Every design review came back to the same question: what happens when a dependency is slow?",
    "A shadow deployment let us compare old and new results on real traffic before switching.",
    "The team kept a running log of surprises, which later became the outline of this post.",
    "We learned that small, reversible steps beat a big-bang migration every time.",
    "Capacity planning became much easier once {system} exposed consistent metrics.",
    "At peak, the service handled about {number} thousand operations per second.",
    "Some of the oldest code paths had no tests, so we wrote characterization tests first.",
    "We paired with the on-call engineers to make sure the new alerts were actionable.",
    "Backfilling historical data took longer than building the new pipeline itself.",
    "In hindsight, we should have involved the client teams much earlier.",
    "The new design separates the read path from the write path, which simplified caching.",
    "Latency budgets were agreed per hop, so each team knew how much time it could spend.",
    "We documented every decision in a short design note so future readers can follow along.",
    "The migration finished two weeks ahead of schedule, mostly thanks to automation.",
    "Switching to {tech} was not free: it took a quarter to train everyone on it.",
    "We now run a weekly review of {metric} and treat regressions like bugs.",
    "None of this would have worked without a clear owner for every component.",
    "Our dashboards showed the problem long before customers noticed it.",
    "The hardest part was not the code but agreeing on what {metric} should mean.",
    "We kept the old and new paths running side by side for a month.",
    "Each shard now reports its own health, so a single slow host no longer hides in averages.",
    "A weekly office hour helped other teams adopt {system} without filing tickets.",
    "We wrote a load generator that replays a sampled day of production requests.",
    "The rollback button was used twice, and both times it worked in under a minute.",
    "Early versions cached too aggressively and served stale results after deploys.",
    "We budgeted one engineer per quarter just for keeping dependencies up to date.",
    "{technique} helped most on the long tail, where the slowest requests spent their time.",
    "Today {team} runs {system} with a single on-call rotation.",
    "Moving configuration out of code let us change limits without a deploy.",
    "The benchmark numbers looked great until we tried them on real traffic.",
    "We chose {tech} because the team already knew how to operate it at three in the morning.",
    "Error budgets gave product and engineering a shared language for risk.",
)
BULLETS = (
    "Keep every step reversible.",
    "Measure before and after each change.",
    "Alert on symptoms, not causes.",
    "Write the runbook before the launch, not after the first incident.",
    "Prefer boring technology on critical paths.",
    "Budget real time for backfills.",
    "Make ownership explicit.",
    "Automate the second time you do something by hand.",
    "Load test with production-shaped traffic.",
    "Delete dead code as you go.",
    "Agree on the success metric before writing code.",
    "Keep the old path running until the new one has proven itself.",
)
ES_SECTION_HEADINGS = (
    "Contexto",
    "El problema",
    "Punto de partida",
    "Objetivos de diseño",
    "Visión general de la arquitectura",
    "Medir la línea base",
    "El primer prototipo",
    "El despliegue",
    "Qué salió mal",
    "Resultados",
    "Compromisos que aceptamos",
    "La operación diaria",
)
ES_CLOSING_HEADINGS = ("Lecciones aprendidas", "Próximos pasos", "Conclusión")
ES_METRICS = (  # singular only, so the verbs in ES_SENTENCES agree
    "la latencia p99",
    "el gasto en la nube",
    "el tiempo de carga",
    "el uso de memoria",
    "la tasa de errores",
    "el tiempo de compilación",
)
ES_SENTENCES = (
    "Durante años, {system} creció sin un diseño claro y nadie conocía bien sus modos de fallo.",
    "Empezamos midiendo {metric} en todas las regiones durante dos semanas.",
    "El primer prototipo usaba {tech} y cabía en unos cientos de líneas de código.",
    "La restricción principal era que {system} no podía dejar de funcionar ni un minuto.",
    "Tras el cambio, {metric} bajó aproximadamente un {percent} %.",
    "{team} se encargó del despliegue y escribió los manuales de operación.",
    "Activamos el cambio detrás de un feature flag, con un uno por ciento del tráfico cada vez.",
    "La mayor parte de la complejidad estaba en los casos límite y no en el camino habitual.",
    "Probamos primero {technique}, pero por sí solo no mejoró lo suficiente las cifras.",
    "Un despliegue en la sombra nos permitió comparar resultados con tráfico real.",
    "Aprendimos que los pasos pequeños y reversibles funcionan mejor que un gran salto.",
    "En el pico, el servicio atendía unas {number} mil operaciones por segundo.",
    "Algunas rutas de código antiguas no tenían pruebas, así que las escribimos antes de tocarlas.",
    "Trabajamos con las personas de guardia para que las nuevas alertas fueran accionables.",
    "Rellenar los datos históricos llevó más tiempo que construir el nuevo pipeline.",
    "Visto en retrospectiva, deberíamos haber involucrado antes a los equipos de clientes.",
    "El nuevo diseño separa la ruta de lectura de la de escritura, lo que simplificó la caché.",
    "Documentamos cada decisión en una nota de diseño breve para que otros puedan seguirla.",
    "Ahora revisamos {metric} cada semana y tratamos cada regresión como un error.",
)
ES_BULLETS = (
    "Cada paso debe ser reversible.",
    "Mide antes y después de cada cambio.",
    "Alerta sobre síntomas, no sobre causas.",
    "Escribe el manual de operación antes del lanzamiento.",
    "Prefiere tecnología aburrida en las rutas críticas.",
    "Reserva tiempo para rellenar datos históricos.",
    "Deja clara la propiedad de cada componente.",
    "Automatiza la segunda vez que hagas algo a mano.",
)
CODE_SNIPPETS = (
    (
        "python",
        """import random
import time


def with_backoff(call, attempts=5, base_delay=0.1):
    for attempt in range(attempts):
        try:
            return call()
        except TimeoutError:
            if attempt == attempts - 1:
                raise
            time.sleep(base_delay * 2**attempt * random.uniform(0.5, 1.5))""",
    ),
    (
        "python",
        """def engagement_features(events):
    clicks = sum(1 for e in events if e.kind == "click")
    views = sum(1 for e in events if e.kind == "view")
    return {
        "clicks": clicks,
        "views": views,
        "ctr": clicks / views if views else 0.0,
    }""",
    ),
    (
        "go",
        """type TokenBucket struct {
	mu       sync.Mutex
	tokens   float64
	capacity float64
	rate     float64
	last     time.Time
}

func (b *TokenBucket) Allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = math.Min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}""",
    ),
    (
        "sql",
        """SELECT date_trunc('day', requested_at) AS day,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99_ms
FROM request_log
WHERE requested_at > now() - interval '30 days'
GROUP BY 1
ORDER BY 1;""",
    ),
    (
        "sql",
        """CREATE INDEX CONCURRENTLY ix_events_owner_created
    ON events (owner_id, created_at DESC)
    WHERE deleted_at IS NULL;""",
    ),
    (
        "yaml",
        """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: ranking-api
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: ranking-api
  minReplicas: 6
  maxReplicas: 120
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 65""",
    ),
    (
        "kotlin",
        """class FeedRepository(
    private val api: FeedApi,
    private val cache: FeedCache,
) {
    suspend fun load(userId: String): List<FeedItem> =
        cache.get(userId) ?: api.fetch(userId).also { cache.put(userId, it) }
}""",
    ),
    (
        "typescript",
        """export function useVisible(ref: React.RefObject<Element>): boolean {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const observer = new IntersectionObserver(([entry]) => setVisible(entry.isIntersecting));
    if (ref.current) observer.observe(ref.current);
    return () => observer.disconnect();
  }, [ref]);
  return visible;
}""",
    ),
    (
        "bash",
        """#!/usr/bin/env bash
set -euo pipefail
for pct in 1 5 25 50 100; do
  deployctl set-weight --service "$SERVICE" --canary "$pct"
  sleep 600
  deployctl check-slo --service "$SERVICE" || { deployctl rollback "$SERVICE"; exit 1; }
done""",
    ),
    (
        "rust",
        """pub fn shard_for(key: &[u8], shards: u32) -> u32 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() % u64::from(shards)) as u32
}""",
    ),
)

AUTHORS_PER_POST_WEIGHTS = (55, 30, 10, 5)  # 1, 2, 3 or 4 authors
TAGS_PER_POST_WEIGHTS = (45, 40, 15)  # 1, 2 or 3 public tags
LEVEL_WEIGHTS = (
    (PostLevel.BEGINNER, 20),
    (PostLevel.INTERMEDIATE, 50),
    (PostLevel.ADVANCED, 25),
    (None, 5),
)


@dataclass(frozen=True)
class DemoSummary:
    authors: int
    tags: int
    posts: int  # all rows written, including drafts, scheduled and translations


# --- Public API ----------------------------------------------------------------------------------


async def has_content(engine: AsyncEngine) -> bool:
    """True if any post, author or tag row exists."""
    async with engine.connect() as conn:
        for model in (Post, Author, Tag):
            if (await conn.execute(select(model.id).limit(1))).first() is not None:
                return True
    return False


async def clear_content(engine: AsyncEngine) -> None:
    """Delete every post, author and tag, and the links between them."""
    async with engine.begin() as conn:
        for model in (PostTag, PostAuthor, Post, Tag, Author):
            await conn.execute(delete(model))


async def load_demo(
    engine: AsyncEngine, *, posts: int = 200, seed: int = 1, now: datetime | None = None
) -> DemoSummary:
    """Write the demo dataset into an empty database: `posts` English posts plus translations.

    The same `seed` and `now` always produce the same rows. `now` only anchors the dates:
    published posts lie in the six years before it, scheduled ones up to 60 days after it.
    """
    if posts < 0:
        raise ValueError("posts must not be negative")
    moment = _as_utc(now if now is not None else datetime.now(UTC))
    if await has_content(engine):
        raise RuntimeError("the database already has content; call clear_content() first")

    rng = random.Random(seed)
    generator = _Generator(rng, moment, english_posts=posts)
    authors = generator.authors()
    tags = generator.tags()
    async with engine.begin() as conn:
        await conn.execute(insert(Author), authors)
        await conn.execute(insert(Tag), tags)
        writer = _Writer(conn)
        for row, author_ids, tag_ids in generator.posts():
            await writer.add(row, author_ids, tag_ids)
        await writer.flush()
        if engine.dialect.name == "postgresql":
            await _reset_sequences(conn)
    return DemoSummary(authors=len(authors), tags=len(tags), posts=writer.posts_written)


# --- Generation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Schedule:
    """When an English post was written, last edited and (to be) published."""

    status: PostStatus
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class _Phrase:
    """A title and a one-sentence summary in both languages, and what it is about."""

    title: str
    title_es: str
    summary: str
    summary_es: str
    subject: str  # a noun phrase for image alt text
    subject_es: str


@dataclass(frozen=True)
class _Copy:
    """The short texts of one post, in English and Spanish."""

    title: str
    title_es: str
    excerpt: str
    excerpt_es: str
    image_alt: str
    image_alt_es: str


@dataclass(frozen=True)
class _Body:
    markdown: str
    rendered: RenderedBody


_PostRows = tuple[dict[str, Any], list[int], list[int]]


class _Generator:
    """Produces authors, tags and post rows from one seeded random generator."""

    def __init__(self, rng: random.Random, now: datetime, *, english_posts: int) -> None:
        self.rng = rng
        self.now = now.replace(microsecond=0)
        self.english_posts = english_posts
        self.slugs = _SlugRegistry()
        self.titles: dict[str, int] = {}
        self.author_ids: list[int] = []
        self.author_weights: list[float] = []
        self.public_tag_ids: list[int] = []
        self.tag_weights: list[float] = []
        self.internal_tag_id = 0

    def authors(self) -> list[dict[str, Any]]:
        """30 authors; the last one joined a few days ago and has written nothing yet."""
        rng = self.rng
        names = zip(
            rng.sample(FIRST_NAMES, AUTHOR_COUNT), rng.sample(LAST_NAMES, AUTHOR_COUNT), strict=True
        )
        rows = []
        for index, (first, last) in enumerate(names):
            name = f"{first} {last}"
            slug = self.slugs.claim(slugify(name))
            job_title = rng.choice(JOB_TITLES)
            newcomer = index == AUTHOR_COUNT - 1
            joined = self._newcomer_joined() if newcomer else self._veteran_joined()
            rows.append(
                {
                    "id": index + 1,
                    "name": name,
                    "slug": slug,
                    "job_title": job_title,
                    "bio": self._bio(job_title),
                    "avatar_url": f"{IMAGE_BASE_URL}/avatars/{slug}.jpg",
                    "website": f"https://{slug}.example.com" if rng.random() < 0.4 else None,
                    "created_at": joined,
                    "updated_at": self._between(joined, self.now),
                }
            )
            if not newcomer:
                self.author_ids.append(index + 1)
        # A few prolific authors and a long tail: weight rank**-0.7, ranks in shuffled order.
        ranks = list(range(1, len(self.author_ids) + 1))
        rng.shuffle(ranks)
        self.author_weights = [rank**-0.7 for rank in ranks]
        return rows

    def tags(self) -> list[dict[str, Any]]:
        created = self.now - HISTORY - timedelta(days=90)
        rows = []
        for index, (name, description, weight) in enumerate(PUBLIC_TAGS):
            rows.append(self._tag_row(index + 1, name, description, TagVisibility.PUBLIC, created))
            self.public_tag_ids.append(index + 1)
            self.tag_weights.append(weight)
        self.internal_tag_id = len(PUBLIC_TAGS) + 1
        name, description = INTERNAL_TAG
        rows.append(
            self._tag_row(self.internal_tag_id, name, description, TagVisibility.INTERNAL, created)
        )
        return rows

    def posts(self) -> Iterator[_PostRows]:
        """Every post row with its author and tag ids, English first then its translation."""
        if self.english_posts == 0:
            return
        bodies = self._body_pool(min(MAX_BODY_POOL, self.english_posts), _english_body)
        schedules = self._schedules()
        translated = self._pick_translated(schedules)
        spanish_count = min(MAX_SPANISH_BODY_POOL, max(1, len(translated)))
        spanish_bodies = self._body_pool(spanish_count, _spanish_body)

        next_id = 1
        for index, schedule in enumerate(schedules):
            copy = self._copy(schedule)
            group = self._translation_group() if index in translated else None
            row = self._post_row(next_id, copy, schedule, self.rng.choice(bodies), group)
            author_ids = self._pick_authors()
            tag_ids = self._pick_tags()
            yield row, author_ids, tag_ids
            next_id += 1
            if group is not None:
                body = self.rng.choice(spanish_bodies)
                spanish = self._translation_row(next_id, row, copy, body)
                yield spanish, author_ids, tag_ids
                next_id += 1

    # Authors and tags

    def _bio(self, job_title: str) -> str:
        rng = self.rng
        parts = [f"{job_title} focused on {rng.choice(BIO_AREAS)}."]
        if rng.random() < 0.7:
            parts.append(rng.choice(BIO_BACKGROUNDS))
        if rng.random() < 0.6:
            parts.append(rng.choice(BIO_HOBBIES))
        return " ".join(parts)

    def _veteran_joined(self) -> datetime:
        return self.now - HISTORY - timedelta(seconds=self.rng.randint(DAY, 60 * DAY))

    def _newcomer_joined(self) -> datetime:
        return self.now - timedelta(seconds=self.rng.randint(DAY, 10 * DAY))

    def _tag_row(
        self, tag_id: int, name: str, description: str, visibility: TagVisibility, at: datetime
    ) -> dict[str, Any]:
        return {
            "id": tag_id,
            "name": name,
            "slug": self.slugs.claim(slugify(name)),
            "description": description,
            "visibility": visibility,
            "created_at": at,
            "updated_at": self._between(at, self.now),
        }

    def _pick_authors(self) -> list[int]:
        count = _weighted_index(self.rng, AUTHORS_PER_POST_WEIGHTS) + 1
        return _weighted_sample(self.rng, self.author_ids, self.author_weights, count)

    def _pick_tags(self) -> list[int]:
        count = _weighted_index(self.rng, TAGS_PER_POST_WEIGHTS) + 1
        tag_ids = _weighted_sample(self.rng, self.public_tag_ids, self.tag_weights, count)
        if self.rng.random() < INTERNAL_TAG_SHARE:
            tag_ids.append(self.internal_tag_id)
        return tag_ids

    # Dates

    def _schedules(self) -> list[_Schedule]:
        """Statuses and dates of the English posts, oldest first (ids follow creation order)."""
        total = self.english_posts
        drafts = round(total * DRAFT_SHARE)
        scheduled = round(total * SCHEDULED_SHARE)
        if total >= 20:
            drafts = max(drafts, MIN_DRAFTS_AND_SCHEDULED)
            scheduled = max(scheduled, MIN_DRAFTS_AND_SCHEDULED)
        statuses = (
            [PostStatus.DRAFT] * drafts
            + [PostStatus.SCHEDULED] * scheduled
            + [PostStatus.PUBLISHED] * (total - drafts - scheduled)
        )
        self.rng.shuffle(statuses)
        schedules = [self._schedule(status) for status in statuses]
        schedules.sort(key=lambda schedule: schedule.created_at)
        return schedules

    def _schedule(self, status: PostStatus) -> _Schedule:
        rng, now = self.rng, self.now
        if status is PostStatus.DRAFT:
            created = now - timedelta(seconds=rng.randint(HOUR, 180 * DAY))
            return _Schedule(status, None, created, self._between(created, now))
        if status is PostStatus.SCHEDULED:
            created = now - timedelta(seconds=rng.randint(HOUR, 30 * DAY))
            published = now + timedelta(seconds=rng.randint(DAY, 60 * DAY))
            return _Schedule(status, published, created, self._between(created, now))
        # More posts in recent years: offsets are skewed towards zero.
        span = int(HISTORY.total_seconds()) - HOUR
        published = now - timedelta(seconds=HOUR + int(span * rng.random() ** 1.5))
        created = published - timedelta(seconds=rng.randint(HOUR, 30 * DAY))
        return _Schedule(status, published, created, self._edited_after(published))

    def _edited_after(self, published: datetime) -> datetime:
        """Usually touched up within two days; sometimes revised months or years later."""
        if self.rng.random() < LATE_UPDATE_SHARE:
            edited = published + timedelta(seconds=self.rng.randint(30 * DAY, 900 * DAY))
        else:
            edited = published + timedelta(seconds=self.rng.randint(0, 2 * DAY))
        return min(edited, self.now)

    def _between(self, start: datetime, end: datetime) -> datetime:
        seconds = int((end - start).total_seconds())
        return start + timedelta(seconds=self.rng.randint(0, max(0, seconds)))

    def _pick_translated(self, schedules: Sequence[_Schedule]) -> set[int]:
        """Indexes of published posts old enough to have had a Spanish version published since."""
        cutoff = self.now - timedelta(days=12)
        eligible = [
            index
            for index, schedule in enumerate(schedules)
            if schedule.status is PostStatus.PUBLISHED
            and schedule.published_at is not None
            and schedule.published_at <= cutoff
        ]
        published = sum(1 for s in schedules if s.status is PostStatus.PUBLISHED)
        count = min(len(eligible), round(published * TRANSLATED_SHARE))
        return set(self.rng.sample(eligible, count))

    def _translation_group(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # Texts

    def _copy(self, schedule: _Schedule) -> _Copy:
        rng = self.rng
        year = (schedule.published_at or schedule.created_at).year
        phrase = self._unique_phrase(year)
        excerpt, excerpt_es = phrase.summary, phrase.summary_es
        if rng.random() < 0.6:
            closer, closer_es = rng.choice(EXCERPT_CLOSERS)
            excerpt, excerpt_es = f"{excerpt} {closer}", f"{excerpt_es} {closer_es}"
        alt, alt_es = rng.choice(IMAGE_ALTS)
        return _Copy(
            title=phrase.title,
            title_es=phrase.title_es,
            excerpt=excerpt,
            excerpt_es=_spanish(excerpt_es),
            image_alt=_capitalise(alt.format(subject=phrase.subject)),
            image_alt_es=_spanish(alt_es.format(subject=phrase.subject_es)),
        )

    def _unique_phrase(self, year: int) -> _Phrase:
        """A title not used before; after a few misses, a "(Part N)" of an existing one."""
        phrase = self._phrase(year)
        for _ in range(8):
            if phrase.title not in self.titles:
                break
            phrase = self._phrase(year)
        seen = self.titles.get(phrase.title, 0)
        self.titles[phrase.title] = seen + 1
        if seen == 0:
            return phrase
        return replace(
            phrase,
            title=f"{phrase.title} (Part {seen + 1})",
            title_es=f"{phrase.title_es} (parte {seen + 1})",
        )

    def _phrase(self, year: int) -> _Phrase:
        maker = self.rng.choices(_PHRASE_MAKERS, cum_weights=_PHRASE_CUM_WEIGHTS)[0]
        phrase = maker(self.rng, year)
        title, title_es = phrase.title, phrase.title_es
        if ":" not in title and self.rng.random() < TITLE_TAIL_SHARE:
            tail, tail_es = self.rng.choice(TITLE_TAILS)
            title, title_es = f"{title}: {tail}", f"{title_es}: {tail_es}"
        return _Phrase(
            title=_capitalise(title),
            title_es=_capitalise(_spanish(title_es)),
            summary=_capitalise(phrase.summary),
            summary_es=_capitalise(_spanish(phrase.summary_es)),
            subject=phrase.subject,
            subject_es=_spanish(phrase.subject_es),
        )

    # Rows

    def _post_row(
        self, post_id: int, copy: _Copy, schedule: _Schedule, body: _Body, group: str | None
    ) -> dict[str, Any]:
        rng = self.rng
        slug = self.slugs.claim(slugify(copy.title))
        has_image = rng.random() < IMAGE_SHARE
        has_meta = rng.random() < META_SHARE
        cross_posted = schedule.published_at is not None and rng.random() < CANONICAL_SHARE
        return {
            "id": post_id,
            "title": copy.title,
            "slug": slug,
            "excerpt": copy.excerpt,
            "body": body.markdown,
            "html": body.rendered.html,
            "status": schedule.status,
            "published_at": schedule.published_at,
            "level": _weighted_choice(rng, LEVEL_WEIGHTS),
            "reading_time": body.rendered.reading_time,
            "includes_code": body.rendered.includes_code,
            "featured": rng.random() < FEATURED_SHARE,
            "feature_image_url": f"{IMAGE_BASE_URL}/posts/{slug}.jpg" if has_image else None,
            "feature_image_alt": copy.image_alt if has_image else None,
            "language": "en",
            "translation_group": group,
            "canonical_url": f"{CANONICAL_BASE_URL}/{slug}" if cross_posted else None,
            "meta_title": f"{copy.title} | {BLOG_NAME}"[:300] if has_meta else None,
            "meta_description": _shorten(copy.excerpt, 160) if has_meta else None,
            "created_at": schedule.created_at,
            "updated_at": schedule.updated_at,
        }

    def _translation_row(
        self, post_id: int, english: dict[str, Any], copy: _Copy, body: _Body
    ) -> dict[str, Any]:
        """The Spanish version: published a few days after the English post, in the past."""
        rng = self.rng
        english_published: datetime = english["published_at"]
        created = english_published + timedelta(seconds=rng.randint(HOUR, 2 * DAY))
        published = created + timedelta(seconds=rng.randint(DAY, 8 * DAY))
        slug = self.slugs.claim(f"{english['slug']}-es")
        has_image = english["feature_image_url"] is not None
        has_meta = english["meta_title"] is not None
        return {
            **english,
            "id": post_id,
            "title": copy.title_es,
            "slug": slug,
            "excerpt": copy.excerpt_es,
            "body": body.markdown,
            "html": body.rendered.html,
            "published_at": published,
            "reading_time": body.rendered.reading_time,
            "includes_code": body.rendered.includes_code,
            "feature_image_alt": copy.image_alt_es if has_image else None,
            "language": "es",
            "canonical_url": None,
            "meta_title": f"{copy.title_es} | {BLOG_NAME}"[:300] if has_meta else None,
            "meta_description": _shorten(copy.excerpt_es, 160) if has_meta else None,
            "created_at": created,
            "updated_at": self._edited_after(published),
        }

    def _body_pool(
        self, size: int, write: Callable[[random.Random, int, bool], str]
    ) -> list[_Body]:
        """`size` distinct Markdown bodies, each rendered once and shared by many posts."""
        pool = []
        for _ in range(size):
            words = int(self.rng.triangular(120, 3300, 900))
            markdown = write(self.rng, words, self.rng.random() < CODE_SHARE)
            pool.append(_Body(markdown, render_body(markdown)))
        return pool


class _SlugRegistry:
    """Hands out unique slugs: "slug", then "slug-2", "slug-3", ..."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next_suffix: dict[str, int] = {}

    def claim(self, base: str) -> str:
        slug = base
        suffix = self.next_suffix.get(base, 2)
        while slug in self.taken:
            slug = f"{base}-{suffix}"
            suffix += 1
        self.next_suffix[base] = suffix
        self.taken.add(slug)
        return slug


# --- Titles --------------------------------------------------------------------------------------


def _scaled_to(rng: random.Random, _year: int) -> _Phrase:
    system, system_es = rng.choice(SYSTEMS)
    if rng.random() < 0.7:
        tenths = rng.randint(10, 499)
        rate = f"{tenths / 10:g} million"
        rate_es = f"{tenths / 10:g}".replace(".", ",") + (
            " millón" if tenths == 10 else " millones"
        )
    else:
        thousands = rng.randint(1, 9) * 100
        rate, rate_es = f"{thousands},000", f"{thousands}.000"
    return _Phrase(
        f"How we scaled {system} to {rate} requests per second",
        f"Cómo escalamos {system_es} a {rate_es} solicitudes por segundo",
        f"The story of how {system} grew to {rate} requests every second without a rewrite.",
        f"Cómo {system_es} llegó a atender {rate_es} solicitudes por segundo sin reescribir nada.",
        system,
        system_es,
    )


def _migrating(rng: random.Random, _year: int) -> _Phrase:
    system, system_es = rng.choice(SYSTEMS)
    platform, platform_es = rng.choice(PLATFORMS)
    return _Phrase(
        f"Lessons from migrating {system} to {platform}",
        f"Lecciones de la migración de {system_es} a {platform_es}",
        f"What we learned moving {system} to {platform}, from the first prototype to cutover.",
        f"Lo que aprendimos al llevar {system_es} a {platform_es}, del prototipo al cambio final.",
        system,
        system_es,
    )


def _building(rng: random.Random, _year: int) -> _Phrase:
    adjective, adjective_es = rng.choice(ADJECTIVES)
    thing, thing_es = rng.choice(THINGS)
    domain, domain_es = rng.choice(DOMAINS)
    article = "an" if adjective[0] in "aeiou" else "a"
    return _Phrase(
        f"Building {article} {adjective} {thing} for {domain}",
        f"Construyendo {thing_es} {adjective_es} para {domain_es}",
        f"Why {domain} needed {article} {adjective} {thing}, and the design choices we made.",
        f"Por qué necesitábamos {thing_es} {adjective_es} para {domain_es} "
        "y qué decisiones de diseño tomamos.",
        f"{article} {adjective} {thing}",
        f"{thing_es} {adjective_es}",
    )


def _lessons(rng: random.Random, _year: int) -> _Phrase:
    tech = rng.choice(TECHS)
    count, years = rng.randint(3, 12), rng.randint(2, 8)
    return _Phrase(
        f"{count} lessons from {years} years of running {tech} in production",
        f"{count} lecciones tras {years} años ejecutando {tech} en producción",
        f"After {years} years with {tech} in production, these are the {count} things "
        "we wish we had known on day one.",
        f"Tras {years} años con {tech} en producción, estas son las {count} cosas "
        "que nos habría gustado saber el primer día.",
        f"our {tech} clusters",
        f"nuestros clústeres de {tech}",
    )


def _cutting(rng: random.Random, _year: int) -> _Phrase:
    metric, metric_es = rng.choice(METRICS)
    technique, technique_es = rng.choice(TECHNIQUES)
    system, system_es = rng.choice(SYSTEMS)
    percent = rng.randint(10, 90)
    return _Phrase(
        f"Cutting {metric} by {percent}% with {technique}",
        f"Cómo redujimos {metric_es} un {percent} % con {technique_es}",
        f"With {technique}, we cut {metric} for {system} by {percent}%.",
        f"Con {technique_es} logramos una reducción del {percent} % en {metric_es} de {system_es}.",
        system,
        system_es,
    )


def _replaced(rng: random.Random, _year: int) -> _Phrase:
    old, new = rng.sample(rng.choice(TECH_GROUPS), 2)
    return _Phrase(
        f"Why we replaced {old} with {new}",
        f"Por qué reemplazamos {old} por {new}",
        f"Why we moved from {old} to {new}, and what the switch really cost us.",
        f"Por qué pasamos de {old} a {new} y lo que nos costó realmente el cambio.",
        f"our {new} deployment",
        f"nuestro despliegue de {new}",
    )


def _detecting(rng: random.Random, _year: int) -> _Phrase:
    problem, problem_es = rng.choice(PROBLEMS)
    technique, technique_es = rng.choice(ML_TECHNIQUES)
    return _Phrase(
        f"Detecting {problem} in real time with {technique}",
        f"Detección de {problem_es} en tiempo real con {technique_es}",
        f"How we use {technique} to catch {problem} within seconds instead of hours.",
        f"Cómo usamos {technique_es} para detectar {problem_es} en segundos y no en horas.",
        f"our {problem} detection pipeline",
        f"nuestro pipeline de detección de {problem_es}",
    )


def _zero_downtime(rng: random.Random, _year: int) -> _Phrase:
    system, system_es = rng.choice(SYSTEMS)
    return _Phrase(
        f"Zero-downtime migration of {system}",
        f"Migración sin interrupciones de {system_es}",
        f"How we moved {system} to new infrastructure while it kept serving traffic.",
        f"Cómo trasladamos {system_es} a una nueva infraestructura sin dejar de servir tráfico.",
        system,
        system_es,
    )


def _rethinking(rng: random.Random, _year: int) -> _Phrase:
    system, system_es = rng.choice(SYSTEMS)
    goal, goal_es = rng.choice(GOALS)
    return _Phrase(
        f"Rethinking {system} for {goal}",
        f"Repensando {system_es} para {goal_es}",
        f"How we adapted {system} for {goal} while keeping what already worked.",
        f"Cómo adaptamos {system_es} para {goal_es} conservando lo que ya funcionaba.",
        system,
        system_es,
    )


def _inside(rng: random.Random, _year: int) -> _Phrase:
    system, system_es = rng.choice(SYSTEMS)
    subtitle, subtitle_es = rng.choice(SUBTITLES)
    return _Phrase(
        f"Inside {system}: {subtitle}",
        f"Dentro de {system_es}: {subtitle_es}",
        f"An engineer's view of {system}, covering {subtitle}.",
        f"Una mirada de ingeniería a {system_es}: {subtitle_es}.",
        system,
        system_es,
    )


def _how_team(rng: random.Random, _year: int) -> _Phrase:
    team, team_es = rng.choice(TEAMS)
    achievement, achievement_es = rng.choice(ACHIEVEMENTS)
    system, system_es = rng.choice(SYSTEMS)
    return _Phrase(
        f"How {team} {achievement}",
        f"Cómo {team_es} {achievement_es}",
        f"{team} explains how it {achievement}, and what other teams can borrow.",
        f"{team_es} cuenta cómo {achievement_es} y qué pueden aprovechar otros equipos.",
        system,
        system_es,
    )


def _retrospective(rng: random.Random, year: int) -> _Phrase:
    topic, topic_es = rng.choice(RETROSPECTIVE_TOPICS)
    system, system_es = rng.choice(SYSTEMS)
    return _Phrase(
        f"Our {year} {topic} retrospective",
        f"Retrospectiva de {topic_es} de {year}",
        f"Looking back at {year} in {topic}: what shipped, what slipped and what comes next.",
        f"Un repaso a {year} en {topic_es}: qué salió, qué se retrasó y qué viene ahora.",
        system,
        system_es,
    )


def _guide(rng: random.Random, _year: int) -> _Phrase:
    tech = rng.choice(TECHS)
    audience, audience_es = rng.choice(AUDIENCES)
    return _Phrase(
        f"A practical guide to {tech} for {audience}",
        f"Guía práctica de {tech} para {audience_es}",
        f"An introduction to {tech} written for {audience}, with examples from our own stack.",
        f"Una introducción a {tech} pensada para {audience_es}, con ejemplos de nuestro día a día.",
        f"our {tech} setup",
        f"nuestra configuración de {tech}",
    )


def _scaling_domain(rng: random.Random, _year: int) -> _Phrase:
    domain, domain_es = rng.choice(DOMAINS)
    technique, technique_es = rng.choice(ML_TECHNIQUES)
    return _Phrase(
        f"Scaling {domain} with {technique}",
        f"Escalando {domain_es} con {technique_es}",
        f"How we used {technique} to scale {domain} as traffic kept growing.",
        f"Cómo usamos {technique_es} para escalar {domain_es} al ritmo del crecimiento.",
        f"the models behind {domain}",
        f"los modelos detrás de {domain_es}",
    )


_PHRASE_MAKERS: tuple[Callable[[random.Random, int], _Phrase], ...] = (
    _scaled_to,
    _migrating,
    _building,
    _lessons,
    _cutting,
    _replaced,
    _detecting,
    _zero_downtime,
    _rethinking,
    _inside,
    _how_team,
    _retrospective,
    _guide,
    _scaling_domain,
)
_PHRASE_WEIGHTS = (12, 8, 14, 8, 14, 6, 6, 3, 6, 6, 5, 2, 6, 4)
_PHRASE_CUM_WEIGHTS = tuple(sum(_PHRASE_WEIGHTS[: i + 1]) for i in range(len(_PHRASE_WEIGHTS)))


# --- Bodies --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Vocabulary:
    """The words one body is written with."""

    sentences: tuple[str, ...]
    headings: tuple[str, ...]
    closings: tuple[str, ...]
    bullets: tuple[str, ...]
    slots: dict[str, str]


def _english_body(rng: random.Random, words: int, with_code: bool) -> str:
    vocabulary = _Vocabulary(
        sentences=SENTENCES,
        headings=SECTION_HEADINGS,
        closings=CLOSING_HEADINGS,
        bullets=BULLETS,
        slots={
            "system": rng.choice(SYSTEMS)[0],
            "metric": rng.choice(METRICS)[0],
            "tech": rng.choice(TECHS),
            "technique": rng.choice(TECHNIQUES)[0],
            "team": rng.choice(TEAMS)[0],
        },
    )
    return _markdown(rng, vocabulary, words, with_code)


def _spanish_body(rng: random.Random, words: int, with_code: bool) -> str:
    vocabulary = _Vocabulary(
        sentences=ES_SENTENCES,
        headings=ES_SECTION_HEADINGS,
        closings=ES_CLOSING_HEADINGS,
        bullets=ES_BULLETS,
        slots={
            "system": rng.choice(SYSTEMS)[1],
            "metric": rng.choice(ES_METRICS),
            "tech": rng.choice(TECHS),
            "technique": rng.choice(TECHNIQUES)[1],
            "team": rng.choice(TEAMS)[1],
        },
    )
    return _spanish(_markdown(rng, vocabulary, words, with_code))


def _markdown(rng: random.Random, vocabulary: _Vocabulary, words: int, with_code: bool) -> str:
    """An intro, ## sections of paragraphs, lists and code, and a closing section."""
    blocks = [_paragraph(rng, vocabulary)]
    headings = rng.sample(vocabulary.headings, len(vocabulary.headings))
    code_blocks = 0
    while _word_count(blocks) < words - 80 and headings:
        blocks.append(f"## {headings.pop()}")
        for _ in range(rng.randint(1, 3)):
            blocks.append(_paragraph(rng, vocabulary))
        if rng.random() < 0.3:
            blocks.append(_bullet_list(rng, vocabulary))
        if with_code and (code_blocks == 0 or rng.random() < 0.2):
            blocks.append(_code_block(rng))
            code_blocks += 1
    while _word_count(blocks) < words - 80:
        blocks.append(_paragraph(rng, vocabulary))
    if with_code and code_blocks == 0:
        blocks.append(_code_block(rng))
    blocks.append(f"## {rng.choice(vocabulary.closings)}")
    blocks.append(_paragraph(rng, vocabulary))
    return "\n\n".join(blocks) + "\n"


def _paragraph(rng: random.Random, vocabulary: _Vocabulary) -> str:
    sentences = rng.sample(vocabulary.sentences, rng.randint(3, 6))
    return " ".join(_capitalise(_fill(rng, sentence, vocabulary.slots)) for sentence in sentences)


def _fill(rng: random.Random, sentence: str, slots: dict[str, str]) -> str:
    return sentence.format(**slots, percent=rng.randint(10, 80), number=rng.randint(5, 900))


def _bullet_list(rng: random.Random, vocabulary: _Vocabulary) -> str:
    items = rng.sample(vocabulary.bullets, rng.randint(3, 5))
    return "\n".join(f"- {item}" for item in items)


def _code_block(rng: random.Random) -> str:
    language, code = rng.choice(CODE_SNIPPETS)
    return f"```{language}\n{code}\n```"


def _word_count(blocks: Sequence[str]) -> int:
    return sum(len(block.split()) for block in blocks)


# --- Small helpers -------------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return moment.astimezone(UTC)


def _shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _capitalise(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


_SPANISH_CONTRACTIONS = ((re.compile(r"\bde el\b"), "del"), (re.compile(r"\ba el\b"), "al"))


def _spanish(phrase: str) -> str:
    """Apply the contractions "de el" -> "del" and "a el" -> "al"."""
    for pattern, contraction in _SPANISH_CONTRACTIONS:
        phrase = pattern.sub(contraction, phrase)
    return phrase


def _weighted_index(rng: random.Random, weights: Sequence[float]) -> int:
    return rng.choices(range(len(weights)), weights=weights)[0]


def _weighted_choice(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    return options[_weighted_index(rng, [weight for _, weight in options])][0]


def _weighted_sample(
    rng: random.Random, population: Sequence[int], weights: Sequence[float], count: int
) -> list[int]:
    """`count` distinct items, each drawn with probability proportional to its weight."""
    count = min(count, len(population))
    chosen: list[int] = []
    while len(chosen) < count:
        item = rng.choices(population, weights=weights)[0]
        if item not in chosen:
            chosen.append(item)
    return chosen


# --- Writing -------------------------------------------------------------------------------------


class _Writer:
    """Buffers post and link rows and inserts them in executemany batches."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.posts: list[dict[str, Any]] = []
        self.post_authors: list[dict[str, Any]] = []
        self.post_tags: list[dict[str, Any]] = []
        self.posts_written = 0

    async def add(self, row: dict[str, Any], author_ids: list[int], tag_ids: list[int]) -> None:
        post_id = row["id"]
        self.posts.append(row)
        self.post_authors.extend(
            {"post_id": post_id, "author_id": author_id, "position": position}
            for position, author_id in enumerate(author_ids)
        )
        self.post_tags.extend(
            {"post_id": post_id, "tag_id": tag_id, "position": position}
            for position, tag_id in enumerate(tag_ids)
        )
        if len(self.posts) >= BATCH_SIZE:
            await self.flush()

    async def flush(self) -> None:
        """Posts first, so the links' foreign keys are satisfied."""
        if self.posts:
            await self.conn.execute(insert(Post), self.posts)
            self.posts_written += len(self.posts)
        if self.post_authors:
            await self.conn.execute(insert(PostAuthor), self.post_authors)
        if self.post_tags:
            await self.conn.execute(insert(PostTag), self.post_tags)
        self.posts, self.post_authors, self.post_tags = [], [], []


async def _reset_sequences(conn: AsyncConnection) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the largest id."""
    for table in ("posts", "authors", "tags"):
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
        )
