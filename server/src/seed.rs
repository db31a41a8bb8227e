//! `server seed`: fills a database with a realistic graph for benchmarks: users, a year of
//! thoughts, a skewed follow graph (a few accounts with thousands of followers), likes,
//! boosts and tags. Generated inside PostgreSQL, so a million thoughts take a minute or two.

use std::time::Instant;

use anyhow::{bail, Context};
use sqlx::PgPool;

#[derive(Debug, Clone, clap::Args)]
pub struct SeedOptions {
    /// Accounts to create (user1 … userN).
    #[arg(long, default_value_t = 10_000)]
    pub users: i32,
    /// Thoughts, spread over the past year.
    #[arg(long, default_value_t = 1_000_000)]
    pub thoughts: i32,
    /// Follows per account on average; targets are skewed toward low-numbered accounts.
    #[arg(long, default_value_t = 150)]
    pub follows: i32,
    /// Likes in all.
    #[arg(long, default_value_t = 2_000_000)]
    pub likes: i32,
    /// Boosts in all.
    #[arg(long, default_value_t = 200_000)]
    pub boosts: i32,
    /// Distinct tags.
    #[arg(long, default_value_t = 500)]
    pub tags: i32,
}

pub async fn seed(pool: &PgPool, options: &SeedOptions) -> anyhow::Result<()> {
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(pool).await?;
    if existing > 0 {
        bail!("the database already has {existing} users; seed an empty one (a new DATA_DIR or database)");
    }
    let steps: [(&str, String); 9] = [
        ("users", format!(
            "INSERT INTO users (username, email, display_name, bio, created_at)
             SELECT 'user' || n, 'user' || n || '@seed.example', 'User ' || n, 'Seeded account number ' || n,
                    now() - interval '400 days' + n * interval '1 second'
               FROM generate_series(1, {users}) n",
            users = options.users
        )),
        ("numbering", "CREATE TEMP TABLE seed_users AS
             SELECT substring(username from 5)::int AS n, id FROM users WHERE username ~ '^user[0-9]+$';
             CREATE UNIQUE INDEX ON seed_users (n)".into()),
        ("follows", format!(
            "INSERT INTO follows (follower_id, following_id, state, created_at)
             SELECT a.id, b.id, 'accepted', now() - random() * interval '365 days'
               FROM seed_users a
               -- A third of the picks favour low-numbered accounts (the popular ones), the rest are uniform.
               CROSS JOIN LATERAL (SELECT DISTINCT 1 + floor(CASE WHEN random() < 0.33 THEN power(random(), 3)
                                                                  ELSE random() END * {users})::int AS target
                                     -- `+ a.n * 0` ties the count to the row, so it is drawn per account.
                                     FROM generate_series(1, 1 + floor(random() * {twice})::int + a.n * 0)) pick
               JOIN seed_users b ON b.n = pick.target
              WHERE b.id <> a.id
             ON CONFLICT DO NOTHING",
            users = options.users,
            twice = options.follows * 2
        )),
        ("tags", format!("INSERT INTO tags (name) SELECT 'tag' || n FROM generate_series(0, {} - 1) n", options.tags)),
        ("thoughts", format!(
            "INSERT INTO thoughts (user_id, content, visibility, created_at)
             SELECT u.id,
                    'Thought ' || g || ' on #tag' || (g % {tags}) || ' ' || left(md5(g::text), 12),
                    CASE WHEN g % 50 = 0 THEN 'private' WHEN g % 10 = 0 THEN 'followers' ELSE 'public' END,
                    now() - random() * interval '365 days'
               FROM generate_series(1, {thoughts}) g
               JOIN seed_users u ON u.n = 1 + (g::bigint * 7919) % {users}",
            tags = options.tags,
            thoughts = options.thoughts,
            users = options.users
        )),
        ("thought tags", "INSERT INTO thought_tags (thought_id, tag_id, created_at)
             SELECT t.id, g.id, t.created_at FROM thoughts t JOIN tags g ON g.name = substring(t.content from '#(tag[0-9]+)')".into()),
        ("likes", reactions("likes", options.likes, options.users)),
        ("boosts", reactions("boosts", options.boosts, options.users)),
        ("statistics", "ANALYZE users, follows, thoughts, thought_tags, tags, likes, boosts".into()),
    ];
    // All or nothing: a failed seed leaves the database empty, ready for another try.
    let mut transaction = pool.begin().await?;
    for (name, sql) in steps {
        let started = Instant::now();
        sqlx::raw_sql(&sql).execute(&mut *transaction).await.with_context(|| format!("seeding {name}"))?;
        println!("seeded {name} in {:.1} s", started.elapsed().as_secs_f64());
    }
    transaction.commit().await?;
    Ok(())
}

/// `count` random (user, public thought) pairs for `table` (likes or boosts).
fn reactions(table: &str, count: i32, users: i32) -> String {
    format!(
        "CREATE TEMP TABLE IF NOT EXISTS seed_public AS
             SELECT row_number() OVER () AS n, id FROM thoughts WHERE visibility = 'public';
         CREATE UNIQUE INDEX IF NOT EXISTS seed_public_n ON seed_public (n);
         WITH picks AS MATERIALIZED (
             SELECT 1 + floor(random() * {users})::int AS un,
                    1 + floor(random() * (SELECT count(*) FROM seed_public))::bigint AS tn
               FROM generate_series(1, {count}))
         INSERT INTO {table} (user_id, thought_id, created_at)
         SELECT u.id, t.id, now() - random() * interval '300 days'
           FROM picks JOIN seed_users u ON u.n = picks.un JOIN seed_public t ON t.n = picks.tn
         ON CONFLICT DO NOTHING"
    )
}
