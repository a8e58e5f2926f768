//! The queue's counts, kept by triggers (migration 000013) instead of counted on every page: folded
//! totals per bucket in `queue_counts`, plus the +1 / -1 deltas appended since the last fold.

use crate::domain::ids::StaffId;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::AnyConnection;

/// Open requests in one bucket: the same state, right, place, procedure and assignee.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct OpenBucket {
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Text)]
    pub request_type: String,
    #[diesel(sql_type = Text)]
    pub jurisdiction: String,
    #[diesel(sql_type = Text)]
    pub workflow_id: String,
    /// `None`: nobody is assigned.
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub assigned_to: Option<StaffId>,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Every non-empty bucket of open requests. One statement, so it sees the totals and the deltas of
/// the same moment (a fold moves deltas into totals in one transaction). Costs the number of buckets
/// plus the deltas since the last fold, not the number of requests.
pub fn open_buckets(conn: &mut AnyConnection) -> QueryResult<Vec<OpenBucket>> {
    diesel::sql_query(
        "SELECT state, request_type, jurisdiction, workflow_id, NULLIF(assigned_to, '') AS assigned_to, \
           CAST(SUM(n) AS BIGINT) AS n \
         FROM (SELECT state, request_type, jurisdiction, workflow_id, assigned_to, n FROM queue_counts \
               UNION ALL \
               SELECT state, request_type, jurisdiction, workflow_id, assigned_to, n FROM queue_count_deltas) b \
         GROUP BY state, request_type, jurisdiction, workflow_id, assigned_to \
         HAVING SUM(n) <> 0",
    )
    .load(conn)
}

/// Folds the appended deltas into the totals and drops empty buckets. On PostgreSQL the deltas are
/// deleted and summed in one statement (a delta committed meanwhile is either moved or left for
/// next time, never lost), and one folder runs at a time (an advisory lock; the others skip). On
/// SQLite the transaction holds the only write lock, so nothing is appended between the two
/// statements. Returns how many buckets changed.
pub fn fold(conn: &mut AnyConnection) -> QueryResult<usize> {
    #[derive(QueryableByName)]
    struct Pending {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        pending: bool,
    }
    // Most rounds find nothing to fold: look before taking SQLite's write lock.
    let look: Pending =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM queue_count_deltas) AS pending")
            .get_result(conn)?;
    if !look.pending {
        return Ok(0);
    }
    super::write_tx(conn, |conn| match conn {
        AnyConnection::Postgresql(_) => {
            #[derive(QueryableByName)]
            struct Locked {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                locked: bool,
            }
            let got: Locked = diesel::sql_query(
                "SELECT pg_try_advisory_xact_lock(hashtext('kaiji.queue_counts')::bigint) AS locked",
            )
            .get_result(conn)?;
            if !got.locked {
                return Ok(0);
            }
            let n = diesel::sql_query(
                "WITH moved AS (DELETE FROM queue_count_deltas \
                   RETURNING state, request_type, jurisdiction, workflow_id, assigned_to, n) \
                 INSERT INTO queue_counts (state, request_type, jurisdiction, workflow_id, assigned_to, n) \
                 SELECT state, request_type, jurisdiction, workflow_id, assigned_to, SUM(n) FROM moved \
                 GROUP BY state, request_type, jurisdiction, workflow_id, assigned_to \
                 ON CONFLICT (state, request_type, jurisdiction, workflow_id, assigned_to) \
                 DO UPDATE SET n = queue_counts.n + EXCLUDED.n",
            )
            .execute(conn)?;
            diesel::sql_query("DELETE FROM queue_counts WHERE n = 0").execute(conn)?;
            Ok(n)
        }
        AnyConnection::Sqlite(_) => {
            let n = diesel::sql_query(
                "INSERT INTO queue_counts (state, request_type, jurisdiction, workflow_id, assigned_to, n) \
                 SELECT state, request_type, jurisdiction, workflow_id, assigned_to, SUM(n) \
                 FROM queue_count_deltas WHERE true \
                 GROUP BY state, request_type, jurisdiction, workflow_id, assigned_to \
                 ON CONFLICT (state, request_type, jurisdiction, workflow_id, assigned_to) \
                 DO UPDATE SET n = queue_counts.n + excluded.n",
            )
            .execute(conn)?;
            diesel::sql_query("DELETE FROM queue_count_deltas").execute(conn)?;
            diesel::sql_query("DELETE FROM queue_counts WHERE n = 0").execute(conn)?;
            Ok(n)
        }
    })
}
