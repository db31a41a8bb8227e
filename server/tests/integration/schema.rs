//! The migrations build the schema of ../shared/spec/database-schema.txt, checked column by
//! column through information_schema, and a second run changes nothing.

use std::{borrow::Cow, collections::BTreeSet};

use crate::support::TestDatabase;
use app::backend::MIGRATOR;
use sqlx::{migrate::Migrator, PgPool};

/// (table, column, data_type, character_maximum_length, nullable, default contains)
type Column = (
    &'static str,
    &'static str,
    &'static str,
    Option<i32>,
    bool,
    Option<&'static str>,
);
const COLUMNS: &[Column] = &[
    (
        "users",
        "id",
        "uuid",
        None,
        false,
        Some("gen_random_uuid()"),
    ),
    (
        "users",
        "username",
        "character varying",
        Some(32),
        false,
        None,
    ),
    (
        "users",
        "email",
        "character varying",
        Some(255),
        false,
        None,
    ),
    ("users", "password_hash", "text", None, true, None),
    (
        "users",
        "display_name",
        "character varying",
        Some(50),
        true,
        None,
    ),
    ("users", "bio", "character varying", Some(160), true, None),
    ("users", "avatar_url", "text", None, true, None),
    ("users", "header_url", "text", None, true, None),
    ("users", "custom_css", "text", None, true, None),
    (
        "users",
        "created_at",
        "timestamp with time zone",
        None,
        false,
        Some("now()"),
    ),
    (
        "users",
        "updated_at",
        "timestamp with time zone",
        None,
        false,
        Some("now()"),
    ),
    ("users", "ap_id", "text", None, true, None),
    ("users", "inbox_url", "text", None, true, None),
    ("users", "is_remote", "boolean", None, false, Some("false")),
    (
        "thoughts",
        "id",
        "uuid",
        None,
        false,
        Some("gen_random_uuid()"),
    ),
    ("thoughts", "user_id", "uuid", None, false, None),
    ("thoughts", "content", "text", None, false, None),
    ("thoughts", "reply_to", "uuid", None, true, None),
    (
        "thoughts",
        "visibility",
        "text",
        None,
        false,
        Some("'public'"),
    ),
    ("thoughts", "ap_id", "text", None, true, None),
    (
        "thoughts",
        "created_at",
        "timestamp with time zone",
        None,
        false,
        Some("now()"),
    ),
    ("follows", "follower_id", "uuid", None, false, None),
    ("follows", "following_id", "uuid", None, false, None),
    ("follows", "state", "text", None, false, None),
    ("top_friends", "user_id", "uuid", None, false, None),
    ("top_friends", "friend_id", "uuid", None, false, None),
    ("top_friends", "position", "smallint", None, false, None),
    ("tags", "id", "integer", None, false, Some("nextval(")),
    ("tags", "name", "character varying", Some(50), false, None),
    ("thought_tags", "thought_id", "uuid", None, false, None),
    ("thought_tags", "tag_id", "integer", None, false, None),
    (
        "api_keys",
        "id",
        "uuid",
        None,
        false,
        Some("gen_random_uuid()"),
    ),
    ("api_keys", "user_id", "uuid", None, false, None),
    ("api_keys", "key_hash", "text", None, false, None),
    (
        "api_keys",
        "name",
        "character varying",
        Some(50),
        false,
        None,
    ),
    (
        "api_keys",
        "created_at",
        "timestamp with time zone",
        None,
        false,
        Some("now()"),
    ),
    ("likes", "user_id", "uuid", None, false, None),
    ("likes", "thought_id", "uuid", None, false, None),
    (
        "likes",
        "created_at",
        "timestamp with time zone",
        None,
        false,
        Some("now()"),
    ),
    ("boosts", "user_id", "uuid", None, false, None),
    ("boosts", "thought_id", "uuid", None, false, None),
    (
        "boosts",
        "created_at",
        "timestamp with time zone",
        None,
        false,
        Some("now()"),
    ),
    ("blocks", "blocker_id", "uuid", None, false, None),
    ("blocks", "blocked_id", "uuid", None, false, None),
    (
        "blocks",
        "created_at",
        "timestamp with time zone",
        None,
        false,
        Some("now()"),
    ),
    (
        "notifications",
        "id",
        "uuid",
        None,
        false,
        Some("gen_random_uuid()"),
    ),
    ("notifications", "user_id", "uuid", None, false, None),
    ("notifications", "type", "text", None, false, None),
    ("notifications", "actor_id", "uuid", None, true, None),
    ("notifications", "thought_id", "uuid", None, true, None),
    (
        "notifications",
        "read",
        "boolean",
        None,
        false,
        Some("false"),
    ),
    (
        "notifications",
        "created_at",
        "timestamp with time zone",
        None,
        false,
        Some("now()"),
    ),
    (
        "remote_actors",
        "id",
        "uuid",
        None,
        false,
        Some("gen_random_uuid()"),
    ),
    ("remote_actors", "ap_url", "text", None, false, None),
    ("remote_actors", "username", "text", None, false, None),
    ("remote_actors", "display_name", "text", None, true, None),
    ("remote_actors", "avatar_url", "text", None, true, None),
    ("remote_actors", "inbox_url", "text", None, false, None),
    (
        "remote_actors",
        "fetched_at",
        "timestamp with time zone",
        None,
        false,
        Some("now()"),
    ),
];

/// (table, columns) of every primary key.
const PRIMARY_KEYS: &[(&str, &[&str])] = &[
    ("users", &["id"]),
    ("thoughts", &["id"]),
    ("follows", &["follower_id", "following_id"]),
    ("top_friends", &["user_id", "friend_id"]),
    ("tags", &["id"]),
    ("thought_tags", &["thought_id", "tag_id"]),
    ("api_keys", &["id"]),
    ("likes", &["user_id", "thought_id"]),
    ("boosts", &["user_id", "thought_id"]),
    ("blocks", &["blocker_id", "blocked_id"]),
    ("notifications", &["id"]),
    ("remote_actors", &["id"]),
];

/// (table, columns) of the UNIQUE constraints the spec names.
const UNIQUES: &[(&str, &[&str])] = &[
    ("users", &["username"]),
    ("users", &["email"]),
    ("users", &["ap_id"]),
    ("thoughts", &["ap_id"]),
    ("top_friends", &["user_id", "position"]),
    ("tags", &["name"]),
    ("api_keys", &["key_hash"]),
    ("remote_actors", &["ap_url"]),
];

/// (table, column, referenced table, ON DELETE rule)
const FOREIGN_KEYS: &[(&str, &str, &str, &str)] = &[
    ("thoughts", "user_id", "users", "CASCADE"),
    ("thoughts", "reply_to", "thoughts", "SET NULL"),
    ("follows", "follower_id", "users", "CASCADE"),
    ("follows", "following_id", "users", "CASCADE"),
    ("top_friends", "user_id", "users", "CASCADE"),
    ("top_friends", "friend_id", "users", "CASCADE"),
    ("thought_tags", "thought_id", "thoughts", "CASCADE"),
    ("thought_tags", "tag_id", "tags", "CASCADE"),
    ("api_keys", "user_id", "users", "CASCADE"),
    ("likes", "user_id", "users", "CASCADE"),
    ("likes", "thought_id", "thoughts", "CASCADE"),
    ("boosts", "user_id", "users", "CASCADE"),
    ("boosts", "thought_id", "thoughts", "CASCADE"),
    ("blocks", "blocker_id", "users", "NO ACTION"),
    ("blocks", "blocked_id", "users", "NO ACTION"),
    ("notifications", "user_id", "users", "NO ACTION"),
    ("notifications", "actor_id", "users", "CASCADE"),
    ("notifications", "thought_id", "thoughts", "CASCADE"),
    (
        "remote_actor_connections",
        "remote_actor_id",
        "remote_actors",
        "CASCADE",
    ),
];

const MIGRATION_FILES: [&str; 10] = [
    "001_initial_schema.sql",
    "002_federation_columns.sql",
    "003_new_tables.sql",
    "004_search_indexes.sql",
    "005_federation_tables.sql",
    "006_remote_actor_connections.sql",
    "007_content_text.sql",
    "008_rename_notifications_type.sql",
    "009_failed_events.sql",
    "010_fix_reply_fk_on_delete.sql",
];

#[test]
fn the_seed_migrations_have_the_spec_file_names() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let files: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    for name in MIGRATION_FILES {
        assert!(files.contains(name), "missing migrations/{name}");
    }
    let embedded: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    assert_eq!(&embedded[..10], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
}

#[tokio::test]
async fn the_seed_migrations_build_the_spec_schema() {
    let db = TestDatabase::empty().await;
    // Exactly 001..010: the spec describes the schema they leave; later files build on it.
    let seed = Migrator {
        migrations: Cow::Owned(
            MIGRATOR
                .iter()
                .filter(|m| m.version <= 10)
                .cloned()
                .collect(),
        ),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    seed.run(&db.pool)
        .await
        .expect("the seed migrations apply to an empty database");
    check_columns(&db.pool).await;
    check_keys(&db.pool).await;
    check_trigram_indexes(&db.pool).await;
}

#[tokio::test]
async fn all_migrations_apply_and_rerunning_changes_nothing() {
    let db = TestDatabase::empty().await;
    MIGRATOR
        .run(&db.pool)
        .await
        .expect("migrations apply to an empty database");
    let first = schema_snapshot(&db.pool).await;
    MIGRATOR.run(&db.pool).await.expect("a second run succeeds");
    assert_eq!(
        schema_snapshot(&db.pool).await,
        first,
        "a second run changed the schema"
    );
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(applied as usize, MIGRATOR.iter().count());
}

async fn check_columns(pool: &PgPool) {
    for &(table, column, data_type, max_len, nullable, default) in COLUMNS {
        let row: Option<(String, Option<i32>, String, Option<String>)> = sqlx::query_as(
            "SELECT data_type, character_maximum_length, is_nullable, column_default
               FROM information_schema.columns
              WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2",
        )
        .bind(table)
        .bind(column)
        .fetch_optional(pool)
        .await
        .unwrap();
        let (actual_type, actual_len, is_nullable, actual_default) =
            row.unwrap_or_else(|| panic!("{table}.{column} is missing"));
        assert_eq!(actual_type, data_type, "{table}.{column} type");
        assert_eq!(actual_len, max_len, "{table}.{column} length");
        assert_eq!(
            is_nullable == "YES",
            nullable,
            "{table}.{column} nullability"
        );
        if let Some(expected) = default {
            let actual = actual_default.unwrap_or_default();
            assert!(
                actual.contains(expected),
                "{table}.{column} default is {actual:?}, expected {expected}"
            );
        }
    }
    // The spec's tables, and no column the spec renamed away.
    let tables: BTreeSet<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    for table in [
        "users",
        "thoughts",
        "follows",
        "top_friends",
        "tags",
        "thought_tags",
        "api_keys",
        "likes",
        "boosts",
        "blocks",
        "notifications",
        "remote_actors",
        "remote_actor_connections",
        "failed_events",
    ] {
        assert!(tables.contains(table), "table {table} is missing");
    }
    let renamed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'notifications' AND column_name = 'notification_type'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        renamed, 0,
        "008 renames notifications.notification_type to type"
    );
}

/// Constraint columns per (table, constraint type), as sorted column lists.
async fn constraints(pool: &PgPool, kind: &str) -> BTreeSet<(String, Vec<String>)> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT tc.table_name::text, tc.constraint_name::text, kcu.column_name::text
           FROM information_schema.table_constraints tc
           JOIN information_schema.key_column_usage kcu
             ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
          WHERE tc.table_schema = 'public' AND tc.constraint_type = $1
          ORDER BY tc.table_name, tc.constraint_name, kcu.ordinal_position",
    )
    .bind(kind)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut grouped: std::collections::BTreeMap<(String, String), Vec<String>> = Default::default();
    for (table, name, column) in rows {
        grouped.entry((table, name)).or_default().push(column);
    }
    grouped
        .into_iter()
        .map(|((table, _), columns)| (table, columns))
        .collect()
}

async fn check_keys(pool: &PgPool) {
    let primary = constraints(pool, "PRIMARY KEY").await;
    for (table, columns) in PRIMARY_KEYS {
        let expected = (
            table.to_string(),
            columns.iter().map(|c| c.to_string()).collect(),
        );
        assert!(
            primary.contains(&expected),
            "primary key {table}{columns:?} is missing; have {primary:?}"
        );
    }
    let unique = constraints(pool, "UNIQUE").await;
    for (table, columns) in UNIQUES {
        let expected = (
            table.to_string(),
            columns.iter().map(|c| c.to_string()).collect(),
        );
        assert!(
            unique.contains(&expected),
            "unique {table}{columns:?} is missing; have {unique:?}"
        );
    }
    let foreign: BTreeSet<(String, String, String, String)> = sqlx::query_as(
        "SELECT kcu.table_name::text, kcu.column_name::text, ccu.table_name::text, rc.delete_rule::text
           FROM information_schema.referential_constraints rc
           JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name
           JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = rc.unique_constraint_name
          WHERE rc.constraint_schema = 'public'",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    for &(table, column, target, rule) in FOREIGN_KEYS {
        let expected = (table.into(), column.into(), target.into(), rule.into());
        assert!(
            foreign.contains(&expected),
            "foreign key {expected:?} is missing; have {foreign:?}"
        );
    }
}

async fn check_trigram_indexes(pool: &PgPool) {
    let indexed: BTreeSet<(String, String)> = sqlx::query_as(
        "SELECT tablename::text, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE '%gin_trgm_ops%'",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    for (table, column) in [
        ("users", "username"),
        ("users", "display_name"),
        ("thoughts", "content"),
        ("tags", "name"),
    ] {
        assert!(
            indexed
                .iter()
                .any(|(t, def)| t == table && def.contains(&format!("({column} gin_trgm_ops)"))),
            "no trigram index on {table}.{column}; have {indexed:?}"
        );
    }
}

/// Everything a migration could change, as text, for comparing two runs.
async fn schema_snapshot(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT format('column %s.%s %s %s %s', table_name, column_name, data_type, is_nullable, column_default)
           FROM information_schema.columns WHERE table_schema = 'public'
         UNION ALL
         SELECT format('constraint %s %s', conrelid::regclass, pg_get_constraintdef(oid))
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace
         UNION ALL
         SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = 'public'
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn checks_refuse_values_outside_the_spec() {
    let db = TestDatabase::new().await;
    let pool = &db.pool;
    let ana = crate::support::insert_user(pool, "ana").await;
    let bo = crate::support::insert_user(pool, "bo").await;

    let bad_visibility = sqlx::query(
        "INSERT INTO thoughts (user_id, content, visibility) VALUES ($1, 'x', 'everyone')",
    )
    .bind(ana)
    .execute(pool)
    .await;
    assert_check_violation(bad_visibility, "visibility");

    let bad_state = sqlx::query(
        "INSERT INTO follows (follower_id, following_id, state) VALUES ($1, $2, 'maybe')",
    )
    .bind(ana)
    .bind(bo)
    .execute(pool)
    .await;
    assert_check_violation(bad_state, "follow state");

    for position in [0i16, 6] {
        let bad_position = sqlx::query(
            "INSERT INTO top_friends (user_id, friend_id, position) VALUES ($1, $2, $3)",
        )
        .bind(ana)
        .bind(bo)
        .bind(position)
        .execute(pool)
        .await;
        assert_check_violation(bad_position, "top friend position");
    }
    for position in 1i16..=5 {
        let friend = crate::support::insert_user(pool, &format!("friend{position}")).await;
        sqlx::query("INSERT INTO top_friends (user_id, friend_id, position) VALUES ($1, $2, $3)")
            .bind(ana)
            .bind(friend)
            .bind(position)
            .execute(pool)
            .await
            .unwrap();
    }
    let taken_position =
        sqlx::query("INSERT INTO top_friends (user_id, friend_id, position) VALUES ($1, $2, 3)")
            .bind(ana)
            .bind(bo)
            .execute(pool)
            .await;
    let error = taken_position.expect_err("a position is held by one friend");
    assert!(
        error
            .as_database_error()
            .is_some_and(|e| e.is_unique_violation()),
        "{error}"
    );
}

#[tokio::test]
async fn deleting_a_thought_keeps_its_replies() {
    let db = TestDatabase::new().await;
    let ana = crate::support::insert_user(&db.pool, "ana").await;
    let now = chrono::Utc::now();
    let parent = crate::support::insert_thought(&db.pool, ana, "parent", "public", now).await;
    let reply: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO thoughts (user_id, content, reply_to) VALUES ($1, 'reply', $2) RETURNING id",
    )
    .bind(ana)
    .bind(parent)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM thoughts WHERE id = $1")
        .bind(parent)
        .execute(&db.pool)
        .await
        .unwrap();
    let reply_to: Option<Option<uuid::Uuid>> =
        sqlx::query_scalar("SELECT reply_to FROM thoughts WHERE id = $1")
            .bind(reply)
            .fetch_optional(&db.pool)
            .await
            .unwrap();
    assert_eq!(reply_to, Some(None), "the reply stays, unlinked");
}

fn assert_check_violation(result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>, what: &str) {
    let error = result.expect_err(what);
    let code = error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert_eq!(
        code.as_deref(),
        Some("23514"),
        "{what}: expected a CHECK violation, got {error}"
    );
}
