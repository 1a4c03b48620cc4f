"""Development tools the tests and the benches share: a run's own namespace on real engines (a
PostgreSQL database, an OpenSearch alias, Kafka topics and groups under a prefix), made and
removed. Never used by the product itself."""
from __future__ import annotations


def admin_sql(postgres_url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE / DROP DATABASE) on a maintenance database."""
    from sqlalchemy import create_engine

    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def drop_index(opensearch_url: str, alias: str, timeout: float = 30) -> None:
    """The indices behind ``alias`` and any half-built ``<alias>-*`` one."""
    from afterclasses_search.adapters.opensearch import OpenSearchIndex

    index = OpenSearchIndex(opensearch_url, alias, create=False, timeout=timeout)
    try:
        index.drop()
    finally:
        index.close()


def drop_kafka_namespace(bootstrap: str, prefix: str, timeout_ms: int = 10_000) -> None:
    """Every topic and consumer group whose name starts with ``prefix``."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=[bootstrap], request_timeout_ms=timeout_ms)
    try:
        topics = [t for t in admin.list_topics() if t.startswith(prefix)]
        if topics:
            admin.delete_topics(topics, timeout_ms=timeout_ms)
        groups = [g["group_id"] for g in admin.list_groups() if g["group_id"].startswith(prefix)]
        if groups:
            admin.delete_groups(groups)
    finally:
        admin.close()
