"""De-duplication within and across departmental sources, and resident clusters.

1. ``pred_dedupe`` (see ``predict.predict_dedupe``) scores departmental record
   pairs within and across sources.
2. ``edges``: pairs at or above the dedupe threshold, minus pairs whose two
   records are provisionally seeded to *different* KYR residents (KYR says they
   are two people).
3. ``dedupe_clusters``: Splink connected components over those edges - used by
   the seeding conflict rule.
4. ``residents``: connected components over the dedupe edges plus the final
   seeding links (record -> KYR resident); ``resident_id`` = Splink cluster id.
"""

from __future__ import annotations

from matching.inputs import KYR
from matching.settings import MatchSettings


def _node(source_expr: str, id_expr: str) -> str:
    return f"({source_expr} || '|' || {id_expr})"


def build_edges(con, settings: MatchSettings, prov_tables: list[str]) -> str:
    """Table ``dedupe_edges`` (node_id_l, node_id_r, match_probability)."""
    prov_union = " UNION ALL ".join(
        f"SELECT source, source_record_id, candidate_uid_token FROM {t} "
        f"WHERE match_status = 'seeded'" for t in prov_tables
    ) or ("SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS source_record_id, "
          "NULL::VARCHAR AS candidate_uid_token WHERE false")
    con.execute(f"""
        CREATE OR REPLACE TABLE dedupe_edges AS
        WITH prov AS ({prov_union})
        SELECT {_node('e.source_l', 'e.record_l')} AS node_id_l,
               {_node('e.source_r', 'e.record_r')} AS node_id_r,
               e.match_probability
        FROM pred_dedupe e
        LEFT JOIN prov pl ON pl.source = e.source_l AND pl.source_record_id = e.record_l
        LEFT JOIN prov pr ON pr.source = e.source_r AND pr.source_record_id = e.record_r
        WHERE e.match_probability >= {settings.dedupe.threshold}
          AND NOT coalesce(pl.candidate_uid_token <> pr.candidate_uid_token, false)
    """)
    return "dedupe_edges"


def _cluster(con, settings: MatchSettings, nodes_sql: str, edges_sql: str, out: str) -> str:
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    from matching.train import make_db_api

    con.execute(f"CREATE OR REPLACE TABLE _cl_nodes AS {nodes_sql}")
    con.execute(f"CREATE OR REPLACE TABLE _cl_edges AS {edges_sql}")
    db_api = make_db_api(con, settings)
    nodes = db_api.register("_cl_nodes", table_name=f"{out}_nodes")
    edges = db_api.register("_cl_edges", table_name=f"{out}_edges")
    cc = cluster_pairwise_predictions_at_threshold(
        nodes, edges, db_api=db_api, node_id_column_name="node_id",
        edge_id_column_name_left="node_id_l", edge_id_column_name_right="node_id_r",
        threshold_match_probability=None,
    )
    con.execute(f"""
        CREATE OR REPLACE TABLE {out} AS
        SELECT split_part(node_id, '|', 1) AS source,
               substr(node_id, length(split_part(node_id, '|', 1)) + 2) AS record_id,
               CAST(cluster_id AS VARCHAR) AS cluster_id
        FROM {cc.physical_name}
    """)
    cc.drop_table_from_database_and_remove_from_cache()
    con.execute("DROP TABLE IF EXISTS _cl_nodes; DROP TABLE IF EXISTS _cl_edges")
    return out


def dedupe_clusters(con, settings: MatchSettings, dept_tables: list) -> str:
    """Table ``dedupe_clusters`` (source, record_id, dedupe_cluster) over departments."""
    nodes = " UNION ALL ".join(
        f"SELECT {_node(repr(f.feed), 'unique_id')} AS node_id FROM {f.table}"
        for f in dept_tables
    )
    _cluster(con, settings, nodes, "SELECT * FROM dedupe_edges", "_dedupe_cc")
    con.execute("""
        CREATE OR REPLACE TABLE dedupe_clusters AS
        SELECT source, record_id, cluster_id AS dedupe_cluster FROM _dedupe_cc
    """)
    con.execute("DROP TABLE _dedupe_cc")
    return "dedupe_clusters"


def resident_clusters(con, settings: MatchSettings, kyr, linked_tables: list,
                      seed_tables: list[str]) -> str:
    """Table ``residents`` (source, record_id, resident_id) for every record and KYR row."""
    nodes = " UNION ALL ".join(
        [f"SELECT {_node(repr(KYR), 'unique_id')} AS node_id FROM {kyr.table}"]
        + [f"SELECT {_node(repr(f.feed), 'unique_id')} AS node_id FROM {f.table}"
           for f in linked_tables]
    )
    seed_edges = " UNION ALL ".join(
        f"SELECT {_node('source', 'source_record_id')} AS node_id_l, "
        f"{_node(repr(KYR), 'uid_token')} AS node_id_r, 1.0 AS match_probability "
        f"FROM {t} WHERE match_status = 'seeded'" for t in seed_tables
    )
    edges = "SELECT node_id_l, node_id_r, 1.0 AS match_probability FROM dedupe_edges"
    if seed_edges:
        edges += " UNION ALL " + seed_edges
    _cluster(con, settings, nodes, edges, "_res_cc")
    con.execute("""
        CREATE OR REPLACE TABLE residents AS
        SELECT source, record_id, cluster_id AS resident_id FROM _res_cc
    """)
    con.execute("DROP TABLE _res_cc")
    return "residents"


def within_source_duplicates(con) -> str:
    """Table ``duplicates``: records sharing a resident with another record of the
    same source (source, source_record_id, duplicate_group, resident_id)."""
    con.execute(f"""
        CREATE OR REPLACE TABLE duplicates AS
        WITH g AS (
            SELECT source, record_id, resident_id,
                   count(*) OVER (PARTITION BY source, resident_id) AS n
            FROM residents WHERE source <> '{KYR}'
        )
        SELECT source, record_id AS source_record_id,
               source || '-' || CAST(dense_rank() OVER (PARTITION BY source
                                      ORDER BY resident_id) AS VARCHAR) AS duplicate_group,
               resident_id
        FROM g WHERE n > 1
    """)
    return "duplicates"
